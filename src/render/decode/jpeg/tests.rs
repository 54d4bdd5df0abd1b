//! The decoder against libjpeg-turbo (`djpeg` at the same scale) and `jpeg-decoder` (full size),
//! on every JPEG of the corpus and on odd-sized files `cjpeg` made.
//!
//! libjpeg-turbo's decodes and the files `cjpeg` made are committed under `tests/reference/`
//! (see `tests/common/reference.rs`); with the feature `reference-tools` the tools run live
//! instead, on files made afresh.

use std::path::{Path, PathBuf};

use super::decoder::{self, ColourKind, Decoded};
use super::*;
use crate::test_common::corpus::{corpus_bytes, corpus_dir};
use crate::test_common::reference::{Raster, Reference};

/// Corpus files the decoder declines on purpose (the fallback decodes or refuses them), with why.
const DECLINED: &[(&str, &str)] = &[
    ("jpeg/12bit_monkey12.jpg", "12-bit samples"),
    ("jpeg/lossless_sof3_testimgl.jpg", "lossless process (SOF3)"),
    ("suites/libjpeg-turbo/monkey12.jpg", "12-bit samples"),
];

/// Corpus files that are not images at all or that libjpeg refuses too: a typed error expected.
const BROKEN: &[(&str, &str)] = &[
    ("bad/zero_bytes.jpg", "empty file"),
    (
        "suites/jpeg-decoder/mozilla/jpg-size-6x6.jpg",
        "a PNG under a .jpg name (the render path sniffs and decodes it as PNG)",
    ),
    ("bad/text_file_renamed.jpg", "not a JPEG"),
    ("bad/corrupt_header.jpg", "corrupt marker segments"),
    (
        "bad/bomb_jpeg_header_65535x65535.jpg",
        "65535x65535 declared: over the pixel limit",
    ),
];

/// Files below 40 dB against djpeg at a scale, with the reason; each still holds 30 dB.
const BELOW_40_DB: &[(&str, u32, &str)] = &[(
    "suites/jpeg-decoder/partial_progressive.jpg",
    8,
    "progressive, cut short: the missing refinement is filled differently (37.5 dB)",
)];

/// The scales: eighths.
const SCALES: [u32; 4] = [1, 2, 4, 8];

/// The live reference tools of the opt-in suite (feature `reference-tools`).
#[cfg(feature = "reference-tools")]
mod live {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::test_common::reference::Raster;

    /// Runs `program` with `args`; panics, naming the Debian package, when it cannot start.
    pub(super) fn run(program: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
        Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|error| {
                let package = match program {
                    "convert" => "imagemagick",
                    "vipsthumbnail" => "libvips-tools",
                    _ => "libjpeg-turbo-progs",
                };
                panic!("{program} does not run ({error}): install Debian's {package}")
            })
    }

    /// libjpeg-turbo's decode at `eighths`/8, or `None` when it produces no image.
    pub(super) fn djpeg(path: &Path, eighths: u32) -> Option<Raster> {
        let scale = format!("{eighths}/8");
        let output = run(
            "djpeg",
            &[
                "-scale".as_ref(),
                scale.as_ref(),
                "-pnm".as_ref(),
                path.as_ref(),
            ],
        );
        Raster::from_pnm(&output.stdout)
    }

    /// A fresh path for a file named `name` made at test time, in the scratch folder `tag`:
    /// tests run in parallel and may make the same file, so no two calls share a path.
    pub(super) fn temp_path(tag: &str, name: &str) -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir =
            std::env::temp_dir().join(format!("person-image-jpeg-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(format!("{}-{name}", NEXT.fetch_add(1, Ordering::Relaxed)))
    }
}

/// libjpeg-turbo's decode of `path` at `eighths`/8, `key` naming it among the references: run
/// live (and recorded) by the opt-in suite, read from `tests/reference/djpeg/` otherwise.
fn djpeg(path: &Path, key: &str, eighths: u32) -> Reference {
    let variant = format!("scale{eighths}");
    #[cfg(feature = "reference-tools")]
    {
        let raster = live::djpeg(path, eighths)
            .unwrap_or_else(|| panic!("{key}: we decode it, djpeg does not"));
        Reference::record("djpeg", key, &variant, raster)
    }
    #[cfg(not(feature = "reference-tools"))]
    {
        let _ = path;
        Reference::load("djpeg", key, &variant)
    }
}

/// Our pixels as djpeg writes them: grey, RGB, or CMYK as libjpeg-turbo's PPM writer turns it
/// into RGB (inverted Adobe samples multiplied).
fn comparable(decoded: &Decoded, inverted: bool) -> Raster {
    let (channels, data) = match decoded.kind {
        ColourKind::Gray => (1, decoded.data.clone()),
        ColourKind::Rgb => (3, decoded.data.clone()),
        ColourKind::Cmyk => (
            3,
            decoded
                .data
                .chunks_exact(4)
                .flat_map(|ink| {
                    let raw = |i: usize| f64::from(if inverted { 255 - ink[i] } else { ink[i] });
                    let k = raw(3);
                    [0, 1, 2].map(|i| (raw(i) * k / 255.0 + 0.5) as u8)
                })
                .collect(),
        ),
    };
    Raster {
        width: decoded.width,
        height: decoded.height,
        channels,
        data,
    }
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    crate::test_common::pixels::psnr(a, b)
}

/// The JPEGs under `dir` (PngSuite has none).
fn all_jpegs(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // PngSuite has no JPEG; the labelled face set is the detector's, its camera JPEGs have
        // no committed djpeg references.
        if path == corpus_dir().join("suites").join("pngsuite")
            || path == corpus_dir().join("faces")
        {
            continue;
        }
        if path.is_dir() {
            files.extend(all_jpegs(&path));
        } else if path.extension().is_some_and(|e| e == "jpg" || e == "jpeg") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(corpus_dir())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Compares our decode of `bytes` with djpeg's at every scale; returns the PSNR per scale.
/// `path` is where the file is for a live djpeg, `key` its name among the references.
fn against_djpeg(bytes: &[u8], path: &Path, key: &str, threads: usize) -> Vec<(u32, f64)> {
    let inverted = read_header(bytes).is_ok_and(|h| h.adobe_transform.is_some());
    let mut scores = Vec::new();
    for eighths in SCALES {
        let ours = decoder::decode(bytes, eighths, &Limits::default(), threads)
            .unwrap_or_else(|error| panic!("{key} at {eighths}/8: {error}"));
        let reference = djpeg(path, key, eighths);
        let what = format!("{key} at {eighths}/8");
        scores.push((eighths, reference.psnr(&comparable(&ours, inverted), &what)));
    }
    scores
}

#[test]
fn every_corpus_jpeg_matches_libjpeg_turbo_at_every_scale() {
    let mut minimum = [f64::MAX; 4];
    let mut failures = Vec::new();
    for path in all_jpegs(&corpus_dir()) {
        let name = relative(&path);
        let bytes = std::fs::read(&path).unwrap();
        if let Some((_, reason)) = DECLINED.iter().find(|(file, _)| *file == name) {
            let error = decoder::decode(&bytes, 8, &Limits::default(), 1)
                .err()
                .unwrap_or_else(|| panic!("{name} ({reason}) should be declined"));
            assert!(matches!(error, DecodeError::Declined(_)), "{name}: {error}");
            println!("{name}: declined ({reason}): {error}");
            let error = Error::from(error);
            assert!(
                matches!(error, Error::UnsupportedFormat { .. }),
                "{name}: {error}"
            );
            continue;
        }
        if let Some((_, reason)) = BROKEN.iter().find(|(file, _)| *file == name) {
            for eighths in SCALES {
                let error = decoder::decode(&bytes, eighths, &Limits::default(), 1)
                    .err()
                    .unwrap_or_else(|| panic!("{name} ({reason}) should fail"));
                println!("{name}: {reason}: {error}");
            }
            continue;
        }
        for (eighths, score) in against_djpeg(&bytes, &path, &name, 1) {
            println!("{name} at {eighths}/8: {score:.1} dB");
            let slot = eighths.trailing_zeros() as usize;
            if let Some((_, _, reason)) = BELOW_40_DB
                .iter()
                .find(|(file, scale, _)| *file == name && *scale == eighths)
            {
                println!("  (listed below 40 dB: {reason})");
                assert!(score >= 30.0, "{name} at {eighths}/8: {score:.1} dB");
                continue;
            }
            minimum[slot] = minimum[slot].min(score);
            if score < 40.0 {
                failures.push(format!("{name} at {eighths}/8: {score:.1} dB < 40"));
            }
        }
    }
    for (slot, eighths) in SCALES.iter().enumerate() {
        println!("minimum PSNR at {eighths}/8: {:.1} dB", minimum[slot]);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Arithmetic-coded corpus files (`jpegtran -arithmetic` of Huffman-coded ones, see
/// `scripts/make_arithmetic_corpus.sh`) with the file they were made from: the same
/// coefficients, so the same pixels.
const ARITHMETIC_TWINS: &[(&str, &str)] = &[
    (
        "jpeg/arithmetic_baseline_hopper.jpg",
        "jpeg/baseline_hopper.jpg",
    ),
    (
        "jpeg/arithmetic_grayscale_hopper.jpg",
        "jpeg/grayscale_hopper.jpg",
    ),
    (
        "jpeg/arithmetic_progressive_cat.jpg",
        "jpeg/progressive_cat.jpg",
    ),
    (
        "jpeg/arithmetic_progressive_restart_cat.jpg",
        "jpeg/progressive_cat.jpg",
    ),
    (
        "jpeg/arithmetic_restart_icc_adobergb_person.jpg",
        "jpeg/icc_adobergb_person.jpg",
    ),
    (
        "jpeg/arithmetic_444_restarts.jpg",
        "suites/jpeg-decoder/restarts.jpg",
    ),
];

/// Each arithmetic-coded file decodes to exactly the pixels of its Huffman-coded twin, at every
/// scale, on one thread and on two.
#[test]
fn arithmetic_files_decode_exactly_like_their_huffman_twins() {
    for (arithmetic, huffman) in ARITHMETIC_TWINS {
        let (ours, twin) = (corpus_bytes(arithmetic), corpus_bytes(huffman));
        for eighths in SCALES {
            let reference = decoder::decode(&twin, eighths, &Limits::default(), 1).unwrap();
            for threads in [1, 2] {
                let decoded = decoder::decode(&ours, eighths, &Limits::default(), threads)
                    .unwrap_or_else(|error| panic!("{arithmetic} at {eighths}/8: {error}"));
                assert_eq!(
                    (decoded.width, decoded.height, decoded.kind),
                    (reference.width, reference.height, reference.kind),
                    "{arithmetic} at {eighths}/8"
                );
                let score = psnr(&decoded.data, &reference.data);
                assert!(
                    decoded.data == reference.data,
                    "{arithmetic} at {eighths}/8 differs from {huffman}: {score:.1} dB"
                );
            }
        }
    }
}

/// The bomb is refused by the limit before anything is allocated for it.
#[test]
fn declared_giant_is_refused_by_the_limit() {
    let bytes = corpus_bytes("bad/bomb_jpeg_header_65535x65535.jpg");
    let error = decoder::decode(&bytes, 1, &Limits::default(), 1)
        .err()
        .expect("refused");
    assert!(
        matches!(error, DecodeError::Limit(Error::LimitExceeded { .. })),
        "{error}"
    );
}

/// Full-size decodes against jpeg-decoder, and reduced ones against its full decode box-filtered
/// down (a different filter from the reduced IDCT, hence the lower bar there).
#[test]
fn matches_jpeg_decoder() {
    let mut minimum = [f64::MAX; 4];
    for path in all_jpegs(&corpus_dir().join("jpeg")) {
        let name = relative(&path);
        // jpeg-decoder does not decode arithmetic coding: djpeg and the Huffman twins
        // (`ARITHMETIC_TWINS`) hold those files.
        if DECLINED.iter().any(|(file, _)| *file == name) || name.starts_with("jpeg/arithmetic_") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut reference = jpeg_decoder::Decoder::new(&bytes[..]);
        let full = reference.decode().unwrap();
        let info = reference.info().unwrap();
        let (width, height) = (usize::from(info.width), usize::from(info.height));
        let channels = full.len() / (width * height);
        for eighths in SCALES {
            let ours = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
            assert_eq!(ours.width, (width * eighths as usize).div_ceil(8), "{name}");
            assert_eq!(
                ours.height,
                (height * eighths as usize).div_ceil(8),
                "{name}"
            );
            // jpeg-decoder inverts every CMYK sample: ink for Adobe files, 255 - ink for others.
            let adobe = read_header(&bytes).is_ok_and(|h| h.adobe_transform.is_some());
            let ours_data: Vec<u8> = if ours.kind == ColourKind::Cmyk && !adobe {
                ours.data.iter().map(|v| 255 - v).collect()
            } else {
                ours.data.clone()
            };
            let factor = 8 / eighths as usize;
            let boxed = box_down(&full, width, height, channels, factor);
            let score = psnr(&ours_data, &boxed);
            println!("{name} at {eighths}/8 vs jpeg-decoder: {score:.1} dB");
            let slot = eighths.trailing_zeros() as usize;
            minimum[slot] = minimum[slot].min(score);
            let bar = if eighths == 8 { 40.0 } else { 30.0 };
            assert!(score >= bar, "{name} at {eighths}/8: {score:.1} dB < {bar}");
        }
    }
    for (slot, eighths) in SCALES.iter().enumerate() {
        println!(
            "minimum PSNR vs jpeg-decoder at {eighths}/8: {:.1} dB",
            minimum[slot]
        );
    }
}

/// Averages `factor × factor` boxes (partial at the right and bottom edges).
fn box_down(data: &[u8], width: usize, height: usize, channels: usize, factor: usize) -> Vec<u8> {
    if factor == 1 {
        return data.to_vec();
    }
    let (w, h) = (width.div_ceil(factor), height.div_ceil(factor));
    let mut out = Vec::with_capacity(w * h * channels);
    for y in 0..h {
        for x in 0..w {
            for c in 0..channels {
                let (mut sum, mut count) = (0u32, 0u32);
                for yy in y * factor..((y + 1) * factor).min(height) {
                    for xx in x * factor..((x + 1) * factor).min(width) {
                        sum += u32::from(data[(yy * width + xx) * channels + c]);
                        count += 1;
                    }
                }
                out.push(((sum + count / 2) / count) as u8);
            }
        }
    }
    out
}

/// What `cjpeg` is given to make a test file of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The top-left corner of a corpus JPEG (decoded by djpeg).
    Corpus(&'static str),
    /// Saturated colour gradients across the picture (red along x, green along y, blue
    /// against both): every chroma sample differs from its neighbours, whatever the size.
    Gradients,
}

/// The corpus photo most made files are cut from.
const PHOTO: Source = Source::Corpus("jpeg/exif_orientation_1.jpg");

impl Source {
    /// The prefix of the names of files made of it (none for [`PHOTO`]).
    fn prefix(self) -> &'static str {
        match self {
            PHOTO => "",
            Source::Corpus(_) => "corner_",
            Source::Gradients => "gradients_",
        }
    }

    /// The `width × height` RGB samples `cjpeg` is given.
    #[cfg(feature = "reference-tools")]
    fn pixels(self, width: usize, height: usize) -> Vec<u8> {
        match self {
            Source::Corpus(file) => {
                let full = live::djpeg(&crate::test_common::corpus::corpus_path(file), 8)
                    .expect("djpeg decodes the source");
                assert!(full.width >= width && full.height >= height);
                (0..height)
                    .flat_map(|y| &full.data[y * full.width * 3..][..width * 3])
                    .copied()
                    .collect()
            }
            Source::Gradients => {
                let ramp = |i: usize, n: usize| (i * 255 / (n - 1).max(1)) as u8;
                (0..height)
                    .flat_map(|y| {
                        (0..width).flat_map(move |x| {
                            let (r, g) = (ramp(x, width), ramp(y, height));
                            [r, g, 255 - ((u16::from(r) + u16::from(g)) / 2) as u8]
                        })
                    })
                    .collect()
            }
        }
    }
}

/// The name `cjpeg` gives the file it makes of `width × height` of `source` with `options`.
fn made_name(source: Source, width: u32, height: u32, options: &[&str]) -> String {
    format!(
        "{}{width}x{height}{}.jpg",
        source.prefix(),
        options.join("").replace(['-', ' '], "_")
    )
}

/// A JPEG that `cjpeg` made with `options` from `width × height` of `source`, with its key
/// among the references: made afresh in a scratch folder (and recorded) by the opt-in suite,
/// read from `tests/reference/cjpeg/` otherwise.
fn cjpeg(source: Source, width: u32, height: u32, options: &[&str]) -> (PathBuf, String) {
    let name = made_name(source, width, height, options);
    let key = format!("cjpeg/{name}");
    #[cfg(feature = "reference-tools")]
    {
        let ppm = live::temp_path(
            "made",
            &made_name(source, width, height, &[]).replace(".jpg", ".ppm"),
        );
        let mut bytes = format!("P6\n{width} {height}\n255\n").into_bytes();
        bytes.extend(source.pixels(width as usize, height as usize));
        std::fs::write(&ppm, bytes).unwrap();
        let out = live::temp_path("made", &name);
        let mut args: Vec<&std::ffi::OsStr> = options.iter().map(|o| o.as_ref()).collect();
        args.extend(["-outfile".as_ref(), out.as_os_str(), ppm.as_os_str()]);
        let output = live::run("cjpeg", &args);
        assert!(output.status.success(), "cjpeg {options:?}");
        crate::test_common::reference::record_made_file("cjpeg", &name, &out);
        (out, key)
    }
    #[cfg(not(feature = "reference-tools"))]
    {
        (
            crate::test_common::reference::made_file("cjpeg", &name),
            key,
        )
    }
}

/// Odd sizes (sides not multiples of the MCU) in every sampling, progressive and with restart
/// markers, at every scale, against djpeg.
#[test]
fn odd_sizes_and_every_sampling_match_libjpeg_turbo() {
    let variants: [&[&str]; 16] = [
        &["-sample", "2x2"],
        // Quality 100 codes the last coefficient of many blocks, which then end without an end
        // of block: the two-coefficient lookups must not read into the next block.
        &["-sample", "2x2", "-quality", "100"],
        &["-sample", "1x1", "-quality", "100", "-restart", "2"],
        &["-sample", "2x1"],
        &["-sample", "1x2"],
        &["-sample", "1x1"],
        &["-grayscale"],
        &["-sample", "2x2", "-progressive"],
        &["-sample", "1x1", "-progressive"],
        &["-sample", "2x2", "-restart", "1"],
        &["-sample", "2x2", "-restart", "3B"],
        // Arithmetic coding: the same coefficients as the variant without `-arithmetic`.
        &["-sample", "2x2", "-arithmetic"],
        &["-sample", "1x1", "-arithmetic"],
        &["-grayscale", "-arithmetic"],
        &["-sample", "2x2", "-progressive", "-arithmetic"],
        &["-sample", "2x2", "-restart", "3B", "-arithmetic"],
    ];
    for (width, height) in [(333, 217), (17, 9), (1, 1), (95, 1), (1, 70)] {
        for options in variants {
            let (path, key) = cjpeg(PHOTO, width, height, options);
            let bytes = std::fs::read(&path).unwrap();
            if let Some((&"-arithmetic", huffman)) = options.split_last() {
                let (twin, _) = cjpeg(PHOTO, width, height, huffman);
                let twin = std::fs::read(&twin).unwrap();
                for eighths in SCALES {
                    let ours = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
                    let reference = decoder::decode(&twin, eighths, &Limits::default(), 1).unwrap();
                    assert!(
                        ours.data == reference.data,
                        "{width}x{height} {options:?} at {eighths}/8: not the pixels of {huffman:?}"
                    );
                }
            }
            for threads in [1, 3] {
                for (eighths, score) in against_djpeg(&bytes, &path, &key, threads) {
                    println!("{width}x{height} {options:?} at {eighths}/8: {score:.1} dB");
                    assert!(
                        score >= 40.0,
                        "{width}x{height} {options:?} at {eighths}/8 ({threads} threads): {score:.1} dB"
                    );
                }
            }
        }
    }
}

/// Tiny pictures, where the chroma plane is one or two samples wide or high: every size from
/// 1×1 to 17×17 (and a few thin ones) in 4:2:0, 4:2:2, 4:4:0 and 4:4:4, baseline and
/// progressive, at quality 100 (the chroma kept sharp), at every scale, against djpeg.
#[test]
fn tiny_sizes_in_every_sampling_match_libjpeg_turbo() {
    let samplings = ["2x2", "2x1", "1x2", "1x1"];
    let squares = (1..=17).map(|side| (side, side));
    let thin = [(3, 17), (17, 3), (4, 11), (11, 4), (2, 9), (9, 2)];
    let mut failures = Vec::new();
    for (width, height) in squares.chain(thin) {
        for sampling in samplings {
            for progressive in [false, true] {
                let mut options = vec!["-quality", "100", "-sample", sampling];
                if progressive {
                    options.push("-progressive");
                }
                let (path, key) = cjpeg(Source::Gradients, width, height, &options);
                let bytes = std::fs::read(&path).unwrap();
                for (eighths, score) in against_djpeg(&bytes, &path, &key, 1) {
                    if score < 40.0 {
                        failures.push(format!("{key} at {eighths}/8: {score:.1} dB"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "below 40 dB:\n{}", failures.join("\n"));
}

/// Restart intervals decoded on several threads give the same pixels as on one. The files are
/// made by `jpeg-encoder` from a corpus photo, with the intervals `cjpeg -restart 1`, `2` and
/// `5B` write (one MCU row of a 1200 px wide 4:2:0 picture is 75 MCUs).
#[test]
fn parallel_restart_intervals_match_serial() {
    let photo = corpus_bytes("jpeg/exif_orientation_1.jpg");
    let source = decoder::decode(&photo, 8, &Limits::default(), 1).unwrap();
    assert_eq!((source.width, source.height), (1200, 1800));
    for interval in [75, 150, 5] {
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 75);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        encoder.set_restart_interval(interval);
        encoder
            .encode(&source.data, 1200, 1800, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        for eighths in SCALES {
            let serial = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
            for threads in [2, 4] {
                let parallel =
                    decoder::decode(&bytes, eighths, &Limits::default(), threads).unwrap();
                assert!(
                    serial.data == parallel.data,
                    "restart every {interval} MCUs, {eighths}/8, {threads} threads"
                );
            }
        }
    }
}

/// ImageMagick's Lanczos resize of `path` (full-resolution decode) to `width` wide, `key`
/// naming it among the references: run live (and recorded) by the opt-in suite, read from
/// `tests/reference/convert-lanczos/` otherwise.
fn lanczos_reference(path: &Path, key: &str, width: u32) -> Reference {
    let variant = format!("w{width}");
    #[cfg(feature = "reference-tools")]
    {
        let out = live::temp_path("lanczos", "reference.png");
        let size = format!("{width}x");
        let output = live::run(
            "convert",
            &[
                path.as_ref(),
                "-filter".as_ref(),
                "Lanczos".as_ref(),
                "-resize".as_ref(),
                size.as_ref(),
                out.as_ref(),
            ],
        );
        assert!(output.status.success(), "convert {key}");
        Reference::record(
            "convert-lanczos",
            key,
            &variant,
            Raster::from_image_file(&out),
        )
    }
    #[cfg(not(feature = "reference-tools"))]
    {
        let _ = path;
        Reference::load("convert-lanczos", key, &variant)
    }
}

/// libvips' thumbnail of `path` to `width` wide, `key` naming it among the references: run live
/// (and recorded) by the opt-in suite, read from `tests/reference/vipsthumbnail/` otherwise.
fn vips_reference(path: &Path, key: &str, width: u32) -> Reference {
    let variant = format!("w{width}");
    #[cfg(feature = "reference-tools")]
    {
        let out = live::temp_path("vips", "reference.png");
        let target = format!("{}[strip]", out.display());
        let size = format!("{width}x100000");
        let output = live::run(
            "vipsthumbnail",
            &[
                path.as_ref(),
                "-s".as_ref(),
                size.as_ref(),
                "-o".as_ref(),
                target.as_ref(),
            ],
        );
        assert!(output.status.success(), "vipsthumbnail {key}");
        Reference::record(
            "vipsthumbnail",
            key,
            &variant,
            Raster::from_image_file(&out),
        )
    }
    #[cfg(not(feature = "reference-tools"))]
    {
        let _ = path;
        Reference::load("vipsthumbnail", key, &variant)
    }
}

/// Small and odd-sized photos rendered 32 to 64 wide through the shrink-on-load: against
/// ImageMagick's Lanczos from the full-size decode, within 1 dB of libvips' thumbnail (which
/// also shrinks on load), and at least 34 dB.
#[test]
fn small_photos_at_small_sizes_are_as_close_to_a_full_resolution_lanczos_as_libvips() {
    let mut sources: Vec<(PathBuf, String)> = [
        &["-sample", "2x2"][..],
        &["-sample", "2x2", "-progressive"],
        &["-sample", "1x1"],
    ]
    .into_iter()
    .map(|options| cjpeg(PHOTO, 333, 217, options))
    .collect();
    for file in ["jpeg/baseline_hopper.jpg", "jpeg/progressive_cat.jpg"] {
        sources.push((
            crate::test_common::corpus::corpus_path(file),
            file.to_owned(),
        ));
    }
    let mut failures = Vec::new();
    for (path, key) in &sources {
        let bytes = std::fs::read(path).unwrap();
        for width in [32, 40, 48, 64] {
            let reference = lanczos_reference(path, key, width);
            let vips = vips_reference(path, key, width);
            let (w, h) = reference.dimensions();
            let picture = decode(&bytes, (w as u32, h as u32), &Limits::default()).unwrap();
            let Pixels::Rgb(ours) = &picture.frames[0].pixels else {
                panic!("RGB expected");
            };
            let ours = Raster {
                width: w,
                height: h,
                channels: 3,
                data: ours.as_raw().clone(),
            };
            let score = reference.psnr(&ours, key);
            let vips_score = reference.psnr(&vips.raster(), key);
            println!("{key} to {w}x{h}: {score:.1} dB, libvips {vips_score:.1} dB");
            if score < 34.0 || score < vips_score - 1.0 {
                failures.push(format!(
                    "{key} to {w}x{h}: {score:.1} dB, libvips {vips_score:.1} dB"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A render of a progressive 4:2:0 file at 1/8 keeps DC only in its chroma and skips the chroma AC
/// scans ([`decoder::Chroma::DcAtOneEighth`]): against the full-size decode resized the same way,
/// it stays at 42 dB or more (libjpeg's 2×2 chroma gets 4–6 dB more here; on the 22 MP bench
/// photo at 256 wide, against a full-resolution Lanczos, 48.1 dB against 52.1, for half the time
/// and half the memory).
#[test]
fn progressive_renders_at_one_eighth_skip_chroma_ac_without_losing_the_picture() {
    let sources = [
        (
            crate::test_common::corpus::corpus_path("jpeg/progressive_cat.jpg"),
            (320, 240),
        ),
        (
            cjpeg(PHOTO, 333, 217, &["-sample", "2x2", "-progressive"]).0,
            (333, 217),
        ),
    ];
    let limits = Limits::default();
    for (path, source) in sources {
        let bytes = std::fs::read(&path).unwrap();
        for width in [16u32, 20] {
            let target = (width, (source.1 * width).div_ceil(source.0));
            assert_eq!(dct_scale(source, target), 1, "{}", path.display());
            let rgb = |pixels: Pixels| {
                let Pixels::Rgb(image) = pixels else {
                    panic!("RGB expected");
                };
                image.into_raw()
            };
            let resized = |eighths: u32| {
                let decoded = decoder::decode(&bytes, eighths, &limits, 1).unwrap();
                let pixels = to_pixels(decoded).unwrap();
                let extent = scaled_extent(source, pixels.dimensions());
                rgb(resize::resize_extent(pixels, extent, target).unwrap())
            };
            let ours = rgb(decode(&bytes, target, &limits)
                .unwrap()
                .frames
                .remove(0)
                .pixels);
            let full = resized(8);
            let (dc_only, libjpeg) = (psnr(&ours, &full), psnr(&resized(1), &full));
            println!(
                "{} to {target:?}: DC-only chroma {dc_only:.2} dB, 2x2 chroma {libjpeg:.2} dB",
                path.display()
            );
            assert!(dc_only >= 42.0, "{}: {dc_only:.2} dB", path.display());
        }
    }
}

/// Truncated files keep what was decoded and leave the rest grey, like libjpeg.
#[test]
fn truncation_keeps_the_decoded_part() {
    let bytes = corpus_bytes("jpeg/exif_orientation_1.jpg");
    let half = &bytes[..bytes.len() / 2];
    let decoded = decoder::decode(half, 2, &Limits::default(), 1).unwrap();
    let full = decoder::decode(&bytes, 2, &Limits::default(), 1).unwrap();
    let row = decoded.width * 3;
    // The top rows match the full decode, the last rows are mid-grey.
    assert_eq!(decoded.data[..row * 8], full.data[..row * 8]);
    let last = &decoded.data[decoded.data.len() - row..];
    assert!(last.iter().all(|&v| v.abs_diff(128) <= 1), "grey fill");
}

/// Truncated arithmetic-coded files (sequential and progressive) decode at every scale, keeping
/// what was decoded: the decoder feeds zeros past the end, as the standard says, and the
/// amount of work stays bounded by the frame.
#[test]
fn truncated_arithmetic_files_keep_the_decoded_part() {
    for name in [
        "jpeg/arithmetic_restart_icc_adobergb_person.jpg",
        "jpeg/arithmetic_baseline_hopper.jpg",
        "jpeg/arithmetic_progressive_cat.jpg",
    ] {
        let bytes = corpus_bytes(name);
        for cut in [bytes.len() / 2, bytes.len() * 9 / 10, bytes.len() - 2] {
            let truncated = &bytes[..cut];
            for eighths in SCALES {
                let full = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
                let decoded = decoder::decode(truncated, eighths, &Limits::default(), 1)
                    .unwrap_or_else(|error| panic!("{name} cut at {cut}, {eighths}/8: {error}"));
                assert_eq!((decoded.width, decoded.height), (full.width, full.height));
                if !name.contains("progressive") {
                    // The first MCU row at this scale (less a line for the chroma filter) is
                    // long decoded when the data stops.
                    let channels = full.data.len() / (full.width * full.height);
                    let lines = (16 * eighths as usize / 8 - 1).max(1);
                    let rows = (full.width * channels * lines).min(full.data.len());
                    assert!(
                        decoded.data[..rows] == full.data[..rows],
                        "{name} cut at {cut}, {eighths}/8: first rows differ"
                    );
                }
            }
        }
    }
}

/// Garbage in one restart interval of an arithmetic-coded file costs that interval only: the
/// decoder resynchronises at the next RST marker, with fresh statistics. The file is
/// progressive with an interval of two MCU rows; the garbage is in the first (DC) scan.
#[test]
fn corrupt_arithmetic_restart_interval_resynchronises() {
    let clean = corpus_bytes("jpeg/arithmetic_progressive_restart_cat.jpg");
    let starts = restart_starts(&clean);
    // 240 lines of 16-line MCU rows, two rows per interval.
    assert_eq!(starts.len(), 8, "intervals of the first scan");
    let damaged = 3;
    let mut bytes = clean.clone();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for byte in &mut bytes[starts[damaged] + 4..starts[damaged + 1] - 4] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = (state % 255) as u8; // never 0xFF: no marker made up
    }
    for eighths in SCALES {
        let reference = decoder::decode(&clean, eighths, &Limits::default(), 1).unwrap();
        let ours = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
        let row = reference.width * 3;
        let lines = 32 * eighths as usize / 8;
        // One line of margin for the chroma filter.
        let (first, last) = (
            damaged * lines - 1,
            ((damaged + 1) * lines + 1).min(reference.height),
        );
        assert!(
            ours.data[..first * row] == reference.data[..first * row],
            "{eighths}/8: rows before the damage"
        );
        assert!(
            ours.data[last * row..] == reference.data[last * row..],
            "{eighths}/8: rows after the damage"
        );
        assert!(
            ours.data[first * row..last * row] != reference.data[first * row..last * row],
            "{eighths}/8: the garbage changed nothing"
        );
    }
}

/// A random-mutation run over the arithmetic-coded corpus files (truncations, bytes changed in
/// the headers and in the entropy-coded data), the decoder alone at every scale: a picture or a
/// typed error each time. Not coverage-guided (`benches/fuzz.sh` runs libFuzzer); run with
/// `PERSON_IMAGE_MUTATION_SECONDS=120 cargo test --lib arithmetic_mutations -- --ignored
/// --nocapture`.
#[test]
#[ignore = "a timed soak; the fuzz targets cover the same path"]
fn arithmetic_mutations_decode_or_fail_cleanly() {
    let seconds: u64 = std::env::var("PERSON_IMAGE_MUTATION_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30);
    let seeds: Vec<Vec<u8>> = ARITHMETIC_TWINS
        .iter()
        .map(|(file, _)| corpus_bytes(file))
        .chain([corpus_bytes("jpeg/arithmetic_testimgari.jpg")])
        .collect();
    let limits = Limits::default().max_source_pixels(1 << 20);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = std::time::Instant::now();
    let (mut runs, mut decoded) = (0u64, 0u64);
    while start.elapsed().as_secs() < seconds {
        let mut bytes = seeds[next() as usize % seeds.len()].clone();
        if next() % 4 == 0 {
            bytes.truncate(next() as usize % bytes.len());
        }
        for _ in 0..1 + next() % 16 {
            if bytes.is_empty() {
                break;
            }
            // Half of the changes in the first 600 bytes (headers, DAC, first scan).
            let span = if next() % 2 == 0 {
                bytes.len().min(600)
            } else {
                bytes.len()
            };
            let at = next() as usize % span;
            bytes[at] = next() as u8;
        }
        let eighths = [1, 2, 4, 8][next() as usize % 4];
        if decoder::decode(&bytes, eighths, &limits, 1 + next() as usize % 2).is_ok() {
            decoded += 1;
        }
        runs += 1;
    }
    println!(
        "{runs} mutated arithmetic files in {:?}, {decoded} decoded, the rest typed errors",
        start.elapsed()
    );
    assert!(runs > 0);
}

/// A thread's scratch grows for a big decode and gives the memory back after a small one.
#[test]
fn scratch_shrinks_after_a_small_decode() {
    std::thread::spawn(|| {
        let big = corpus_bytes("jpeg/progressive_cat.jpg");
        let photo = corpus_bytes("jpeg/exif_orientation_1.jpg");
        decoder::decode(&photo, 8, &Limits::default(), 1).unwrap();
        decoder::decode(&big, 8, &Limits::default(), 1).unwrap();
        let after_big = decoder::scratch_bytes();
        assert!(after_big > 0);
        let tiny = corpus_bytes("bad/tiny_1x1.jpg");
        decoder::decode(&tiny, 8, &Limits::default(), 1).unwrap();
        let after_tiny = decoder::scratch_bytes();
        assert!(after_tiny < (1 << 20), "{after_tiny} bytes kept");
        // Reused, not reallocated, for the same size again.
        decoder::decode(&photo, 8, &Limits::default(), 1).unwrap();
        assert!(decoder::scratch_bytes() >= 1200 * 1800);
    })
    .join()
    .unwrap();
}

/// Sampling factors of 3 are declined and the fallback (jpeg-decoder) decodes the file.
#[test]
fn sampling_factor_three_falls_back() {
    let (path, _) = cjpeg(PHOTO, 96, 64, &["-sample", "3x1"]);
    let bytes = std::fs::read(&path).unwrap();
    let error = decoder::decode(&bytes, 8, &Limits::default(), 1)
        .err()
        .expect("declined");
    assert!(matches!(error, DecodeError::Declined(_)), "{error}");
    assert!(matches!(
        Error::from(error),
        Error::UnsupportedFormat { .. }
    ));
    let picture = decode(&bytes, (48, 32), &Limits::default()).unwrap();
    assert_eq!(picture.dimensions(), (48, 32));
    // The lossless file, declined by the decoder, is decoded by the fallback.
    let lossless = corpus_bytes("jpeg/lossless_sof3_testimgl.jpg");
    let picture = decode(&lossless, (64, 42), &Limits::default()).unwrap();
    assert_eq!(picture.dimensions(), (64, 42));
}

/// The positions just after each RST marker of the first scan of `bytes`.
fn restart_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    for segment in marker::Segments::lenient(bytes, 2) {
        let segment = segment.unwrap();
        match segment.marker {
            Marker::Rst(_) if !starts.is_empty() => starts.push(segment.end),
            Marker::Sos => starts.push(segment.end),
            Marker::Eoi => break,
            _ if !starts.is_empty() => break,
            _ => {}
        }
    }
    starts
}

/// Corrupt restart intervals: the decoder resynchronises at the next RST marker, so only the
/// damaged interval (one MCU row here) differs from the clean decode, on one thread and on two,
/// and the picture stays close to what libjpeg-turbo recovers from the same bytes.
#[test]
fn corrupt_restart_interval_resynchronises_at_the_next_marker() {
    let (clean_path, clean_key) = cjpeg(PHOTO, 400, 480, &["-sample", "2x2", "-restart", "1"]);
    let clean = std::fs::read(&clean_path).unwrap();
    // Interval i (0-based) is MCU row i: rows 16·i..16·(i + 1) of the full picture.
    let starts = restart_starts(&clean);
    assert_eq!(starts.len(), 480 / 16, "one interval per MCU row");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 255) as u8 // never 0xFF: no marker made up
    };
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        // Bytes lost in the middle of interval 5: the reader meets RST early.
        (
            "bytes lost",
            [&clean[..starts[5] + 20], &clean[starts[5] + 60..]].concat(),
            5,
        ),
        // Garbage in interval 10: the decode goes astray until the next marker.
        (
            "garbage",
            {
                let mut bytes = clean.clone();
                for byte in &mut bytes[starts[10] + 10..starts[10] + 50] {
                    *byte = noise();
                }
                bytes
            },
            10,
        ),
        // The marker before interval 15 lost: 14's data runs on into 15's.
        (
            "marker lost",
            [&clean[..starts[15] - 2], &clean[starts[15]..]].concat(),
            15,
        ),
    ];
    for (what, bytes, damaged) in cases {
        // The damaged file, for a live djpeg, beside the clean one.
        let path = clean_path.with_file_name(format!("damaged-{damaged}.jpg"));
        let key = format!("{clean_key}/damaged-{damaged}");
        #[cfg(feature = "reference-tools")]
        std::fs::write(&path, &bytes).unwrap();
        for eighths in SCALES {
            let reference = decoder::decode(&clean, eighths, &Limits::default(), 1).unwrap();
            let row = reference.width * 3;
            // The damaged MCU row at this scale, one row of margin for the chroma filter.
            let mcu = 16 * eighths as usize / 8;
            let (first, last) = (
                (damaged * mcu).saturating_sub(1),
                ((damaged + 1) * mcu + 1).min(reference.height),
            );
            for threads in [1, 2] {
                let ours = decoder::decode(&bytes, eighths, &Limits::default(), threads)
                    .unwrap_or_else(|error| panic!("{what} at {eighths}/8: {error}"));
                assert_eq!(
                    (ours.width, ours.height),
                    (reference.width, reference.height)
                );
                assert!(
                    ours.data[..first * row] == reference.data[..first * row],
                    "{what} at {eighths}/8, {threads} threads: rows before the damage"
                );
                assert!(
                    ours.data[last * row..] == reference.data[last * row..],
                    "{what} at {eighths}/8, {threads} threads: rows after the damage"
                );
            }
            let ours = decoder::decode(&bytes, eighths, &Limits::default(), 1).unwrap();
            let score = djpeg(&path, &key, eighths).psnr(&comparable(&ours, false), what);
            println!("{what} at {eighths}/8: {score:.1} dB against djpeg");
            assert!(score >= 30.0, "{what} at {eighths}/8: {score:.1} dB");
        }
    }
}

/// A sink that keeps every streamed row.
#[derive(Default)]
struct Collected {
    size: Option<(usize, usize, ColourKind)>,
    rows: Vec<u8>,
}

impl rows::RowSink for Collected {
    fn begin(
        &mut self,
        width: usize,
        height: usize,
        kind: ColourKind,
        _icc: Option<Vec<u8>>,
    ) -> crate::Result<()> {
        assert!(self.size.is_none(), "begun twice");
        self.size = Some((width, height, kind));
        Ok(())
    }

    fn rows(&mut self, band: &mut [u8]) -> crate::Result<()> {
        let (width, _, kind) = self.size.expect("rows before the size");
        let channels = if kind == ColourKind::Gray { 1 } else { 3 };
        assert!(band.len().is_multiple_of(width * channels), "partial rows");
        self.rows.extend_from_slice(band);
        Ok(())
    }
}

/// Whether the streaming decode of `bytes` at `eighths`/8 gives the whole-picture decode's
/// pixels (on `threads` threads): `Ok(true)` when it streamed, `Ok(false)` when it decoded whole
/// (the same pixels then too), `Err` naming the difference.
fn streams_like_whole(bytes: &[u8], eighths: u32, threads: usize) -> Result<bool, String> {
    let limits = Limits::default();
    let whole = decoder::decode(bytes, eighths, &limits, threads);
    let mut sink = Collected::default();
    let streamed = decoder::decode_streaming(bytes, eighths, &limits, threads, &mut sink);
    match (whole, streamed) {
        (Ok(whole), Ok(decoder::Outcome::Streamed)) => {
            let (width, height, kind) = sink.size.ok_or("streamed without a size")?;
            if (width, height, kind) != (whole.width, whole.height, whole.kind) {
                return Err(format!(
                    "streamed {width}x{height} {kind:?}, whole {}x{} {:?}",
                    whole.width, whole.height, whole.kind
                ));
            }
            if sink.rows != whole.data {
                let row = whole.data.len() / whole.height.max(1);
                let first = sink
                    .rows
                    .chunks(row)
                    .zip(whole.data.chunks(row))
                    .position(|(a, b)| a != b);
                return Err(format!(
                    "{} bytes streamed, {} whole; first differing row {first:?}",
                    sink.rows.len(),
                    whole.data.len()
                ));
            }
            Ok(true)
        }
        (Ok(whole), Ok(decoder::Outcome::Whole(again))) if whole.data == again.data => {
            if sink.size.is_some() {
                return Err("the sink began but the decode went whole".into());
            }
            Ok(false)
        }
        (Err(_), Err(_)) if sink.size.is_none() => Ok(false),
        (whole, streamed) => Err(format!(
            "whole {}, streamed {}",
            whole.map_or_else(|e| e.to_string(), |_| "ok".into()),
            match streamed {
                Ok(decoder::Outcome::Streamed) => "streamed".to_string(),
                Ok(decoder::Outcome::Whole(_)) => "whole, other pixels".to_string(),
                Err(error) => error.to_string(),
            }
        )),
    }
}

/// The streamed rows are the whole-picture decode's, bit for bit: every corpus JPEG, the odd
/// and tiny sizes `cjpeg` made in every sampling (with restart markers too), and truncated and
/// corrupt files, at every scale, with restart intervals decoded on one thread and on two.
#[test]
fn streamed_rows_are_the_whole_decode_bit_for_bit() {
    let mut files: Vec<(String, Vec<u8>)> = all_jpegs(&corpus_dir())
        .into_iter()
        .map(|path| (relative(&path), std::fs::read(&path).unwrap()))
        .collect();
    let samplings: [&[&str]; 8] = [
        &["-sample", "2x2"],
        &["-sample", "2x2", "-quality", "100"],
        &["-sample", "1x1", "-quality", "100", "-restart", "2"],
        &["-sample", "2x1"],
        &["-sample", "1x2"],
        &["-sample", "1x1"],
        &["-grayscale"],
        &["-sample", "2x2", "-restart", "3B"],
    ];
    for (width, height) in [(333, 217), (17, 9), (1, 1), (95, 1), (1, 70)] {
        for options in samplings {
            let (path, key) = cjpeg(PHOTO, width, height, options);
            files.push((key, std::fs::read(&path).unwrap()));
        }
    }
    let squares = (1..=17).map(|side| (side, side));
    let thin = [(3, 17), (17, 3), (4, 11), (11, 4), (2, 9), (9, 2)];
    for (width, height) in squares.chain(thin) {
        for sampling in ["2x2", "2x1", "1x2", "1x1"] {
            let options = ["-quality", "100", "-sample", sampling];
            let (path, key) = cjpeg(Source::Gradients, width, height, &options);
            files.push((key, std::fs::read(&path).unwrap()));
        }
    }
    let photo = corpus_bytes("jpeg/exif_orientation_1.jpg");
    files.push((
        "photo cut in half".into(),
        photo[..photo.len() / 2].to_vec(),
    ));
    let mut garbage = photo.clone();
    for (i, byte) in garbage[20_000..20_400].iter_mut().enumerate() {
        *byte = (i * 37 % 251) as u8;
    }
    files.push(("photo with garbage".into(), garbage));
    let (restarts, _) = cjpeg(PHOTO, 400, 480, &["-sample", "2x2", "-restart", "1"]);
    let restarts = std::fs::read(restarts).unwrap();
    let starts = restart_starts(&restarts);
    files.push((
        "restart marker lost".into(),
        [&restarts[..starts[15] - 2], &restarts[starts[15]..]].concat(),
    ));
    files.push((
        "restart bytes lost".into(),
        [&restarts[..starts[5] + 20], &restarts[starts[5] + 60..]].concat(),
    ));
    let mut failures = Vec::new();
    let mut streamed = 0;
    for (name, bytes) in &files {
        for eighths in SCALES {
            for threads in [1, 2] {
                match streams_like_whole(bytes, eighths, threads) {
                    Ok(true) => streamed += 1,
                    Ok(false) => {}
                    Err(error) => failures.push(format!("{name} at {eighths}/8: {error}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{streamed} decodes streamed of {}", files.len() * 8);
    assert!(
        streamed > files.len() * 4,
        "only {streamed} decodes streamed"
    );
}

/// A random number generator for the table tests (xorshift64*), deterministic per seed.
struct Xorshift(u64);

impl Xorshift {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A random number below `bound` (at least 1).
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// A random AC Huffman table as DHT would give it: code counts per length that fit the code
/// space (often leaving some of it unused, as corrupt data may reach) and distinct symbols.
fn random_ac_table(random: &mut Xorshift) -> huffman::HuffmanTable {
    let mut symbols: Vec<u8> = (0..=255).collect();
    for i in (1..symbols.len()).rev() {
        symbols.swap(i, random.below(i + 1));
    }
    let wanted = 1 + random.below(162);
    let mut counts = [0u8; 16];
    let (mut room, mut total) = (2usize, 0usize);
    for count in &mut counts {
        let most = room.min(wanted - total);
        let chosen = if random.below(3) == 0 {
            0
        } else {
            random.below(most + 1)
        };
        *count = chosen as u8;
        total += chosen;
        room = (room - chosen) * 2;
    }
    huffman::HuffmanTable::new(&counts, &symbols[..total], true).unwrap()
}

#[test]
fn skipping_whole_blocks_matches_decoding_coefficient_by_coefficient() {
    let mut random = Xorshift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..60 {
        let table = random_ac_table(&mut random);
        // No 0xFF in the data, so that the bits consumed are the bytes read less the bits held.
        let data: Vec<u8> = (0..64 * 1024)
            .map(|_| (random.next() >> 56) as u8 % 0xFF)
            .collect();
        let start = random.below(16);
        let mut skipped = huffman::BitReader::new(&data, start);
        let mut decoded = huffman::BitReader::new(&data, start);
        let consumed =
            |reader: &huffman::BitReader| 8 * reader.position() - reader.hot().count as usize;
        for block in 0..500 {
            let held = skipped.refill(skipped.hot());
            let hot = table.skip_table().skip_block(&table, &mut skipped, held);
            skipped.set_hot(hot);
            let mut k = 1;
            while k < 64 {
                let mut hot = decoded.refill(decoded.hot());
                let symbol = table.decode(&mut hot);
                let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
                hot.consume(size);
                decoded.set_hot(hot);
                k += match (run, size) {
                    (15, 0) => 16,
                    (_, 0) => 64,
                    _ => run + 1,
                };
            }
            assert_eq!(consumed(&skipped), consumed(&decoded), "block {block}");
        }
    }
}
