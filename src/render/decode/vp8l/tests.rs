//! The VP8L decoder against libwebp's lossless test vectors (bit-exact, by the MD5 of dwebp's
//! output), against image-webp on the corpus's lossless photos, and on broken streams.

use md5::{Digest, Md5};

use super::*;
use crate::render::webp_chunks::chunks;

fn corpus(path: &str) -> Vec<u8> {
    read(&format!("tests/corpus/{path}"))
}

fn reference(path: &str) -> Vec<u8> {
    read(&format!("tests/reference/{path}"))
}

fn read(path: &str) -> Vec<u8> {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The VP8L chunk of a WebP file.
fn bitstream(file: &[u8]) -> &[u8] {
    chunks(file)
        .find(|chunk| chunk.kind == b"VP8L")
        .expect("a VP8L chunk")
        .payload
}

/// Decodes a whole bitstream, `band_rows` rows at a time, to RGBA.
fn decode_rgba(bitstream: &[u8], band_rows: usize) -> Result<(Header, Vec<u8>)> {
    let header = header(bitstream).ok_or_else(|| corrupt("no header"))?;
    let (mut rows, mut transforms) = open(bitstream, band_rows)?;
    let mut band = vec![0u32; band_rows * rows.width()];
    let mut rgba = Vec::new();
    loop {
        let filled = rows.fill(&mut band)?;
        if filled == 0 {
            break;
        }
        for &argb in transforms.apply(&mut band, filled)? {
            let [alpha, red, green, blue] = argb.to_be_bytes();
            rgba.extend_from_slice(&[red, green, blue, alpha]);
        }
    }
    Ok((header, rgba))
}

#[test]
fn libwebps_lossless_vectors_decode_bit_exactly() {
    let expected = String::from_utf8(reference("libwebp/pam.md5")).unwrap();
    let mut checked = 0;
    for line in expected.lines().filter(|line| !line.starts_with('#')) {
        let (sum, name) = line.split_once("  ").unwrap();
        let file = corpus(&format!("suites/libwebp/{}", name.trim_end_matches(".pam")));
        for band_rows in [1, 5, 64] {
            let (header, rgba) = decode_rgba(bitstream(&file), band_rows)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            // dwebp's PAM: this header, then the RGBA samples.
            let mut pam = format!(
                "P7\nWIDTH {}\nHEIGHT {}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n",
                header.width, header.height
            )
            .into_bytes();
            pam.extend_from_slice(&rgba);
            let digest: String = Md5::digest(&pam)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(digest, sum, "{name}, bands of {band_rows} rows");
        }
        checked += 1;
    }
    assert_eq!(checked, 42);
}

#[test]
fn photos_decode_as_image_webp_decodes_them_whatever_the_band() {
    for (name, band_rows) in [
        // 1.2 million pixels: the window lets go of the first rows.
        ("other/webp_lossless_person.webp", 13),
        ("other/webp_lossless_person_exif6.webp", 32),
        ("other/webp_lossless_alpha_tux.webp", 3),
        ("suites/image-rs/webp/lossless_images/2-color.webp", 300),
    ] {
        let file = corpus(name);
        let reference = image::load_from_memory(&file).unwrap().into_rgba8();
        let (header, rgba) = decode_rgba(bitstream(&file), band_rows).unwrap();
        assert_eq!((header.width, header.height), reference.dimensions());
        if header.alpha {
            assert!(rgba == reference.as_raw()[..], "{name}");
        } else {
            // Without the alpha hint, image-webp reports every pixel opaque.
            let rgb = |pixels: &[u8]| -> Vec<u8> {
                pixels
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect()
            };
            assert!(rgb(&rgba) == rgb(reference.as_raw()), "{name}");
        }
    }
    // The first photo is larger than the window.
    let file = corpus("other/webp_lossless_person.webp");
    let (rows, _) = open(bitstream(&file), 13).unwrap();
    assert!(rows.window.capacity() < 1200 * 1000);
}

#[test]
fn a_stream_cut_short_is_an_error_and_broken_bytes_never_panic() {
    let file = corpus("suites/libwebp/lossless4.webp");
    let full = bitstream(&file);
    for length in (0..full.len() * 9 / 10).step_by(7) {
        assert!(decode_rgba(&full[..length], 4).is_err(), "cut at {length}");
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for name in [
        "suites/libwebp/lossless4.webp",
        "suites/libwebp/lossless_vec_2_15.webp",
        "suites/libwebp/color_cache_bits_11.webp",
        "suites/libwebp/dual_transform.webp",
    ] {
        let file = corpus(name);
        let original = bitstream(&file);
        for _ in 0..200 {
            let mut broken = original.to_vec();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Past the five header bytes: the size stays what the caller checked.
                let at = 5 + (seed as usize % (broken.len() - 5));
                broken[at] ^= 1 << ((seed >> 40) % 8);
            }
            let _ = decode_rgba(&broken, 16);
        }
    }
}

#[test]
fn the_header_gives_size_and_alpha_hint() {
    let file = corpus("other/webp_lossless_alpha_tux.webp");
    assert_eq!(
        header(bitstream(&file)),
        Some(Header {
            width: 386,
            height: 395,
            alpha: true
        })
    );
    assert_eq!(header(&[0x2f, 0, 0, 0]), None);
    assert_eq!(header(&[0x2e, 0, 0, 0, 0]), None);
    // Version 1 does not exist.
    assert_eq!(header(&[0x2f, 0, 0, 0, 0x20]), None);
}
