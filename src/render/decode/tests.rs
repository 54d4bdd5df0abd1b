//! Probe and decode every file of the test corpus (`tests/corpus`, see its MANIFEST.tsv).

use super::*;
use crate::render::picture::Pixels;
use image::RgbImage;

use crate::test_common::corpus::{bench_bytes, corpus_bytes as read, corpus_dir};
use crate::test_common::pixels::visible;

/// `(path, width, height)` of every file the manifest gives a size for; `None` sizes for `NA`.
fn manifest() -> Vec<(String, Option<(u32, u32)>)> {
    let text = std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let path = fields.first()?.to_string();
            let size = match (fields.get(5)?.parse(), fields.get(6)?.parse()) {
                (Ok(w), Ok(h)) => Some((w, h)),
                _ => None,
            };
            Some((path, size))
        })
        .collect()
}

/// Files that legitimately fail to decode with these codecs: a clean 422 is expected.
const UNSUPPORTED: &[&str] = &[
    "jpeg/12bit_monkey12.jpg",
    "jpeg/lossless_sof3_testimgl.jpg",
    // 1-bit RGB palette TIFF: the tiff crate refuses this photometric interpretation.
    "tiff/multipage_3pages.tiff",
];

fn decode_to_width(bytes: &[u8], width: u32) -> Result<Picture> {
    let limits = Limits::default();
    let info = probe(bytes, &limits)?;
    let target = crate::render::geometry::fit((info.width, info.height), Some(width), None);
    let picture = decode(bytes, &info, target, false, &limits)?;
    assert_eq!(picture.dimensions(), target);
    Ok(picture)
}

fn rgb(picture: &Picture) -> RgbImage {
    match &picture.frames[0].pixels {
        Pixels::Gray(image) => image::DynamicImage::ImageLuma8(image.clone()).into_rgb8(),
        Pixels::GrayAlpha(image) => image::DynamicImage::ImageLumaA8(image.clone()).into_rgb8(),
        Pixels::Rgb(image) => image.clone(),
        Pixels::Rgba(image) => image::DynamicImage::ImageRgba8(image.clone()).into_rgb8(),
    }
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    crate::test_common::pixels::mean_abs_diff(a.as_raw(), b.as_raw())
}

#[test]
fn every_decodable_corpus_file_probes_and_decodes_to_the_target() {
    let limits = Limits::default();
    for (path, size) in manifest() {
        if path.starts_with("bad/") || UNSUPPORTED.contains(&path.as_str()) {
            continue;
        }
        let bytes = read(&path);
        let expected = size.unwrap_or_else(|| panic!("{path} has a size in the manifest"));
        let info = probe(&bytes, &limits).unwrap_or_else(|error| panic!("{path}: {error}"));
        // The manifest gives displayed sizes except for the stored-landscape orientation files.
        let displayed = if path.contains("exif_orientation_") && expected.0 > expected.1 {
            (expected.1, expected.0)
        } else {
            expected
        };
        assert_eq!((info.width, info.height), displayed, "{path}");
        let target = crate::render::geometry::fit(displayed, Some(64), None);
        let picture = decode(&bytes, &info, target, false, &limits)
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        assert_eq!(picture.dimensions(), target, "{path}");
        assert_eq!(picture.frames.len(), 1, "{path}");
    }
}

#[test]
fn unsupported_jpeg_processes_are_clean_422s() {
    for path in UNSUPPORTED {
        let bytes = read(path);
        if let Err(error) = decode_to_width(&bytes, 64) {
            assert_eq!(error.status(), 422, "{path}: {error}");
        }
    }
}

#[test]
fn exif_orientations_all_display_like_orientation_1() {
    let reference = rgb(&decode_to_width(&read("jpeg/exif_orientation_1.jpg"), 120).unwrap());
    assert_eq!(reference.dimensions(), (120, 180));
    for n in 2..=8 {
        let path = format!("jpeg/exif_orientation_{n}.jpg");
        let picture = rgb(&decode_to_width(&read(&path), 120).unwrap());
        let difference = mean_abs_diff(&reference, &picture);
        assert!(difference < 8.0, "{path}: mean difference {difference}");
    }
}

fn darkest_luma(image: &RgbImage) -> u32 {
    image
        .pixels()
        .map(|p| (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000)
        .min()
        .unwrap_or(255)
}

#[test]
fn cmyk_and_ycck_black_stays_black_and_white_stays_white() {
    for path in ["jpeg/cmyk_adobe_transform0.jpg", "jpeg/ycck_swop_icc.jpg"] {
        let image = rgb(&decode_to_width(&read(path), 128).unwrap());
        let darkest = darkest_luma(&image);
        assert!(darkest < 40, "{path}: darkest luma {darkest}");
        let brightest = image
            .pixels()
            .map(|p| p[0].min(p[1]).min(p[2]))
            .max()
            .unwrap();
        assert!(brightest > 200, "{path}: brightest {brightest}");
    }
}

#[test]
fn ycck_with_icc_differs_from_the_naive_conversion() {
    let bytes = read("jpeg/ycck_swop_icc.jpg");
    let with_icc = rgb(&decode_to_width(&bytes, 100).unwrap());
    let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
    let cmyk = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    let naive = colour::cmyk_to_srgb(&cmyk, info.width.into(), info.height.into(), None).unwrap();
    let naive = resize::resize(Pixels::Rgb(naive), with_icc.dimensions()).unwrap();
    let naive = rgb(&Picture::still(naive));
    let difference = mean_abs_diff(&with_icc, &naive);
    assert!(difference > 2.0, "ICC had no visible effect ({difference})");
}

#[test]
fn cached_icc_transforms_give_the_same_pixels() {
    let bytes = read("jpeg/ycck_swop_icc.jpg");
    let first = rgb(&decode_to_width(&bytes, 80).unwrap());
    let second = rgb(&decode_to_width(&bytes, 80).unwrap());
    assert_eq!(first, second);
}

#[test]
fn rgb_to_gbr_profile_is_honoured() {
    let bytes = read("jpeg/icc_rgb_to_gbr.jpg");
    let with_icc = rgb(&decode_to_width(&bytes, 100).unwrap());
    let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
    let raw = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    let raw = RgbImage::from_raw(info.width.into(), info.height.into(), raw).unwrap();
    let raw = rgb(&Picture::still(
        resize::resize(Pixels::Rgb(raw), with_icc.dimensions()).unwrap(),
    ));
    let difference = mean_abs_diff(&with_icc, &raw);
    assert!(
        difference > 5.0,
        "ICC ignored: mean difference {difference}"
    );
}

#[test]
fn adobe_rgb_profile_changes_the_pixels_and_srgb_profiles_do_not() {
    // sRGB-tagged: same as a decode without the profile.
    let bytes = read("jpeg/progressive_cat.jpg");
    let tagged = rgb(&decode_to_width(&bytes, 320).unwrap());
    let plain = image::load_from_memory(&bytes).unwrap().into_rgb8();
    assert!(mean_abs_diff(&tagged, &plain) < 2.0);
    // Adobe RGB: saturation grows when converted to sRGB, so pixels move.
    let bytes = read("jpeg/icc_adobergb_person.jpg");
    let converted = rgb(&decode_to_width(&bytes, 290).unwrap());
    let plain = image::load_from_memory(&bytes).unwrap().into_rgb8();
    assert!(mean_abs_diff(&converted, &plain) > 1.0);
}

#[test]
fn animated_gif_keeps_every_frame_delay_and_loop_count() {
    let limits = Limits::default();
    let bytes = read("gif/animated_loop3.gif");
    let info = probe(&bytes, &limits).unwrap();
    assert!(info.has_alpha);
    let picture = decode(&bytes, &info, (100, 77), true, &limits).unwrap();
    assert_eq!(picture.frames.len(), 10);
    assert_eq!(picture.repeat, crate::render::picture::Repeat::Finite(2));
    assert!(picture
        .frames
        .iter()
        .all(|f| f.pixels.dimensions() == (100, 77)));
    assert!(picture.frames.iter().any(|f| f.delay_ms > 0));
    let still = decode(&bytes, &info, (100, 77), false, &limits).unwrap();
    assert_eq!(still.frames.len(), 1);

    let bytes = read("gif/animated_subframes.gif");
    let info = probe(&bytes, &limits).unwrap();
    let picture = decode(&bytes, &info, (50, 50), true, &limits).unwrap();
    assert_eq!(picture.frames.len(), 2);
    assert_eq!(picture.repeat, crate::render::picture::Repeat::Infinite);
}

#[test]
fn animated_webp_keeps_every_frame() {
    let limits = Limits::default();
    let bytes = read("other/webp_animated.webp");
    let info = probe(&bytes, &limits).unwrap();
    let picture = decode(&bytes, &info, (74, 57), true, &limits).unwrap();
    assert_eq!(picture.frames.len(), 10);
}

#[test]
fn frame_limit_is_enforced() {
    let limits = Limits::default().max_frames(5);
    let bytes = read("gif/animated_loop3.gif");
    let error = probe(&bytes, &limits).unwrap_err();
    assert!(
        matches!(
            error,
            crate::Error::LimitExceeded {
                limit: crate::LimitKind::Frames,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn bad_files_give_typed_errors_or_images_never_panics() {
    let limits = Limits::default();
    for entry in std::fs::read_dir(corpus_dir().join("bad")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let outcome = probe(&bytes, &limits).and_then(|info| {
            let target = crate::render::geometry::fit((info.width, info.height), Some(64), None);
            decode(&bytes, &info, target, true, &limits)
        });
        match outcome {
            Ok(picture) => println!("{}: {:?}", path.display(), picture.dimensions()),
            Err(error) => {
                println!("{}: {error}", path.display());
                assert_eq!(error.status(), 422, "{}: {error}", path.display());
            }
        }
    }
}

#[test]
fn bombs_are_refused_by_probe() {
    let limits = Limits::default();
    for path in [
        "bad/bomb_jpeg_header_65535x65535.jpg",
        "bad/bomb_png_65536x65536.png",
        "bad/bomb_gif_65535x10751.gif",
        "bad/bomb_bmp_3000000x2000000.bmp",
    ] {
        let error = probe(&read(path), &limits).unwrap_err();
        assert!(
            matches!(
                error,
                crate::Error::LimitExceeded { .. } | crate::Error::Decode { .. }
            ),
            "{path}: {error}"
        );
    }
    let error = probe(&[0u8; 10], &limits.max_source_bytes(5)).unwrap_err();
    assert!(matches!(
        error,
        crate::Error::LimitExceeded {
            limit: crate::LimitKind::SourceBytes,
            ..
        }
    ));
}

#[test]
fn small_and_thin_files_decode() {
    for (path, width, expected) in [
        ("bad/tiny_1x1.jpg", 64, (1, 1)),
        ("bad/tiny_1x1.png", 64, (1, 1)),
        ("bad/strip_1000x1.jpg", 64, (64, 1)),
        ("bad/bomb_ztxt_png_decompression_dos.png", 64, (1, 1)),
    ] {
        let picture = decode_to_width(&read(path), width).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(picture.dimensions(), expected, "{path}");
    }
}

#[test]
fn grey_stays_grey_and_alpha_stays_alpha() {
    let grey = decode_to_width(&read("jpeg/grayscale_hopper.jpg"), 64).unwrap();
    assert!(matches!(grey.frames[0].pixels, Pixels::Gray(_)));
    let grey16 = decode_to_width(&read("png/gray16_alpha_icc.png"), 64).unwrap();
    assert!(matches!(grey16.frames[0].pixels, Pixels::GrayAlpha(_)));
    let rgba = decode_to_width(&read("png/basn6a16.png"), 16).unwrap();
    assert!(matches!(rgba.frames[0].pixels, Pixels::Rgba(_)));
}

#[test]
fn shrink_on_load_is_close_to_a_full_decode() {
    let bytes = read("jpeg/exif_orientation_1.jpg");
    assert_eq!(jpeg::dct_scale((1200, 1800), (150, 225)), 2);
    let scaled = rgb(&decode_to_width(&bytes, 150).unwrap());
    let full = image::load_from_memory(&bytes).unwrap();
    let full = resize::resize(Pixels::Rgb(full.into_rgb8()), (150, 225)).unwrap();
    let full = rgb(&Picture::still(full));
    let difference = mean_abs_diff(&scaled, &full);
    assert!(difference < 3.0, "mean difference {difference}");
}

#[test]
fn dct_scale_keeps_twice_the_target() {
    assert_eq!(jpeg::dct_scale((5472, 3648), (256, 171)), 1);
    assert_eq!(jpeg::dct_scale((1200, 1800), (600, 900)), 8);
    assert_eq!(jpeg::dct_scale((1200, 1800), (300, 450)), 4);
    assert_eq!(jpeg::dct_scale((1200, 1800), (301, 450)), 8);
    assert_eq!(jpeg::dct_scale((1, 1), (1, 1)), 8);
}

#[test]
fn photo_22mp_decodes_to_256() {
    let bytes = bench_bytes("photo-22mp.jpg");
    let picture = decode_to_width(&bytes, 256).unwrap();
    assert_eq!(picture.dimensions().0, 256);
}

#[test]
fn garbage_never_panics() {
    // Mutated sizes stay small enough to keep the test fast, and exercise the limits.
    let limits = Limits::default().max_source_pixels(1 << 20);
    let seeds = [
        "jpeg/baseline_hopper.jpg",
        "jpeg/arithmetic_baseline_hopper.jpg",
        "jpeg/arithmetic_progressive_restart_cat.jpg",
        "png/basn6a08.png",
        "gif/animated_loop3.gif",
        "other/bmp_rgb24.bmp",
        "other/webp_lossy_alpha_dice.webp",
        "other/webp_lossy_hopper.webp",
    ]
    .map(read);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in seeds {
        for round in 0..40 {
            let mut bytes = seed.clone();
            // Truncate some, flip bytes in others (mostly in the headers).
            if round % 4 == 0 {
                bytes.truncate((next() as usize) % bytes.len().max(1));
            }
            for _ in 0..(1 + next() % 8) {
                let len = bytes
                    .len()
                    .min(if round % 2 == 0 { 200 } else { usize::MAX });
                if len > 0 {
                    let at = (next() as usize) % len;
                    bytes[at] = next() as u8;
                }
            }
            if let Ok(info) = probe(&bytes, &limits) {
                let target =
                    crate::render::geometry::fit((info.width, info.height), Some(16), None);
                let _ = decode(&bytes, &info, target, true, &limits);
            }
        }
    }
}

/// Run with `cargo test --release --lib timing_6mp -- --ignored --nocapture`.
#[test]
#[ignore = "timing, meaningful in release builds only"]
fn timing_6mp_to_256() {
    let bytes = bench_bytes("photo-6mp.jpg");
    decode_to_width(&bytes, 256).unwrap();
    let runs = 20;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        decode_to_width(&bytes, 256).unwrap();
    }
    println!(
        "6 MP JPEG to 256 px: {:?} per decode",
        start.elapsed() / runs
    );
    for path in [
        "jpeg/ycck_swop_icc.jpg",
        "jpeg/icc_adobergb_person.jpg",
        "png/hopper_rgb.png",
    ] {
        let bytes = read(path);
        let start = std::time::Instant::now();
        for _ in 0..runs {
            decode_to_width(&bytes, 64).unwrap();
        }
        println!("{path} to 64 px: {:?} per decode", start.elapsed() / runs);
    }
}

/// The raw samples of a one-frame picture and its channel count.
fn samples(picture: &Picture) -> (&[u8], usize) {
    match &picture.frames[0].pixels {
        Pixels::Gray(image) => (image.as_raw(), 1),
        Pixels::GrayAlpha(image) => (image.as_raw(), 2),
        Pixels::Rgb(image) => (image.as_raw(), 3),
        Pixels::Rgba(image) => (image.as_raw(), 4),
    }
}

/// The lowest PSNR between the streaming and the whole-picture path over the corpus PNGs and the
/// 3 MP RGBA bench photo, as they show ([`visible`]): both paths run the same passes in the same
/// order on the same premultiplied 8-bit samples, the streaming one a window of rows at a time
/// (measured: identical bytes for all but one case, 73 dB).
const STREAMING_PSNR_FLOOR: f64 = 60.0;

#[test]
fn streaming_png_matches_the_whole_picture_path() {
    let limits = Limits::default();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir().join("png"))
        .expect("tests/corpus/png")
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path.display().to_string();
            (name, std::fs::read(&path).expect("a corpus PNG"))
        })
        .collect();
    assert!(files.len() >= 10, "the corpus PNGs are missing");
    files.push(("alpha-3mp.png".into(), bench_bytes("alpha-3mp.png")));
    let mut streamed = 0;
    for (name, bytes) in &files {
        let info = probe(bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (width, height) = (info.width, info.height);
        for target in [
            (width, height),
            (width.div_ceil(2), height.div_ceil(2)),
            crate::render::geometry::fit((width, height), Some(17), None),
            (width.div_ceil(3), height),
            (width, height.div_ceil(3)),
        ] {
            let ours =
                png::decode(bytes, target, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
            let whole = still::decode(bytes, ImageFormat::Png, target, &limits).unwrap();
            assert_eq!(ours.dimensions(), target, "{name}");
            let ((a, a_channels), (b, b_channels)) = (samples(&ours), samples(&whole));
            assert_eq!(a_channels, b_channels, "{name}: same channels");
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, a_channels), &visible(b, b_channels));
            assert!(
                psnr >= STREAMING_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
        streamed += usize::from(info.streams);
    }
    // Every corpus PNG but the interlaced ones (basi*, s35i*) streams.
    assert!(streamed >= files.len() - 2, "{streamed} of {}", files.len());
}

#[test]
fn streaming_png_reservation_follows_the_output() {
    let bytes = bench_bytes("alpha-3mp.png");
    let info = probe(&bytes, &Limits::default()).unwrap();
    assert!(info.streams);
    let whole = SourceInfo {
        streams: false,
        yuv_planes: false,
        ..info
    };
    let target = crate::render::geometry::fit((info.width, info.height), Some(128), None);
    let streaming = peak_bytes(&info, target, false);
    assert!(
        streaming < 4 << 20,
        "{streaming} bytes for a 128 px thumbnail"
    );
    assert!(peak_bytes(&whole, target, false) > 8 * streaming);

    // Two renders of a 22 MP RGBA PNG to 256 px fit in the serve example's 32 MiB budget at once.
    let large = probe(&bench_bytes("alpha-22mp.png"), &Limits::default()).unwrap();
    let target = crate::render::geometry::fit((large.width, large.height), Some(256), None);
    let reserved = peak_bytes(&large, target, false);
    assert!(
        2 * reserved <= 32 << 20,
        "{reserved} bytes for a 256 px thumbnail"
    );
}

#[test]
fn truncated_and_corrupt_pngs_are_decode_errors_when_streaming() {
    let limits = Limits::default();
    for name in ["truncated.png", "crc_idat_xcsn0g01.png"] {
        let bytes = read(&format!("bad/{name}"));
        let error = png::decode(&bytes, (4, 4), &limits)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error.status(), 422, "{name}: {error}");
    }
    // Large enough that the rows are read on a thread of their own: its error comes back too.
    let photo = bench_bytes("alpha-3mp.png");
    let truncated = &photo[..photo.len() / 2];
    let error = png::decode(truncated, (128, 96), &limits)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.status(), 422, "{error}");
}

/// `png` with an eXIf chunk holding EXIF orientation `orientation` inserted after IHDR.
fn png_with_orientation(png: &[u8], orientation: u8) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    // Big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1 value.
    let exif = [
        b'M',
        b'M',
        0,
        42,
        0,
        0,
        0,
        8,
        0,
        1,
        0x01,
        0x12,
        0,
        3,
        0,
        0,
        0,
        1,
        0,
        orientation,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    let mut chunk = b"eXIf".to_vec();
    chunk.extend_from_slice(&exif);
    let ihdr_end = 8 + 4 + 4 + 13 + 4;
    let mut out = png[..ihdr_end].to_vec();
    out.extend_from_slice(&(exif.len() as u32).to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

#[test]
fn streaming_png_applies_the_exif_orientation() {
    let limits = Limits::default();
    let image = image::RgbaImage::from_fn(40, 20, |x, y| {
        image::Rgba([(x * 6) as u8, (y * 12) as u8, 90, 128 + (x as u8)])
    });
    let mut plain = std::io::Cursor::new(Vec::new());
    image.write_to(&mut plain, image::ImageFormat::Png).unwrap();
    for orientation in 1..=8u8 {
        let bytes = png_with_orientation(plain.get_ref(), orientation);
        let info = probe(&bytes, &limits).unwrap();
        let displayed = if orientation >= 5 { (20, 40) } else { (40, 20) };
        assert_eq!(
            (info.width, info.height),
            displayed,
            "orientation {orientation}"
        );
        assert!(info.streams);
        let target = (displayed.0 / 2, displayed.1 / 2);
        let ours = png::decode(&bytes, target, &limits).unwrap();
        let whole = still::decode(&bytes, ImageFormat::Png, target, &limits).unwrap();
        assert_eq!(ours.dimensions(), target, "orientation {orientation}");
        let ((a, channels), (b, _)) = (samples(&ours), samples(&whole));
        let psnr = crate::test_common::pixels::psnr(&visible(a, channels), &visible(b, channels));
        assert!(
            psnr >= STREAMING_PSNR_FLOOR,
            "orientation {orientation}: {psnr:.1} dB"
        );
    }
}

/// `fit=cover` targets of `displayed`: a square, a wide and a tall box, around the upper centre
/// and around an off-centre focal box.
fn cover_targets(displayed: (u32, u32)) -> Vec<Target> {
    use crate::render::{FocalPoint, Framing};
    use crate::request::{Dimension, Fit};
    let focal = FocalPoint {
        left: displayed.0 * 3 / 4,
        top: displayed.1 / 5,
        width: (displayed.0 / 6).max(1),
        height: (displayed.1 / 6).max(1),
    };
    let mut targets = Vec::new();
    for (width, height) in [(16, 16), (24, 8), (6, 18)] {
        for point in [None, Some(focal)] {
            let framing = Framing::new(
                Dimension::new(width),
                Dimension::new(height),
                Fit::Cover,
                point,
            );
            targets.push(framing.target(displayed));
        }
    }
    targets
}

/// How close a streamed cover crop is to the whole-picture path's: the stream resamples the crop's
/// pixels alone, the whole-picture path lets the filter read past the crop's edges, so the
/// outermost rows and columns differ, the more the larger the scale.
const STREAMING_CROP_PSNR_FLOOR: f64 = 40.0;

#[test]
fn streaming_png_crops_like_the_whole_picture_path() {
    let limits = Limits::default();
    let image = image::RgbaImage::from_fn(40, 20, |x, y| {
        image::Rgba([(x * 6) as u8, (y * 12) as u8, 90, 128 + (x as u8)])
    });
    let mut plain = std::io::Cursor::new(Vec::new());
    image.write_to(&mut plain, image::ImageFormat::Png).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = (1..=8u8)
        .map(|orientation| {
            (
                format!("orientation {orientation}"),
                png_with_orientation(plain.get_ref(), orientation),
            )
        })
        .collect();
    files.push(("basn6a08.png".into(), read("png/basn6a08.png")));
    files.push(("alpha-3mp.png".into(), bench_bytes("alpha-3mp.png")));
    for (name, bytes) in &files {
        let info = probe(bytes, &limits).unwrap();
        assert!(info.streams, "{name}");
        let targets = cover_targets((info.width, info.height));
        assert!(targets.iter().any(|target| target.crop.is_some()), "{name}");
        for target in targets {
            let ours = png::decode(bytes, target, &limits).unwrap();
            let whole = still::decode(bytes, ImageFormat::Png, target, &limits).unwrap();
            assert_eq!(ours.dimensions(), target.size, "{name}");
            let ((a, channels), (b, _)) = (samples(&ours), samples(&whole));
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, channels), &visible(b, channels));
            assert!(
                psnr >= STREAMING_CROP_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
    }
}

/// The corpus and suite files of `format` (by extension) under `dirs`.
fn files_under(dirs: &[&str], extensions: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending: Vec<std::path::PathBuf> =
        dirs.iter().map(|dir| corpus_dir().join(dir)).collect();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| extensions.iter().any(|e| ext.eq_ignore_ascii_case(e)))
            {
                let bytes = std::fs::read(&path).expect("a corpus file");
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files.sort();
    files
}

/// The targets the streaming tests compare at: full size, half, 17 px wide, and each side alone.
fn streaming_targets((width, height): (u32, u32)) -> [(u32, u32); 4] {
    [
        (width, height),
        (width.div_ceil(2), height.div_ceil(2)),
        crate::render::geometry::fit((width, height), Some(17), None),
        (width.div_ceil(3), height),
    ]
}

/// BMPs whose pixels our reader and `image`'s agree on exactly (`image` scales 5-bit fields by
/// rounding where ours, like ImageMagick, repeats the bits: within a level, about 50 dB).
const BMP_SAME_AS_IMAGE: f64 = 45.0;

#[test]
fn streaming_bmp_matches_the_whole_picture_path() {
    let limits = Limits::default();
    let files = files_under(
        &["other", "suites/libjpeg-turbo", "suites/image-rs/bmp"],
        &["bmp"],
    );
    assert!(
        files.len() >= 50,
        "the corpus BMPs are missing: {}",
        files.len()
    );
    let (mut compared, mut streamed) = (0, 0);
    for (name, bytes) in &files {
        // What `image` refuses or reads differently on purpose (lenient files, odd masks,
        // RLE gaps, out-of-range indices) is held against the references by tests/suites.rs.
        let Ok(info) = probe(bytes, &limits) else {
            continue;
        };
        let Ok(whole) = still::decode(bytes, ImageFormat::Bmp, (info.width, info.height), &limits)
        else {
            continue;
        };
        let ours = bmp::decode(bytes, (info.width, info.height), &limits)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ((a, a_channels), (b, b_channels)) = (samples(&ours), samples(&whole));
        if a_channels != b_channels
            || crate::test_common::pixels::psnr(&visible(a, a_channels), &visible(b, b_channels))
                < BMP_SAME_AS_IMAGE
        {
            continue;
        }
        compared += 1;
        streamed += usize::from(info.streams);
        for target in streaming_targets((info.width, info.height)) {
            let ours =
                bmp::decode(bytes, target, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
            let whole = still::decode(bytes, ImageFormat::Bmp, target, &limits).unwrap();
            assert_eq!(ours.dimensions(), target, "{name}");
            let ((a, channels), (b, _)) = (samples(&ours), samples(&whole));
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, channels), &visible(b, channels));
            assert!(
                psnr >= BMP_SAME_AS_IMAGE,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
    }
    assert!(compared >= 40, "{compared} BMPs compared");
    assert!(streamed >= 30, "{streamed} BMPs streamed");
}

#[test]
fn streaming_tiff_matches_the_whole_picture_path() {
    let limits = Limits::default();
    let files = files_under(&["tiff", "suites/image-rs/tiff"], &["tif", "tiff"]);
    assert!(
        files.len() >= 10,
        "the corpus TIFFs are missing: {}",
        files.len()
    );
    let mut streamed = Vec::new();
    for (name, bytes) in &files {
        let Ok(info) = probe(bytes, &limits) else {
            continue;
        };
        for target in streaming_targets((info.width, info.height)) {
            let whole = match still::decode(bytes, ImageFormat::Tiff, target, &limits) {
                Ok(whole) => whole,
                Err(_) => continue,
            };
            let ours = tiff_strips::decode(bytes, target, &limits)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ours.dimensions(), target, "{name}");
            let ((a, a_channels), (b, b_channels)) = (samples(&ours), samples(&whole));
            assert_eq!(a_channels, b_channels, "{name}: same channels");
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, a_channels), &visible(b, b_channels));
            assert!(
                psnr >= STREAMING_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
        if info.streams {
            streamed.push(name.rsplit('/').next().unwrap_or_default().to_owned());
        }
    }
    // LZW, PackBits and uncompressed strips, predictor 2, YCbCr (subsampled too), associated
    // alpha: each of these corpus files streams (rgb16_deflate.tiff is tiled: see the synthetic
    // strips below).
    for expected in [
        "hopper_rgb_lzw.tif",
        "hopper_rgb_uncompressed.tif",
        "associated_alpha_lzw_predictor.tiff",
        "ycbcr_bt709_uncompressed.tif",
        "hpredict_packbits.tiff",
        "ycbcr_420_lzw_bt709_person.tif",
        "ycbcr_420_deflate_hopper.tif",
        "ycbcr_411_packbits_hopper.tif",
        "ycbcr_422_uncompressed_hopper.tif",
    ] {
        assert!(
            streamed.iter().any(|name| name == expected),
            "{expected} does not stream: {streamed:?}"
        );
    }
}

#[test]
fn streaming_bmp_and_tiff_reservations_follow_the_output() {
    let limits = Limits::default();
    // 3000×2000 24-bit: 18 MB of pixels.
    let bytes = bmp::tests::bgr24(3000, 2000, |x, y| [x as u8, y as u8, 9]);
    let info = probe(&bytes, &limits).unwrap();
    assert!(info.streams);
    let target = crate::render::geometry::fit((info.width, info.height), Some(256), None);
    let streaming = peak_bytes(&info, target, false);
    let whole = peak_bytes(
        &SourceInfo {
            streams: false,
            yuv_planes: false,
            ..info
        },
        target,
        false,
    );
    assert!(
        streaming < 6 << 20,
        "{streaming} bytes for a 256 px thumbnail"
    );
    assert!(whole > 8 * streaming, "{whole} vs {streaming}");

    let tiff = read("tiff/hopper_rgb_lzw.tif");
    let info = probe(&tiff, &limits).unwrap();
    assert!(info.streams);
    let small = peak_bytes(&info, (64, 64), false);
    assert!(small < 4 << 20, "{small} bytes for a 64 px thumbnail");
}

/// A `width × height` TIFF of `C` samples (`samples` of them, row by row) in Deflate strips of
/// `rows` rows, with the horizontal predictor.
fn strip_tiff<C: ::tiff::encoder::colortype::ColorType>(
    width: u32,
    height: u32,
    rows: u32,
    samples: &[C::Inner],
) -> Vec<u8>
where
    [C::Inner]: ::tiff::encoder::TiffValue,
{
    use ::tiff::encoder::{Compression, DeflateLevel};
    compressed_strip_tiff::<C>(
        width,
        height,
        rows,
        samples,
        Compression::Deflate(DeflateLevel::Fast),
    )
}

/// A strip TIFF of `samples` with the horizontal predictor, `rows` a strip, compressed so.
fn compressed_strip_tiff<C: ::tiff::encoder::colortype::ColorType>(
    width: u32,
    height: u32,
    rows: u32,
    samples: &[C::Inner],
    compression: ::tiff::encoder::Compression,
) -> Vec<u8>
where
    [C::Inner]: ::tiff::encoder::TiffValue,
{
    use ::tiff::encoder::{Predictor, TiffEncoder};
    let mut out = std::io::Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut out)
        .unwrap()
        .with_compression(compression)
        .with_predictor(Predictor::Horizontal);
    let mut image = encoder.new_image::<C>(width, height).unwrap();
    image.rows_per_strip(rows).unwrap();
    image.write_data(samples).unwrap();
    out.into_inner()
}

#[test]
fn sixteen_bit_and_grey_strips_stream_like_the_whole_picture() {
    use ::tiff::encoder::colortype;
    let limits = Limits::default();
    let (width, height) = (97u32, 61u32);
    let rgb16: Vec<u16> = (0..width * height * 3)
        .map(|i| (i.wrapping_mul(2654435761) >> 8) as u16 | ((i % 7) as u16) << 13)
        .collect();
    let grey: Vec<u8> = (0..width * height).map(|i| (i % 251) as u8).collect();
    let rgba: Vec<u8> = (0..width * height * 4)
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    for (name, bytes) in [
        (
            "rgb16",
            strip_tiff::<colortype::RGB16>(width, height, 5, &rgb16),
        ),
        (
            "grey8",
            strip_tiff::<colortype::Gray8>(width, height, 1, &grey),
        ),
        (
            "rgba8",
            strip_tiff::<colortype::RGBA8>(width, height, 7, &rgba),
        ),
    ] {
        let info = probe(&bytes, &limits).unwrap();
        assert!(info.streams, "{name}");
        for target in streaming_targets((width, height)) {
            let ours = tiff_strips::decode(&bytes, target, &limits).unwrap();
            let whole = still::decode(&bytes, ImageFormat::Tiff, target, &limits).unwrap();
            let ((a, channels), (b, b_channels)) = (samples(&ours), samples(&whole));
            assert_eq!(channels, b_channels, "{name}");
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, channels), &visible(b, channels));
            assert!(
                psnr >= STREAMING_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
    }
}

/// At full size nothing is resampled: the streamed strips are the whole-picture path's bytes
/// (predictor, PackBits, LZW, YCbCr, subsampled YCbCr, associated alpha).
#[test]
fn streamed_tiff_strips_at_full_size_are_the_whole_pictures_bytes() {
    let limits = Limits::default();
    for name in [
        "suites/image-rs/tiff/testsuite/hpredict_packbits.tiff",
        "tiff/associated_alpha_lzw_predictor.tiff",
        "tiff/ycbcr_bt709_uncompressed.tif",
        "tiff/hopper_rgb_lzw.tif",
        "tiff/ycbcr_420_lzw_bt709_person.tif",
        "tiff/ycbcr_44_lzw_cosited_hopper.tif",
    ] {
        let bytes = read(name);
        let info = probe(&bytes, &limits).unwrap();
        assert!(info.streams, "{name}");
        let target = (info.width, info.height);
        let ours = tiff_strips::decode(&bytes, target, &limits).unwrap();
        let whole = still::decode(&bytes, ImageFormat::Tiff, target, &limits).unwrap();
        assert_eq!(samples(&ours), samples(&whole), "{name}");
    }
}

/// `tiff` (little-endian) with the last entry of its `StripOffsets` set to `offset`.
fn with_last_strip_at(tiff: &[u8], offset: u32) -> Vec<u8> {
    assert_eq!(&tiff[..2], b"II", "a little-endian TIFF");
    let u16_at = |pos: usize| usize::from(u16::from_le_bytes([tiff[pos], tiff[pos + 1]]));
    let u32_at = |pos: usize| {
        u32::from_le_bytes([tiff[pos], tiff[pos + 1], tiff[pos + 2], tiff[pos + 3]]) as usize
    };
    let ifd = u32_at(4);
    let mut out = tiff.to_vec();
    for entry in 0..u16_at(ifd) {
        let at = ifd + 2 + 12 * entry;
        if u16_at(at) == 273 {
            let (kind, count) = (u16_at(at + 2), u32_at(at + 4));
            assert_eq!(kind, 4, "LONG strip offsets");
            let last = if count == 1 {
                at + 8
            } else {
                u32_at(at + 8) + 4 * (count - 1)
            };
            out[last..last + 4].copy_from_slice(&offset.to_le_bytes());
            return out;
        }
    }
    panic!("no StripOffsets");
}

/// A strip TIFF whose last strip lies past the end of the file, or whose data is cut short, is
/// a 422 from the streaming path, never a panic.
#[test]
fn strip_tiffs_with_missing_strips_are_decode_errors_when_streaming() {
    let limits = Limits::default();
    for name in [
        "tiff/hopper_rgb_lzw.tif",
        "tiff/hopper_rgb_uncompressed.tif",
    ] {
        let bytes = read(name);
        for (case, broken) in [
            ("past the end", with_last_strip_at(&bytes, u32::MAX - 16)),
            (
                "just past the end",
                with_last_strip_at(&bytes, bytes.len() as u32),
            ),
        ] {
            assert!(tiff_strips::streams(&broken, &limits), "{name}");
            let error = tiff_strips::decode(&broken, (32, 32), &limits)
                .map(|_| ())
                .unwrap_err();
            assert_eq!(error.status(), 422, "{name}, last strip {case}: {error}");
        }
    }
}

/// A sequential JPEG rendered at 1/2 or full scale reserves what streaming holds (MCU rows,
/// band, intermediate, result), far less than the whole picture; at 1/8, progressive or cropped
/// it reserves the whole picture at its scale. With `turbojpeg`, whose whole-picture decode takes
/// 1/2 and full scale, no JPEG streams.
#[test]
fn streaming_jpegs_reserve_their_rows_not_the_picture() {
    let limits = Limits::default();
    let info = probe(&bench_bytes("photo-22mp.jpg"), &limits).unwrap();
    assert_eq!(info.streams, !cfg!(feature = "turbojpeg"));
    if !info.streams {
        return;
    }
    let whole = SourceInfo {
        streams: false,
        yuv_planes: false,
        ..info
    };
    // 5440×4080 to 2000 px (full scale) and 1200 px (1/2).
    for width in [2000, 1200] {
        let target = crate::render::geometry::fit((info.width, info.height), Some(width), None);
        let streaming = peak_bytes(&info, target, false);
        let picture = peak_bytes(&whole, target, false);
        assert!(
            2 * streaming < picture,
            "{width} px: {streaming} streaming, {picture} whole"
        );
    }
    // At 1/8 the estimate is the whole picture's at that scale either way.
    let thumb = crate::render::geometry::fit((info.width, info.height), Some(256), None);
    assert_eq!(
        peak_bytes(&info, thumb, false),
        peak_bytes(&whole, thumb, false)
    );
    let progressive = probe(&read("jpeg/progressive_cat.jpg"), &limits).unwrap();
    assert!(!progressive.streams);
}

/// The photos among the still lossy WebPs of the corpus (no alpha, no ICC profile): they take
/// the YUV planes. (`simple-rgb.webp`, saturated synthetic colours, takes them too; it is
/// compared with libwebp's own scaled decode in `tests/render_corpus.rs`, because converting
/// before or after the resample differs by far more there, 27 dB, and libwebp resamples first.)
const LOSSY_WEBP_PHOTOS: [&str; 5] = [
    "other/webp_lossy_hopper.webp",
    "other/webp_lossy_person.webp",
    "other/webp_lossy_person_odd.webp",
    "other/webp_lossy_person_exif6.webp",
    "suites/image-rs/webp/lossy_images/simple-gray.webp",
];

/// How close a render from the YUV planes comes to the RGB path's on photos (image-webp's
/// decode: loop filtered, chroma upsampled to full size, converted to RGB, then resampled). The
/// planes path leaves the loop filter out, as libwebp's own scaled decode does, and differs in
/// where the chroma is interpolated and the conversion rounds (measured: 40.0 dB on the 128 px
/// hopper halved, where the filter's smoothing shows most; 47 dB and up on the photos).
const YUV_PLANES_PSNR_FLOOR: f64 = 38.5;

#[test]
fn lossy_webps_render_from_their_yuv_planes_like_the_rgb_path() {
    let limits = Limits::default();
    for name in LOSSY_WEBP_PHOTOS {
        let bytes = read(name);
        let info = probe(&bytes, &limits).unwrap();
        assert!(info.yuv_planes, "{name}");
        let displayed = (info.width, info.height);
        let mut targets: Vec<Target> = streaming_targets(displayed)
            .into_iter()
            .map(Target::whole)
            .collect();
        targets.extend(cover_targets(displayed));
        let mut lowest = f64::INFINITY;
        for target in targets {
            if !webp_lossy::shrinks_by_two(displayed, target) {
                continue;
            }
            let ours = webp_lossy::decode(&bytes, target, &limits).unwrap();
            let rgb_path = still::decode(&bytes, ImageFormat::WebP, target, &limits).unwrap();
            assert_eq!(ours.dimensions(), target.size, "{name} at {target:?}");
            let psnr =
                crate::test_common::pixels::psnr(rgb(&ours).as_raw(), rgb(&rgb_path).as_raw());
            assert!(
                psnr >= YUV_PLANES_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
            lowest = lowest.min(psnr);
        }
        println!("{name}: at least {lowest:.1} dB against the RGB path");
    }
}

/// `webp_lossy_hopper.webp`'s VP8 chunk in an extended (VP8X) container with an ICC profile
/// before it: the colour-managed RGB path must take it.
fn lossy_webp_with_icc_profile() -> Vec<u8> {
    let hopper = read("other/webp_lossy_hopper.webp");
    let vp8 = &hopper[12..];
    let profile = b"not parsed by the chunk walk";
    let mut body = b"WEBPVP8X".to_vec();
    body.extend_from_slice(&10u32.to_le_bytes());
    // Flags (ICC profile), three reserved bytes, then width − 1 and height − 1 in 24 bits each.
    body.extend_from_slice(&[0x20, 0, 0, 0]);
    body.extend_from_slice(&[127, 0, 0, 127, 0, 0]);
    body.extend_from_slice(b"ICCP");
    body.extend_from_slice(&(profile.len() as u32).to_le_bytes());
    body.extend_from_slice(profile);
    body.extend_from_slice(vp8);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(&body);
    file
}

#[test]
fn only_still_lossy_webps_without_alpha_or_icc_profile_take_the_yuv_planes() {
    let limits = Limits::default();
    let mut files: Vec<(String, Vec<u8>)> = [
        "other/webp_lossless_alpha_tux.webp",
        "other/webp_lossy_alpha_dice.webp",
        "other/webp_animated.webp",
        "suites/image-rs/webp/extended_images/lossy_alpha.webp",
        "suites/image-rs/webp/extended_images/anim.webp",
        "suites/image-rs/webp/lossless_images/2-color.webp",
    ]
    .into_iter()
    .map(|name| (name.to_string(), read(name)))
    .collect();
    files.push((
        "hopper with an ICC profile".into(),
        lossy_webp_with_icc_profile(),
    ));
    for (name, bytes) in &files {
        assert_eq!(webp_lossy::takes(bytes), None, "{name}");
        let info = probe(bytes, &limits).unwrap();
        assert!(!info.yuv_planes, "{name}");
        let target = crate::render::geometry::fit((info.width, info.height), Some(32), None);
        let picture = decode(bytes, &info, target, false, &limits).unwrap();
        assert_eq!(picture.dimensions(), target, "{name}");
    }
    assert_eq!(
        webp_lossy::takes(&read("other/webp_lossy_person_exif6.webp")),
        Some((1800, 1200))
    );
    let synthetic = read("suites/image-rs/webp/lossy_images/simple-rgb.webp");
    assert!(probe(&synthetic, &limits).unwrap().yuv_planes);
}

#[test]
fn truncated_lossy_webps_are_decode_errors_from_the_yuv_planes() {
    let limits = Limits::default();
    let bytes = read("other/webp_lossy_person_odd.webp");
    let info = probe(&bytes, &limits).unwrap();
    assert!(info.yuv_planes);
    for keep in [bytes.len() * 3 / 4, bytes.len() / 2, 40, 31] {
        let cut = &bytes[..keep];
        let outcome =
            probe(cut, &limits).and_then(|info| decode(cut, &info, (16, 24), false, &limits));
        if let Err(error) = outcome {
            assert_eq!(error.status(), 422, "{keep} bytes: {error}");
        }
    }
}

#[test]
fn lossy_webp_reservation_follows_the_streamed_rows_not_the_planes() {
    let limits = Limits::default();
    let info = probe(&read("other/webp_lossy_person.webp"), &limits).unwrap();
    let pixels = u64::from(info.width) * u64::from(info.height);
    // A whole picture streams: two macroblock rows and the resamplers' windows.
    let streamed = peak_bytes(&info, (128, 192), false);
    assert!(
        streamed < pixels / 2,
        "{streamed} bytes for {pixels} pixels"
    );
    // A crop resamples the whole planes.
    let crop = cover_targets((info.width, info.height))[0];
    assert!(crop.crop.is_some());
    let whole = peak_bytes(&info, crop, false);
    assert!(whole > pixels * 3 / 2, "{whole} bytes for {pixels} pixels");
    assert!(
        whole < pixels * 2 + (2 << 20),
        "{whole} bytes for {pixels} pixels"
    );
}

#[test]
fn lzw_strips_of_long_and_short_strings_stream_like_the_tiff_crate_decodes_them() {
    use ::tiff::encoder::{colortype, Compression};
    let limits = Limits::default();
    // Flat areas make strings hundreds of bytes long (past the block copies), a ramp and noise
    // short ones; strips of 1, 7 and 64 rows end strings at every kind of boundary.
    let (width, height) = (301u32, 97u32);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let pixels: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 56) as u8;
            match (y / 16) % 3 {
                0 => [200, 30, 90],
                1 => [(x % 256) as u8, (y * 2) as u8, 40],
                _ => [noise, noise / 2, (x as u8) ^ noise],
            }
        })
        .collect();
    for rows in [1, 7, 64] {
        let bytes = compressed_strip_tiff::<colortype::RGB8>(
            width,
            height,
            rows,
            &pixels,
            Compression::Lzw,
        );
        let info = probe(&bytes, &limits).unwrap();
        assert!(info.streams, "{rows} rows a strip");
        let target = (width, height);
        let ours = tiff_strips::decode(&bytes, target, &limits).unwrap();
        let whole = still::decode(&bytes, ImageFormat::Tiff, target, &limits).unwrap();
        assert_eq!(samples(&ours), samples(&whole), "{rows} rows a strip");
        assert_eq!(rgb(&ours).as_raw(), &pixels, "{rows} rows a strip");
    }
}

#[test]
fn streaming_lossless_webp_matches_the_whole_picture_path() {
    let limits = Limits::default();
    let mut files = files_under(&["other", "suites/libwebp"], &["webp"]);
    files.push((
        "suites/image-rs/webp/lossless_images/2-color.webp".into(),
        read("suites/image-rs/webp/lossless_images/2-color.webp"),
    ));
    let mut streamed = 0;
    for (name, bytes) in &files {
        let info = probe(bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        if webp_lossless::takes(bytes).is_none() {
            assert!(!info.streams, "{name}");
            continue;
        }
        assert!(info.streams, "{name}");
        streamed += 1;
        for target in streaming_targets((info.width, info.height)) {
            let ours = webp_lossless::decode(bytes, info.has_alpha, target, &limits)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let whole = still::decode(bytes, ImageFormat::WebP, target, &limits).unwrap();
            assert_eq!(ours.dimensions(), target, "{name}");
            let ((a, a_channels), (b, b_channels)) = (samples(&ours), samples(&whole));
            assert_eq!(a_channels, b_channels, "{name}: same channels");
            let psnr =
                crate::test_common::pixels::psnr(&visible(a, a_channels), &visible(b, b_channels));
            assert!(
                psnr >= STREAMING_PSNR_FLOOR,
                "{name} at {target:?}: {psnr:.1} dB"
            );
        }
    }
    // libwebp's 42 vectors, the two lossless photos and two more.
    assert!(streamed >= 46, "{streamed} lossless WebPs streamed");
    // The EXIF orientation 6 photo is stored 1200×700 and displays 700×1200.
    let rotated = read("other/webp_lossless_person_exif6.webp");
    let info = probe(&rotated, &limits).unwrap();
    assert_eq!((info.width, info.height), (700, 1200));
}

#[test]
fn lossless_webp_reservation_follows_the_window_not_the_picture() {
    let limits = Limits::default();
    let bytes = read("other/webp_lossless_person.webp");
    let info = probe(&bytes, &limits).unwrap();
    assert!(info.streams);
    // A 6 MP picture: the window keeps about a million pixels of it.
    let six = SourceInfo {
        width: 2725,
        height: 2225,
        ..info
    };
    let streaming = peak_bytes(&six, (128, 104), false);
    // The whole-picture path: 8 bytes a pixel through image-webp, 7 through libwebp.
    let whole = peak_bytes(
        &SourceInfo {
            streams: false,
            ..six
        },
        (128, 104),
        false,
    );
    assert!(whole >= 40_000_000, "{whole}");
    assert!(streaming < whole / 2, "{streaming} vs {whole}");
    // Two such renders fit the serve example's 32 MiB budget.
    assert!(
        streaming < 16 << 20,
        "{streaming} bytes for a 6 MP lossless WebP"
    );
}

#[test]
fn a_crop_or_an_animation_takes_the_whole_picture_path() {
    let limits = Limits::default();
    let animated = read("other/webp_animated.webp");
    assert!(webp_lossless::takes(&animated).is_none());
    assert!(!probe(&animated, &limits).unwrap().streams);
    let lossy = read("other/webp_lossy_person.webp");
    assert!(webp_lossless::takes(&lossy).is_none());
    // A cover crop of a streaming lossless WebP decodes through `image`, to the same size.
    let bytes = read("other/webp_lossless_person.webp");
    let info = probe(&bytes, &limits).unwrap();
    for target in cover_targets((info.width, info.height)) {
        let picture = decode(&bytes, &info, target, false, &limits).unwrap();
        assert_eq!(picture.dimensions(), target.size);
    }
}

#[test]
fn truncated_lossless_webps_are_decode_errors_when_streaming() {
    let limits = Limits::default();
    let bytes = read("other/webp_lossless_person.webp");
    for keep in [bytes.len() / 3, bytes.len() * 9 / 10, bytes.len() - 40] {
        let mut cut = bytes[..keep].to_vec();
        // The RIFF and chunk lengths still claim the whole file.
        cut.resize(keep, 0);
        let info = probe(&bytes, &limits).unwrap();
        let error = decode(&cut, &info, (120, 100), false, &limits).unwrap_err();
        assert!(matches!(error, crate::Error::Decode { .. }), "{error:?}");
    }
}

#[test]
fn large_lzw_tiffs_decode_their_strips_on_two_threads_like_one() {
    use ::tiff::encoder::{colortype, Compression};
    let limits = Limits::default();
    // 1500 × 1000 RGB: 4.5 MB of samples, past the size from which strips alternate between two
    // threads; an odd and an even count of strips, and a short last strip.
    let (width, height) = (1500u32, 1000u32);
    let pixels: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .flat_map(|(x, y)| [(x / 7) as u8, (y / 5) as u8, ((x * y) % 251) as u8])
        .collect();
    for rows in [100, 111, 200] {
        let bytes = compressed_strip_tiff::<colortype::RGB8>(
            width,
            height,
            rows,
            &pixels,
            Compression::Lzw,
        );
        assert!(probe(&bytes, &limits).unwrap().streams);
        let ours = tiff_strips::decode(&bytes, (width, height), &limits).unwrap();
        assert_eq!(rgb(&ours).as_raw(), &pixels, "{rows} rows a strip");
        for target in [(150, 100), (37, 25)] {
            let ours = tiff_strips::decode(&bytes, target, &limits).unwrap();
            let whole = still::decode(&bytes, ImageFormat::Tiff, target, &limits).unwrap();
            let psnr = crate::test_common::pixels::psnr(samples(&ours).0, samples(&whole).0);
            assert!(
                psnr >= STREAMING_PSNR_FLOOR,
                "{rows} rows at {target:?}: {psnr:.1} dB"
            );
        }
        // Damaged LZW data in strips decoded by either thread: a decode error or a picture.
        for at in [bytes.len() / 4, bytes.len() / 2, bytes.len() * 3 / 4] {
            let mut broken = bytes.clone();
            broken[at..at + 200].fill(0xFF);
            if let Err(error) = tiff_strips::decode(&broken, (150, 100), &limits) {
                assert!(matches!(error, crate::Error::Decode { .. }), "{error:?}");
            }
        }
    }
}
