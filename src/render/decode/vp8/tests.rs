//! The VP8 decoder against libwebp: its test vectors (the VP8 conformance streams among them)
//! and the corpus's lossy WebPs decode to the planes `dwebp -nofilter` reconstructs, bit for bit
//! (by MD5, tests/reference/libwebp/vp8_unfiltered.md5); broken streams are errors.

use md5::{Digest, Md5};

use super::*;
use crate::render::webp_chunks::chunks;

fn read(path: &str) -> Vec<u8> {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The VP8 chunk of a WebP file.
fn bitstream(file: &[u8]) -> &[u8] {
    chunks(file)
        .find(|chunk| chunk.kind == b"VP8 ")
        .expect("a VP8 chunk")
        .payload
}

/// Decodes a whole frame to its planes as dwebp's `-yuv` writes them: Y, then U, then V, each
/// only as wide and high as it shows the picture.
fn decode_planes(payload: &[u8]) -> Result<Vec<u8>> {
    decode_planes_overlapping(payload, false)
}

/// [`decode_planes`], reading the coefficients on a thread of their own with `overlap`.
fn decode_planes_overlapping(payload: &[u8], overlap: bool) -> Result<Vec<u8>> {
    let frame = open(payload)?;
    let (width, height) = frame.size();
    let (width, chroma_width) = (width as usize, width.div_ceil(2) as usize);
    let (mut y, mut u, mut v) = (Vec::new(), Vec::new(), Vec::new());
    frame.decode(overlap, |rows| {
        for line in rows.y.chunks(rows.y_stride).take(rows.luma_rows) {
            y.extend_from_slice(&line[..width]);
        }
        for (plane, out) in [(rows.u, &mut u), (rows.v, &mut v)] {
            for line in plane.chunks(rows.uv_stride).take(rows.chroma_rows) {
                out.extend_from_slice(&line[..chroma_width]);
            }
        }
        Ok(())
    })?;
    assert_eq!(y.len(), width * height as usize);
    y.extend_from_slice(&u);
    y.extend_from_slice(&v);
    Ok(y)
}

#[test]
fn libwebps_vectors_and_the_corpus_decode_as_dwebp_nofilter_decodes_them() {
    let expected = String::from_utf8(read("tests/reference/libwebp/vp8_unfiltered.md5")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in expected.lines().filter(|line| !line.starts_with('#')) {
        let (sum, name) = line.split_once("  ").unwrap();
        let file = read(&format!("tests/corpus/{name}"));
        // The small vectors on one thread, the larger ones on two.
        let decoded = decode_planes_overlapping(bitstream(&file), file.len() > 10_000);
        match (sum, decoded) {
            ("error", Err(_)) => {}
            ("error", Ok(_)) => failures.push(format!("{name}: decoded, dwebp refuses it")),
            (_, Err(error)) => failures.push(format!("{name}: {error}")),
            (sum, Ok(planes)) => {
                let digest: String = Md5::digest(&planes)
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                if digest != sum {
                    failures.push(format!("{name}: MD5 {digest}, dwebp's {sum}"));
                }
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 80);
}

#[test]
fn cut_and_corrupted_streams_are_errors_or_pictures_never_panics() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "suites/libwebp/vp80-00-comprehensive-006.webp",
        "suites/libwebp/vp80-04-partitions-1405.webp",
        "suites/libwebp/vp80-03-segmentation-1437.webp",
        "suites/libwebp/lossy_extreme_probabilities.webp",
        "other/webp_lossy_person_odd.webp",
    ] {
        let file = read(&format!("tests/corpus/{name}"));
        let payload = bitstream(&file);
        // Cut anywhere: the header is refused or the partitions run out, as an error.
        let mut refused = 0;
        for keep in (0..payload.len()).step_by(payload.len() / 97 + 1) {
            refused += usize::from(decode_planes(&payload[..keep]).is_err());
        }
        assert!(refused > 90, "{name}: only {refused} cuts refused");
        // Bytes changed anywhere after the size: whatever the outcome, no panic.
        for _ in 0..200 {
            let mut broken = payload.to_vec();
            for _ in 0..1 + next() % 4 {
                let at = 10 + (next() as usize) % (broken.len() - 10);
                broken[at] ^= 1 << (next() % 8);
            }
            let _ = decode_planes(&broken);
        }
    }
}

#[test]
fn a_frame_that_is_not_a_shown_key_frame_is_refused() {
    let file = read("tests/corpus/suites/libwebp/test.webp");
    let payload = bitstream(&file).to_vec();
    let mut inter = payload.clone();
    inter[0] |= 1;
    assert!(open(&inter).is_err());
    let mut hidden = payload.clone();
    hidden[0] &= !0x10;
    assert!(open(&hidden).is_err());
    let mut no_start_code = payload;
    no_start_code[3] = 0;
    assert!(open(&no_start_code).is_err());
}
