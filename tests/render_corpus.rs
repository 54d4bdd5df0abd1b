//! `render` over the real-world corpus in `tests/corpus` (see its MANIFEST.tsv).

mod common;

use common::corpus::{corpus_bytes, corpus_dir, corpus_path};
use common::reference::{Raster, Reference};

use image::{DynamicImage, GenericImageView};
use person_image::render::RenderRequest;
use person_image::{render, Error, OutputFormat};

/// Files the crate cannot decode, by design, with the reason.
const UNSUPPORTED: [(&str, &str); 3] = [
    (
        "tiff/multipage_3pages.tiff",
        "1-bit palette TIFF (the tiff decoder rejects RGBPalette at 1 bit)",
    ),
    ("jpeg/12bit_monkey12.jpg", "12-bit JPEG"),
    ("jpeg/lossless_sof3_testimgl.jpg", "lossless JPEG"),
];

struct Entry {
    path: String,
    /// Displayed size (after EXIF orientation), when the manifest knows it.
    size: Option<(u32, u32)>,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus_path("MANIFEST.tsv"))
        .expect("tests/corpus/MANIFEST.tsv is readable");
    text.lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            let (path, width, height, notes) = (columns[0], columns[5], columns[6], columns[7]);
            let size = match (width.parse::<u32>(), height.parse::<u32>()) {
                (Ok(w), Ok(h)) if notes.contains("width/height swap") => Some((h, w)),
                (Ok(w), Ok(h)) => Some((w, h)),
                _ => None,
            };
            Entry {
                path: path.to_owned(),
                size,
            }
        })
        .collect()
}

fn read(path: &str) -> Vec<u8> {
    corpus_bytes(path)
}

fn expected_size(source: (u32, u32), width: u32) -> (u32, u32) {
    if source.0 <= width {
        return source;
    }
    let height = ((u64::from(source.1) * u64::from(width) * 2 + u64::from(source.0))
        / (u64::from(source.0) * 2))
        .max(1) as u32;
    (width, height)
}

/// Decodes an output. A JPEG `image` cannot read (arithmetic-coded, sent as stored when it fits
/// the size asked for) is read through the crate's own decoder, rendered to PNG at its size.
fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap_or_else(|_| {
        let request = RenderRequest::stored(bytes.to_vec()).format(OutputFormat::Png);
        let png = render(&request).expect("output decodes");
        image::load_from_memory(&png.body).expect("output decodes")
    })
}

#[test]
fn every_decodable_file_renders_to_every_format_at_w64() {
    let mut rendered = 0;
    for entry in manifest() {
        if entry.path.starts_with("bad/") {
            continue;
        }
        let bytes = read(&entry.path);
        let unsupported = UNSUPPORTED.iter().find(|(path, _)| *path == entry.path);
        for format in OutputFormat::enabled() {
            let request = RenderRequest::stored(bytes.clone())
                .width(64)
                .format(format);
            match (render(&request), unsupported) {
                (Ok(response), None) => {
                    assert_eq!(
                        response.content_type.unwrap(),
                        format.mime_type(),
                        "{}",
                        entry.path
                    );
                    let image = decode(&response.body);
                    if let Some(size) = entry.size {
                        assert_eq!(
                            image.dimensions(),
                            expected_size(size, 64),
                            "{} as {format}",
                            entry.path
                        );
                    }
                    rendered += 1;
                }
                (Err(error), Some((_, why))) => {
                    assert_eq!(error.status(), 422, "{} ({why}): {error}", entry.path);
                }
                (Ok(_), Some((_, why))) => {
                    // Supporting more is fine; keep the list honest.
                    eprintln!("note: {} ({why}) now renders", entry.path);
                }
                (Err(error), None) => panic!("{} as {format}: {error}", entry.path),
            }
        }
    }
    assert!(
        rendered > 100,
        "only {rendered} renders: is the corpus there?"
    );
}

#[test]
fn passthrough_is_byte_identical_for_every_stored_format() {
    for path in [
        "jpeg/exif_orientation_6.jpg",
        "png/basn6a16.png",
        "gif/animated_loop3.gif",
        "tiff/hopper_rgb_lzw.tif",
        "other/webp_lossy_hopper.webp",
        "other/bmp_rgb24.bmp",
    ] {
        let bytes = read(path);
        let response = render(&RenderRequest::stored(bytes.clone())).unwrap();
        assert_eq!(&response.body[..], &bytes[..], "{path}");
        // Asking for a box the image already fits in is still passthrough.
        let response = render(
            &RenderRequest::stored(bytes.clone())
                .width(4096)
                .height(4096),
        )
        .unwrap();
        assert_eq!(&response.body[..], &bytes[..], "{path} inside 4096x4096");
    }
}

fn mean_abs_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    assert_eq!(a.dimensions(), b.dimensions());
    common::pixels::mean_abs_diff(a.as_raw(), b.as_raw())
}

#[test]
fn exif_orientations_all_show_the_same_picture() {
    let render_png = |n: u32| {
        let bytes = read(&format!("jpeg/exif_orientation_{n}.jpg"));
        let response = render(
            &RenderRequest::stored(bytes)
                .width(120)
                .format(OutputFormat::Png),
        )
        .unwrap();
        decode(&response.body)
    };
    let reference = render_png(1);
    assert_eq!(reference.dimensions(), (120, 180));
    for n in 2..=8 {
        let other = render_png(n);
        let diff = mean_abs_diff(&reference, &other);
        assert!(
            diff < 6.0,
            "orientation {n} differs by {diff:.2} levels on average"
        );
    }
}

#[test]
fn transparency_becomes_white_in_jpeg() {
    let bytes = read("other/webp_lossless_alpha_tux.webp");
    let source = decode(&bytes).to_rgba8();
    assert_eq!(
        source.get_pixel(0, 0)[3],
        0,
        "corner of the source is transparent"
    );
    let response = render(
        &RenderRequest::stored(bytes)
            .width(100)
            .format(OutputFormat::Jpeg),
    )
    .unwrap();
    let jpeg = decode(&response.body).to_rgb8();
    let corner = jpeg.get_pixel(0, 0);
    assert!(
        corner.0.iter().all(|&c| c > 240),
        "corner is {corner:?}, not white"
    );
}

#[test]
fn cmyk_black_stays_black() {
    for path in [
        "jpeg/cmyk_adobe_transform0.jpg",
        "jpeg/ycck_swop_icc.jpg",
        "tiff/cmyk_uncompressed.tiff",
    ] {
        let response =
            render(&RenderRequest::stored(read(path)).format(OutputFormat::Png)).unwrap();
        let image = decode(&response.body).to_luma8();
        let darkest = image.pixels().map(|p| p[0]).min().unwrap();
        let brightest = image.pixels().map(|p| p[0]).max().unwrap();
        assert!(darkest < 40, "{path}: darkest pixel is {darkest}");
        assert!(brightest > 200, "{path}: brightest pixel is {brightest}");
    }
}

#[test]
fn animated_gif_keeps_its_frames() {
    use image::AnimationDecoder;
    let response = render(
        &RenderRequest::stored(read("gif/animated_loop3.gif"))
            .width(64)
            .format(OutputFormat::Gif),
    )
    .unwrap();
    let decoder =
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&response.body[..])).unwrap();
    let frames = decoder.into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 10);
    for frame in &frames {
        assert_eq!(frame.buffer().dimensions(), expected_size((370, 285), 64));
        assert!(frame.delay().numer_denom_ms().0 > 0);
    }
}

#[test]
fn bad_files_give_typed_errors_never_panics() {
    let dir = corpus_dir().join("bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for format in OutputFormat::enabled() {
            let request = RenderRequest::stored(bytes.clone())
                .width(64)
                .format(format);
            let outcome = std::panic::catch_unwind(|| render(&request));
            let result = outcome.unwrap_or_else(|_| panic!("{name} as {format} panicked"));
            match result {
                Ok(response) if response.body[..] == bytes[..] => {
                    // Passthrough: a stored file that needs no conversion is sent as stored,
                    // broken or not (SPEC §5).
                    assert_eq!(response.content_type.unwrap(), format.mime_type(), "{name}");
                }
                Ok(response) => {
                    let image = decode(&response.body);
                    assert!(image.width() >= 1 && image.height() >= 1, "{name}");
                    assert!(
                        !name.starts_with("bomb_") || name.contains("ztxt"),
                        "{name} must be refused"
                    );
                }
                Err(error) => {
                    assert_eq!(error.status(), 422, "{name} as {format}: {error}");
                    if name.starts_with("bomb_") && !name.contains("ztxt") {
                        assert!(
                            matches!(error, Error::LimitExceeded { .. } | Error::Decode { .. }),
                            "{name}: {error:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn valid_edge_files_in_bad_decode() {
    for (path, size) in [
        ("bad/tiny_1x1.jpg", (1, 1)),
        ("bad/tiny_1x1.png", (1, 1)),
        ("bad/strip_1000x1.jpg", (64, 1)),
        ("bad/bomb_ztxt_png_decompression_dos.png", (1, 1)),
    ] {
        let response = render(
            &RenderRequest::stored(read(path))
                .width(64)
                .format(OutputFormat::Png),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(decode(&response.body).dimensions(), size, "{path}");
    }
}

#[test]
fn bombs_are_refused_by_limit() {
    for path in [
        "bad/bomb_png_65536x65536.png",
        "bad/bomb_jpeg_header_65535x65535.jpg",
        "bad/bomb_bmp_3000000x2000000.bmp",
    ] {
        let error = render(&RenderRequest::stored(read(path)).width(64)).unwrap_err();
        assert!(
            matches!(error, Error::LimitExceeded { .. }),
            "{path}: {error:?}"
        );
    }
}

/// libvips' thumbnail of the corpus file `path`, 100 px wide, as PNG with no metadata: run live
/// (and recorded) by the opt-in suite, read from `tests/reference/vipsthumbnail/` otherwise.
fn vipsthumbnail(path: &str) -> Reference {
    #[cfg(feature = "reference-tools")]
    {
        let run = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new("vipsthumbnail")
                .args(args)
                .output()
                .unwrap_or_else(|error| {
                    panic!("vipsthumbnail does not run ({error}): install Debian's libvips-tools")
                })
        };
        let version = run(&["--vips-version".as_ref()]);
        eprintln!(
            "reference: {}",
            String::from_utf8_lossy(&version.stdout).trim()
        );
        let dir = common::temp::TempDir::new("vips");
        let out = dir.path().join("reference.png");
        let target = format!("{}[strip]", out.display());
        let output = run(&[
            corpus_path(path).as_os_str(),
            "-s".as_ref(),
            "100x100000".as_ref(),
            "-o".as_ref(),
            target.as_ref(),
        ]);
        assert!(output.status.success(), "vipsthumbnail failed on {path}");
        Reference::record("vipsthumbnail", path, "w100", Raster::from_image_file(&out))
    }
    #[cfg(not(feature = "reference-tools"))]
    Reference::load("vipsthumbnail", path, "w100")
}

#[test]
fn close_to_libvips_reference() {
    for (path, min_psnr) in [
        ("jpeg/exif_orientation_6.jpg", 30.0),
        ("jpeg/progressive_cat.jpg", 30.0),
        ("png/hopper_rgb.png", 30.0),
        ("jpeg/icc_adobergb_person.jpg", 28.0),
    ] {
        let reference = vipsthumbnail(path);
        let ours = render(
            &RenderRequest::stored(read(path))
                .width(100)
                .format(OutputFormat::Png),
        )
        .unwrap();
        let ours = Raster::from_image(decode(&ours.body));
        let score = reference.psnr(&ours, path);
        eprintln!("{path}: PSNR {score:.1} dB against vipsthumbnail");
        assert!(score > min_psnr, "{path}: PSNR {score:.1} dB < {min_psnr}");
    }
}

/// ImageMagick's full-size decode of the corpus file `path` (colour only: alpha is dropped), as
/// PNG: run live (and recorded) by the opt-in suite, read from `tests/reference/convert/`
/// otherwise.
fn convert_decode(path: &str) -> Reference {
    #[cfg(feature = "reference-tools")]
    {
        let dir = common::temp::TempDir::new("convert");
        let out = dir.path().join("reference.png");
        let output = std::process::Command::new("convert")
            .arg(corpus_path(path))
            .arg(&out)
            .output()
            .unwrap_or_else(|error| {
                panic!("convert does not run ({error}): install Debian's imagemagick")
            });
        assert!(output.status.success(), "convert failed on {path}");
        Reference::record("convert", path, "full", Raster::from_image_file(&out))
    }
    #[cfg(not(feature = "reference-tools"))]
    Reference::load("convert", path, "full")
}

/// TIFF colour models `image` does not interpret: YCbCr photometric and associated alpha
/// (un-premultiplied), against ImageMagick's decode (which libvips matches). The BT.709 file is
/// compared with libtiff instead ([`tiff_ycbcr_subsampled_matches_libtiff`]): ImageMagick 6.9
/// ignores its `YCbCrCoefficients` (38.5 dB from libtiff) and libvips 8.14 gets its colours wrong.
#[test]
fn tiff_ycbcr_and_associated_alpha_match_imagemagick() {
    for (path, min_psnr) in [
        ("tiff/ycbcr_jpeg_8bit.tif", 40.0),
        ("tiff/associated_alpha_lzw_predictor.tiff", 40.0),
    ] {
        let reference = convert_decode(path);
        let ours = render(&RenderRequest::stored(read(path)).format(OutputFormat::Png))
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        let ours = Raster::from_image(decode(&ours.body));
        let score = reference.psnr(&ours, path);
        println!("{path}: {score:.1} dB against ImageMagick");
        assert!(score >= min_psnr, "{path}: {score:.1} dB < {min_psnr}");
    }
}

/// libtiff's decode of the corpus file `path` (`tiff2rgba`, its RGBA reader, alpha dropped), as
/// PNG: run live (and recorded) by the opt-in suite, read from `tests/reference/tiff2rgba/`
/// otherwise. libvips 8.14 refuses subsampled YCbCr that is not JPEG-compressed and ImageMagick
/// 6.9 misreads it, so libtiff is the reference for those files.
fn tiff2rgba_decode(path: &str) -> Reference {
    #[cfg(feature = "reference-tools")]
    {
        let dir = common::temp::TempDir::new("tiff2rgba");
        let out = dir.path().join("reference.tif");
        let output = std::process::Command::new("tiff2rgba")
            .arg(corpus_path(path))
            .arg(&out)
            .output()
            .unwrap_or_else(|error| {
                panic!("tiff2rgba does not run ({error}): install Debian's libtiff-tools")
            });
        assert!(output.status.success(), "tiff2rgba failed on {path}");
        let rgb = image::open(&out).expect("tiff2rgba's TIFF").to_rgb8();
        let raster = Raster::from_image(image::DynamicImage::ImageRgb8(rgb));
        Reference::record("tiff2rgba", path, "full", raster)
    }
    #[cfg(not(feature = "reference-tools"))]
    Reference::load("tiff2rgba", path, "full")
}

/// YCbCr TIFFs converted with their own `YCbCrCoefficients` and `ReferenceBlackWhite`, against
/// libtiff's decode: the BT.709 file without subsampling, and the chroma-subsampled files that are
/// not JPEG-compressed (made by scripts/make_subsampled_ycbcr_corpus.sh): 2x1, 2x2, 4x1, 4x2 and
/// 4x4, uncompressed, LZW, Deflate and PackBits, data units padded at the right and bottom edges,
/// centred and cosited, BT.709 studio range.
#[test]
fn tiff_ycbcr_subsampled_matches_libtiff() {
    for (path, min_psnr) in [
        ("tiff/ycbcr_bt709_uncompressed.tif", 60.0),
        ("tiff/ycbcr_422_uncompressed_hopper.tif", 60.0),
        ("tiff/ycbcr_420_lzw_hopper.tif", 60.0),
        ("tiff/ycbcr_420_deflate_hopper.tif", 60.0),
        ("tiff/ycbcr_411_packbits_hopper.tif", 60.0),
        ("tiff/ycbcr_42_lzw_hopper.tif", 60.0),
        ("tiff/ycbcr_44_lzw_cosited_hopper.tif", 60.0),
        ("tiff/ycbcr_420_lzw_bt709_person.tif", 45.0),
    ] {
        let reference = tiff2rgba_decode(path);
        let ours = render(&RenderRequest::stored(read(path)).format(OutputFormat::Png))
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        let ours = Raster::from_image(decode(&ours.body));
        let score = reference.psnr(&ours, path);
        println!("{path}: {score:.1} dB against libtiff");
        assert!(score >= min_psnr, "{path}: {score:.1} dB < {min_psnr}");
    }
}

/// A subsampled YCbCr TIFF cut short or with damaged LZW data is refused with a decode error
/// (never a panic), whether it streams (full size) or not.
#[test]
fn tiff_ycbcr_subsampled_damage_is_a_decode_error() {
    for path in [
        "tiff/ycbcr_420_lzw_hopper.tif",
        "tiff/ycbcr_422_uncompressed_hopper.tif",
        "tiff/ycbcr_420_deflate_hopper.tif",
        "tiff/ycbcr_411_packbits_hopper.tif",
    ] {
        let bytes = read(path);
        let mut garbled = bytes.clone();
        // The strips follow the header and tags, which take less than the first 400 bytes.
        garbled[400..].fill(0xFF);
        let damaged = [
            bytes[..bytes.len() - 40].to_vec(),
            bytes[..bytes.len() / 2].to_vec(),
            garbled,
        ];
        for (case, damaged) in damaged.into_iter().enumerate() {
            if (path.contains("uncompressed") || path.contains("packbits")) && case == 2 {
                continue; // Any bytes are pixels, or runs of them.
            }
            for width in [None, Some(40)] {
                let mut request = RenderRequest::stored(damaged.clone()).format(OutputFormat::Png);
                if let Some(width) = width {
                    request = request.width(width);
                }
                let result = render(&request);
                assert!(
                    matches!(result, Err(Error::Decode { .. })),
                    "{path}, case {case}, width {width:?}: {:?}",
                    result.map(|response| response.body.len())
                );
            }
        }
    }
}

/// libwebp's scaled decode of the corpus WebP `path` to `size` (`dwebp -scale`, which resamples
/// the Y, U and V planes and converts the result to RGB), as PNG: run live (and recorded) by the
/// opt-in suite, read from `tests/reference/dwebp/` otherwise.
fn dwebp_scaled(path: &str, size: (u32, u32)) -> Reference {
    let variant = format!("scale-{}x{}", size.0, size.1);
    #[cfg(feature = "reference-tools")]
    {
        let dir = common::temp::TempDir::new("dwebp");
        let out = dir.path().join("reference.png");
        let output = std::process::Command::new("dwebp")
            .arg("-quiet")
            .args(["-scale", &size.0.to_string(), &size.1.to_string()])
            .arg(corpus_path(path))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap_or_else(|error| panic!("dwebp does not run ({error}): install Debian's webp"));
        assert!(output.status.success(), "dwebp failed on {path}");
        let raster = Raster::from_image(image::open(&out).expect("dwebp's PNG"));
        Reference::record("dwebp", path, &variant, raster)
    }
    #[cfg(not(feature = "reference-tools"))]
    Reference::load("dwebp", path, &variant)
}

/// Lossy WebPs shrunk by two or more resample their YUV planes and convert the result, as
/// libwebp's own scaled decode does (the one libvips, and so sharp, shrinks on load with):
/// against `dwebp -scale`, the remaining difference is the filter (Lanczos3 against libwebp's
/// area average). On saturated synthetic colours (`simple-rgb.webp`, green text on a red-blue
/// ramp) converting before or after the resample differs by far more than that: the RGB path
/// is 27 dB from libwebp's scaled decode there. Both leave the loop filter out.
#[test]
fn lossy_webp_shrinks_like_libwebps_scaled_decode() {
    for (path, width, min_psnr) in [
        (
            "suites/image-rs/webp/lossy_images/simple-rgb.webp",
            50,
            37.0,
        ),
        (
            "suites/image-rs/webp/lossy_images/simple-rgb.webp",
            17,
            32.0,
        ),
        ("other/webp_lossy_hopper.webp", 64, 32.0),
        ("other/webp_lossy_person.webp", 128, 36.0),
        ("other/webp_lossy_person_odd.webp", 60, 41.0),
    ] {
        let ours = render(
            &RenderRequest::stored(read(path))
                .width(width)
                .format(OutputFormat::Png),
        )
        .unwrap_or_else(|error| panic!("{path}: {error}"));
        let ours = Raster::from_image(decode(&ours.body));
        let reference = dwebp_scaled(path, (ours.width as u32, ours.height as u32));
        let score = reference.psnr(&ours, path);
        println!("{path} at {width}: {score:.1} dB against libwebp's scaled decode");
        assert!(
            score >= min_psnr,
            "{path} at {width}: {score:.1} dB < {min_psnr}"
        );
    }
}
