//! The public conformance suites in `tests/corpus/suites/` (PngSuite, libjpeg-turbo's test
//! images, jpeg-decoder's reftests with their reference PNGs, image-rs's BMP, GIF, WebP and TIFF
//! test images) against the expectation table `tests/corpus/suites/EXPECTED.tsv`: each file is
//! either decoded at its full size with at least the PSNR the table names against its reference
//! decode, or refused with the error kind the table names. A new refusal, a new decode of a file
//! that should be refused, or a lower PSNR fails the test.
//!
//! Pictures with alpha are compared composited over white (ours and the reference alike).
//!
//! References: `convert` (ImageMagick's decode, first frame, committed under
//! `tests/reference/convert/`), `vips` (libvips' `vips copy`, for files ImageMagick refuses),
//! `djpeg` (libjpeg-turbo's, under `tests/reference/djpeg/`), `file:<path>` (a reference PNG that
//! came with the suite), or `none` (no reference decoder decodes the file). The opt-in suite (feature
//! `reference-tools`) runs the tools live; `scripts/make_references.sh` records them.

mod common;

use common::corpus::{corpus_bytes, corpus_path};
use common::reference::{Raster, Reference};
use person_image::render::RenderRequest;
use person_image::{render, Error, OutputFormat};

/// What the table expects of a file.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// Decoded, at least this many dB from the reference.
    Decoded(f64),
    /// Decoded, where no reference decoder decodes the file.
    DecodedUnreferenced,
    /// Refused with this kind of error.
    Refused(Kind),
    /// Not measured yet: the test fails and prints the measurement.
    Unmeasured,
}

/// The kinds of refusal the table names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `Error::Decode`: the data is broken.
    Decode,
    /// `Error::UnsupportedFormat`: a feature the crate does not decode.
    Unsupported,
    /// `Error::LimitExceeded`.
    Limit,
}

impl Kind {
    fn of(error: &Error) -> Option<Kind> {
        match error {
            Error::Decode { .. } => Some(Kind::Decode),
            Error::UnsupportedFormat { .. } => Some(Kind::Unsupported),
            Error::LimitExceeded { .. } => Some(Kind::Limit),
            _ => None,
        }
    }

    fn parse(text: &str) -> Kind {
        match text {
            "decode" => Kind::Decode,
            "unsupported" => Kind::Unsupported,
            "limit" => Kind::Limit,
            other => panic!("unknown refusal kind {other:?}"),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Decode => "decode",
            Kind::Unsupported => "unsupported",
            Kind::Limit => "limit",
        }
    }
}

/// One row of the table.
struct Row {
    path: String,
    reference: String,
    expected: Expected,
}

fn table() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus_path("suites/EXPECTED.tsv"))
        .expect("tests/corpus/suites/EXPECTED.tsv is readable");
    text.lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 5, "EXPECTED.tsv: {line}");
            let expected = match columns[4].split_once(' ') {
                None if columns[4] == "decoded" => Expected::DecodedUnreferenced,
                Some(("decoded", floor)) => Expected::Decoded(
                    floor
                        .trim_start_matches(">= ")
                        .parse()
                        .unwrap_or_else(|_| panic!("EXPECTED.tsv: {line}")),
                ),
                Some(("refused", kind)) => Expected::Refused(Kind::parse(kind)),
                _ => Expected::Unmeasured,
            };
            Row {
                path: columns[0].to_owned(),
                reference: columns[3].to_owned(),
                expected,
            }
        })
        .collect()
}

/// The reference decode a row names.
fn reference(row: &Row) -> Reference {
    if let Some(file) = row.reference.strip_prefix("file:") {
        return Reference::whole(flattened(open(&corpus_path(file))));
    }
    let (tool, variant) = match row.reference.as_str() {
        "convert" => ("convert", "full"),
        "vips" => ("vips", "full"),
        "djpeg" => ("djpeg", "scale8"),
        other => panic!("{}: no reference {other:?}", row.path),
    };
    #[cfg(feature = "reference-tools")]
    {
        let dir = common::temp::TempDir::new("suites");
        let out = dir.path().join("reference.png");
        let source = corpus_path(&row.path);
        let mut command = std::process::Command::new(tool);
        let (package, picture) = match tool {
            "convert" => {
                if row.path.ends_with(".gif") {
                    command.arg(&source).args(["-coalesce", "-delete", "1--1"]);
                } else {
                    command.arg(format!("{}[0]", source.display()));
                }
                command.arg(&out);
                ("imagemagick", None)
            }
            "vips" => {
                command.arg("copy").arg(&source).arg(&out);
                ("libvips-tools", None)
            }
            _ => {
                command.args(["-pnm", "-outfile"]).arg(&out).arg(&source);
                ("libjpeg-turbo-progs", Some(()))
            }
        };
        let output = command.output().unwrap_or_else(|error| {
            panic!("{tool} does not run ({error}): install Debian's {package}")
        });
        assert!(output.status.success(), "{tool} failed on {}", row.path);
        let raster = match picture {
            Some(()) => Raster::from_pnm(&std::fs::read(&out).unwrap()).expect("djpeg's PNM"),
            None => flattened(open(&out)),
        };
        let key = row.path.trim_start_matches("suites/");
        Reference::record(tool, &format!("suites/{key}"), variant, raster)
    }
    #[cfg(not(feature = "reference-tools"))]
    {
        let key = row.path.trim_start_matches("suites/");
        Reference::load(tool, &format!("suites/{key}"), variant)
    }
}

/// Renders `bytes` at full size into a lossless format other than the source's, so that the
/// picture is decoded (a PNG asked for as PNG may be sent as stored).
fn decode_through_render(path: &str, bytes: Vec<u8>) -> Result<Raster, Error> {
    let format = if path.ends_with(".png") {
        OutputFormat::Tiff
    } else {
        OutputFormat::Png
    };
    let response = render(&RenderRequest::stored(bytes).format(format))?;
    let image = image::load_from_memory(&response.body).expect("our own output decodes");
    Ok(flattened(image))
}

fn open(path: &std::path::Path) -> image::DynamicImage {
    image::open(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `image` as grey or RGB, composited over white where it has alpha: the colour under a
/// transparent pixel is no part of the picture (decoders leave different values there).
fn flattened(image: image::DynamicImage) -> Raster {
    if !image.color().has_alpha() {
        return Raster::from_image(image);
    }
    let grey = !image.color().has_color();
    let mut rgba = image.into_rgba8();
    for pixel in rgba.pixels_mut() {
        let alpha = u32::from(pixel[3]);
        for sample in &mut pixel.0[..3] {
            *sample = ((u32::from(*sample) * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        }
        pixel[3] = 255;
    }
    let rgb = image::DynamicImage::ImageRgba8(rgba).into_rgb8();
    if grey {
        Raster::from_image(image::DynamicImage::ImageLuma8(
            image::DynamicImage::ImageRgb8(rgb).into_luma8(),
        ))
    } else {
        Raster::from_image(image::DynamicImage::ImageRgb8(rgb))
    }
}

/// `raster` as grey (1) or RGB (3): grey repeated into RGB, RGB to luma (for pictures a
/// reference decoder wrote as grey).
fn with_channels(raster: &Raster, channels: usize) -> Raster {
    let data = match (raster.channels, channels) {
        (from, to) if from == to => raster.data.clone(),
        (1, 3) => raster.data.iter().flat_map(|&v| [v, v, v]).collect(),
        (3, 1) => image::DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(
                raster.width as u32,
                raster.height as u32,
                raster.data.clone(),
            )
            .unwrap(),
        )
        .into_luma8()
        .into_raw(),
        (from, to) => panic!("{from} channels to {to}"),
    };
    Raster {
        channels,
        data,
        ..raster.clone()
    }
}

#[test]
fn public_suites_meet_their_expectations() {
    let rows = table();
    assert!(rows.len() > 250, "{} rows", rows.len());
    let mut failures = Vec::new();
    let (mut decoded, mut refused) = (0, 0);
    for row in &rows {
        let outcome = decode_through_render(&row.path, corpus_bytes(&row.path));
        let measured = match &outcome {
            Ok(ours) if row.reference != "none" => {
                let reference = reference(row);
                let score = if (ours.width, ours.height) != reference.dimensions() {
                    f64::NEG_INFINITY
                } else {
                    reference.psnr(&with_channels(ours, reference.channels()), &row.path)
                };
                format!(
                    "decoded >= {:.1}",
                    (score.min(99.0) * 10.0).floor() / 10.0 - 0.5
                )
            }
            Ok(_) => "decoded".to_owned(),
            Err(error) => match Kind::of(error) {
                Some(kind) => format!("refused {}", kind.as_str()),
                None => format!("refused with {error:?}"),
            },
        };
        println!("MEASURED\t{}\t{measured}", row.path);
        let ok = match (&row.expected, &outcome) {
            (Expected::Decoded(floor), Ok(_)) => measured
                .strip_prefix("decoded >= ")
                .and_then(|value| value.parse::<f64>().ok())
                .is_some_and(|value| value + 0.5 >= *floor),
            (Expected::DecodedUnreferenced, Ok(_)) => row.reference == "none",
            (Expected::Refused(kind), Err(error)) => Kind::of(error) == Some(*kind),
            _ => false,
        };
        match outcome {
            Ok(_) => decoded += 1,
            Err(_) => refused += 1,
        }
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {measured} ({:?})",
                row.path,
                row.expected,
                outcome.as_ref().err()
            ));
        }
    }
    println!("{decoded} decoded, {refused} refused, of {}", rows.len());
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every file of `tests/corpus/suites/` is a row of the table, a reference a row names, a
/// licence text or the table itself.
#[test]
fn every_suite_file_is_in_the_table() {
    let rows = table();
    let dir = common::corpus::corpus_dir().join("suites");
    let mut pending = vec![dir.clone()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let name = format!(
                "suites/{}",
                path.strip_prefix(&dir).unwrap().to_string_lossy()
            );
            let file_name = path.file_name().unwrap().to_string_lossy();
            let known = file_name == "EXPECTED.tsv"
                || file_name.starts_with("LICENSE")
                || file_name.ends_with(".LICENSE")
                || rows.iter().any(|row| {
                    row.path == name || row.reference.strip_prefix("file:") == Some(name.as_str())
                });
            assert!(known, "{name} is not in suites/EXPECTED.tsv");
        }
    }
}
