//! Pictures made by the reference tools (libjpeg-turbo's `djpeg` and `cjpeg`, libvips'
//! `vipsthumbnail`, ImageMagick's `convert`), committed under `tests/reference/` so the default
//! tests need no tool, and run live by the opt-in suite (feature `reference-tools`).
//!
//! A reference picture is committed whole when it has at most [`WHOLE_PIXELS`] pixels; a larger
//! one keeps three [`WINDOW`]-pixel squares: top-left, centre and bottom-right (which holds the
//! partial blocks of both edges). The windows of one picture are stacked top to bottom in one
//! PNG whose name carries the picture's full size:
//! `tests/reference/<tool>/<source>/<variant>-<width>x<height>.png`. A test compares its own
//! picture over the same windows ([`Reference::psnr`]).
//!
//! `scripts/make_references.sh` regenerates the files: it runs the opt-in suite with
//! `PERSON_IMAGE_WRITE_REFERENCES=1`, which makes [`Reference::record`] write what the tools
//! produced, and records the tools' versions in `tests/reference/VERSIONS`.
//!
//! Shared by the integration tests (`mod common;`) and the library's unit tests (through
//! `#[path]`), so each item may be unused in some of them.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

/// The largest picture committed whole.
pub const WHOLE_PIXELS: usize = 128 * 128;
/// The side of each committed window of a larger picture.
pub const WINDOW: usize = 64;

/// The environment variable that makes the opt-in suite write its tools' output as the
/// committed references.
pub const WRITE_VARIABLE: &str = "PERSON_IMAGE_WRITE_REFERENCES";

/// An 8-bit picture: grey (1 channel) or RGB (3), rows top to bottom.
#[derive(Clone, Debug)]
pub struct Raster {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Samples per pixel: 1 or 3.
    pub channels: usize,
    /// `width × height × channels` samples.
    pub data: Vec<u8>,
}

impl Raster {
    /// The picture in a PNM file (`P5` grey or `P6` RGB, 8-bit), as `djpeg -pnm` writes it;
    /// `None` when the bytes hold none.
    pub fn from_pnm(bytes: &[u8]) -> Option<Raster> {
        let mut fields = Vec::new();
        let mut pos = 0;
        while fields.len() < 4 {
            while bytes.get(pos)?.is_ascii_whitespace() {
                pos += 1;
            }
            if bytes[pos] == b'#' {
                while *bytes.get(pos)? != b'\n' {
                    pos += 1;
                }
                continue;
            }
            let start = pos;
            while !bytes.get(pos)?.is_ascii_whitespace() {
                pos += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..pos]).ok()?.to_owned());
        }
        let channels = match fields[0].as_str() {
            "P5" => 1,
            "P6" => 3,
            _ => return None,
        };
        if fields[3] != "255" {
            return None;
        }
        let (width, height): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
        let data = bytes
            .get(pos + 1..pos + 1 + width * height * channels)?
            .to_vec();
        Some(Raster {
            width,
            height,
            channels,
            data,
        })
    }

    /// The picture in an image file any of `image`'s decoders reads, as grey or RGB.
    pub fn from_image_file(path: &Path) -> Raster {
        let image = image::open(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        Raster::from_image(image)
    }

    /// A decoded image as grey (when it has no colour) or RGB; alpha is dropped.
    pub fn from_image(image: image::DynamicImage) -> Raster {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let (channels, data) = if image.color().has_color() {
            (3, image.into_rgb8().into_raw())
        } else {
            (1, image.into_luma8().into_raw())
        };
        Raster {
            width,
            height,
            channels,
            data,
        }
    }

    /// The samples of `window`, row by row.
    fn cut(&self, window: &Window) -> impl Iterator<Item = &[u8]> + '_ {
        let row = self.width * self.channels;
        let (start, len) = (window.x * self.channels, window.width * self.channels);
        (window.y..window.y + window.height).map(move |y| &self.data[y * row + start..][..len])
    }
}

/// A rectangle of a picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
}

/// The windows committed for a `width × height` picture (see the module docs).
fn windows(width: usize, height: usize) -> Vec<Window> {
    if width * height <= WHOLE_PIXELS {
        return vec![Window {
            x: 0,
            y: 0,
            width,
            height,
        }];
    }
    let (side_x, side_y) = (width.min(WINDOW), height.min(WINDOW));
    [
        (0, 0),
        ((width - side_x) / 2, (height - side_y) / 2),
        (width - side_x, height - side_y),
    ]
    .map(|(x, y)| Window {
        x,
        y,
        width: side_x,
        height: side_y,
    })
    .to_vec()
}

/// A reference picture, or the committed windows of one.
#[derive(Clone, Debug)]
pub struct Reference {
    width: usize,
    height: usize,
    channels: usize,
    windows: Vec<Window>,
    /// The windows' samples, one after the other.
    data: Vec<u8>,
}

impl Reference {
    /// All of `picture`, as a tool made it live.
    pub fn whole(picture: Raster) -> Reference {
        Reference {
            width: picture.width,
            height: picture.height,
            channels: picture.channels,
            windows: vec![Window {
                x: 0,
                y: 0,
                width: picture.width,
                height: picture.height,
            }],
            data: picture.data,
        }
    }

    /// The windows of `picture` that are committed.
    fn committed_part(picture: &Raster) -> Reference {
        let windows = windows(picture.width, picture.height);
        let data = windows
            .iter()
            .flat_map(|window| picture.cut(window))
            .flatten()
            .copied()
            .collect();
        Reference {
            width: picture.width,
            height: picture.height,
            channels: picture.channels,
            windows,
            data,
        }
    }

    /// The picture, when it is committed whole (at most [`WHOLE_PIXELS`] pixels); panics
    /// otherwise.
    pub fn raster(&self) -> Raster {
        assert_eq!(
            self.windows.len(),
            1,
            "a {}x{} reference is committed as windows only",
            self.width,
            self.height
        );
        Raster {
            width: self.width,
            height: self.height,
            channels: self.channels,
            data: self.data.clone(),
        }
    }

    /// The full picture's width and height.
    pub fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Samples per pixel: 1 or 3.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The committed reference `variant` of `source` made by `tool`; panics with the file it
    /// looked for when there is none.
    pub fn load(tool: &str, source: &str, variant: &str) -> Reference {
        let dir = folder(tool, source);
        let prefix = format!("{variant}-");
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries.filter_map(|entry| entry.ok()).find_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let size = name.strip_prefix(&prefix)?.strip_suffix(".png")?;
                let (width, height) = size.split_once('x')?;
                Some((entry.path(), width.parse().ok()?, height.parse().ok()?))
            })
        });
        let Some((path, width, height)) = found else {
            panic!(
                "no committed reference {}/{variant}-<width>x<height>.png: \
                 scripts/make_references.sh makes it",
                dir.display()
            );
        };
        let stored = Raster::from_image_file(&path);
        let windows = windows(width, height);
        let expected: usize = windows.iter().map(|w| w.width * w.height).sum();
        assert_eq!(
            stored.width * stored.height,
            expected,
            "{}: not the windows of a {width}x{height} picture",
            path.display()
        );
        Reference {
            width,
            height,
            channels: stored.channels,
            windows,
            data: stored.data,
        }
    }

    /// With `PERSON_IMAGE_WRITE_REFERENCES=1`, commits the windows of `picture` as reference
    /// `variant` of `source` by `tool` (replacing an older one of another size); otherwise does
    /// nothing. Returns all of `picture` for the live comparison.
    pub fn record(tool: &str, source: &str, variant: &str, picture: Raster) -> Reference {
        if writing() {
            let part = Reference::committed_part(&picture);
            let dir = folder(tool, source);
            std::fs::create_dir_all(&dir).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name
                    .strip_prefix(&format!("{variant}-"))
                    .is_some_and(|rest| rest.ends_with(".png") && !rest.contains('-'))
                {
                    std::fs::remove_file(&path).unwrap();
                }
            }
            let path = dir.join(format!(
                "{variant}-{}x{}.png",
                picture.width, picture.height
            ));
            let width = part.windows[0].width;
            let height = part.data.len() / (width * part.channels);
            write_png(&path, &part.data, width, height, part.channels);
        }
        Reference::whole(picture)
    }

    /// The PSNR in dB of `ours` against this reference over the reference's windows; panics
    /// when the sizes or channel counts differ.
    pub fn psnr(&self, ours: &Raster, what: &str) -> f64 {
        assert_eq!(
            (ours.width, ours.height),
            (self.width, self.height),
            "{what}: size differs from the reference"
        );
        assert_eq!(
            ours.channels, self.channels,
            "{what}: channel count differs from the reference"
        );
        let ours: Vec<u8> = self
            .windows
            .iter()
            .flat_map(|window| ours.cut(window))
            .flatten()
            .copied()
            .collect();
        super::pixels::psnr(&ours, &self.data)
    }
}

/// Whether the opt-in suite was asked to write the committed references.
pub fn writing() -> bool {
    std::env::var_os(WRITE_VARIABLE).is_some_and(|value| value == "1")
}

/// `tests/reference`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

/// The folder of `tool`'s references for `source`.
fn folder(tool: &str, source: &str) -> PathBuf {
    root().join(tool).join(source)
}

/// A file that a tool made as a test input (e.g. a JPEG written by `cjpeg`), committed under
/// `tests/reference/<tool>/`; panics with the path when it is missing.
pub fn made_file(tool: &str, name: &str) -> PathBuf {
    let path = root().join(tool).join(name);
    assert!(
        path.is_file(),
        "{} is missing: scripts/make_references.sh makes it",
        path.display()
    );
    path
}

/// With `PERSON_IMAGE_WRITE_REFERENCES=1`, commits `made` (a test input a tool just made) as
/// [`made_file`]`(tool, name)`; otherwise does nothing.
pub fn record_made_file(tool: &str, name: &str, made: &Path) {
    if writing() {
        let dir = root().join(tool);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(made, dir.join(name)).unwrap();
    }
}

fn write_png(path: &Path, data: &[u8], width: usize, height: usize, channels: usize) {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::{ExtendedColorType, ImageEncoder};
    let colour = match channels {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        other => panic!("{other} channels"),
    };
    let file = std::fs::File::create(path).unwrap();
    PngEncoder::new_with_quality(file, CompressionType::Best, FilterType::Adaptive)
        .write_image(data, width as u32, height as u32, colour)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}
