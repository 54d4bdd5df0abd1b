//! The large bench photos, derived in Rust from `benches/images/photo-6mp.jpg` with the crate's
//! own dependencies (`image` decodes, `jpeg-encoder` encodes), so the tests that need them run
//! with nothing but the repository. `benches/images/README.md` says what each one is; the
//! progressive photo, which only the benchmark scripts use, is made by `benches/images.sh` with
//! libjpeg-turbo's `jpegtran` (a lossless rewrite `jpeg-encoder` cannot do).
//!
//! Shared by the integration tests (`mod common;`), the library's unit tests, the benches and the
//! `bench_photos` example (through `#[path]`), so each item may be unused in some of them.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// The photos [`derive`] makes.
pub const DERIVED: [&str; 5] = [
    "photo-22mp.jpg",
    "photo-3mp.jpg",
    "photo-22mp-restart.jpg",
    "photo-6mp-444.jpg",
    "alpha-22mp.png",
];

/// The width and height of `photo-6mp.jpg`, the source of every derived photo.
const SOURCE_SIZE: (usize, usize) = (2725, 2225);

/// An RGB picture, rows top to bottom.
struct Rgb {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl Rgb {
    /// The `width × height` rectangle at (`x`, `y`).
    fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> Rgb {
        let row = self.width * 3;
        let data = (y..y + height)
            .flat_map(|line| &self.data[line * row + x * 3..][..width * 3])
            .copied()
            .collect();
        Rgb {
            width,
            height,
            data,
        }
    }

    /// Four copies, 2 × 2, mirrored so that the edges meet: as is, flipped left to right,
    /// flipped top to bottom, and turned half a turn.
    fn tile_mirrored(&self) -> Rgb {
        let row = self.width * 3;
        let mut data = Vec::with_capacity(row * 2 * self.height * 2);
        for y in 0..self.height * 2 {
            let source_y = if y < self.height {
                y
            } else {
                2 * self.height - 1 - y
            };
            let line = &self.data[source_y * row..][..row];
            data.extend_from_slice(line);
            data.extend(line.chunks_exact(3).rev().flatten());
        }
        Rgb {
            width: self.width * 2,
            height: self.height * 2,
            data,
        }
    }

    /// Baseline JPEG with no metadata: `quality`, `sampling`, optimised Huffman tables when
    /// asked, and a restart marker every `restart_interval` MCUs (0: none).
    fn encode(
        &self,
        quality: u8,
        sampling: SamplingFactor,
        optimize: bool,
        restart_interval: u16,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = Encoder::new(&mut out, quality);
        encoder.set_sampling_factor(sampling);
        encoder.set_optimized_huffman_tables(optimize);
        encoder.set_restart_interval(restart_interval);
        encoder
            .encode(
                &self.data,
                u16::try_from(self.width).unwrap(),
                u16::try_from(self.height).unwrap(),
                ColorType::Rgb,
            )
            .expect("jpeg-encoder encodes the bench photo");
        out
    }
}

/// `photo-6mp.jpg`, decoded.
fn source(sources: &Path) -> Rgb {
    let path = sources.join("photo-6mp.jpg");
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .into_rgb8();
    let (width, height) = (image.width() as usize, image.height() as usize);
    assert_eq!((width, height), SOURCE_SIZE, "{}", path.display());
    Rgb {
        width,
        height,
        data: image.into_raw(),
    }
}

/// The centre 2720 × 2040 of the source tiled 2 × 2 with mirroring: 5440 × 4080.
fn tiled_22mp(sources: &Path) -> Rgb {
    source(sources).crop(2, 92, 2720, 2040).tile_mirrored()
}

/// The bytes of the derived photo `name` (one of [`DERIVED`]) from the sources in `sources`
/// (`benches/images/`), or `None` for a photo this module does not derive.
pub fn derive(name: &str, sources: &Path) -> Option<Vec<u8>> {
    Some(match name {
        // Quality 90, 4:2:0, the encoder's standard Huffman tables.
        "photo-22mp.jpg" => tiled_22mp(sources).encode(90, SamplingFactor::F_2_2, false, 0),
        // The same pixels as photo-22mp.jpg (the same encoder on the same picture gives the same
        // coefficients), with a restart marker after every MCU row: 5440 / 16 MCUs.
        "photo-22mp-restart.jpg" => {
            tiled_22mp(sources).encode(90, SamplingFactor::F_2_2, false, 5440 / 16)
        }
        // The centre 1920 × 1440, quality 90, 4:2:0.
        "photo-3mp.jpg" => {
            source(sources)
                .crop(402, 392, 1920, 1440)
                .encode(90, SamplingFactor::F_2_2, false, 0)
        }
        // Re-encoded without chroma subsampling, quality 92, optimised tables.
        "photo-6mp-444.jpg" => source(sources).encode(92, SamplingFactor::F_1_1, true, 0),
        "alpha-22mp.png" => alpha_22mp(sources),
        _ => return None,
    })
}

/// `alpha-3mp.png` (2048 × 1536 RGBA) mirrored outwards to 5440 × 4080, the size of
/// `photo-22mp.jpg`: reading it back and forth in both directions, so the edges meet. PNG with
/// `image`'s default compression and adaptive filters.
fn alpha_22mp(sources: &Path) -> Vec<u8> {
    let path = sources.join("alpha-3mp.png");
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let small = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .into_rgba8();
    let mirror = |at: u32, side: u32| {
        let at = at % (2 * side);
        if at < side {
            at
        } else {
            2 * side - 1 - at
        }
    };
    let large = image::RgbaImage::from_fn(5440, 4080, |x, y| {
        *small.get_pixel(mirror(x, small.width()), mirror(y, small.height()))
    });
    let mut out = std::io::Cursor::new(Vec::new());
    large
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("image encodes the bench PNG");
    out.into_inner()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees half a photo, even with several test binaries deriving at once.
pub fn write_atomically(path: &Path, bytes: &[u8]) {
    let dir = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let temporary = dir.join(format!(
        ".{}.{}.{:?}.tmp",
        path.file_name().unwrap().to_string_lossy(),
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&temporary, bytes)
        .unwrap_or_else(|error| panic!("{}: {error}", temporary.display()));
    std::fs::rename(&temporary, path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}
