//! PNG metadata removal without re-encoding: the chunks are walked and the ones that carry
//! metadata are left out; the image data is copied byte for byte.

use bytes::Bytes;

use crate::{Error, Result};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that are kept because they change how the pixels look (colour space, gamma,
/// transparency, background, significant bits, physical size) or make the PNG an animation.
/// Every other ancillary chunk goes: text (`tEXt`, `zTXt`, `iTXt`), `eXIf`, `tIME`, and private
/// ones. Critical chunks (upper-case first letter) are always kept: the image needs them.
const KEPT_ANCILLARY: [&[u8; 4]; 13] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"cICP", b"mDCV", b"cLLI", b"sBIT", b"bKGD",
    b"pHYs", b"acTL", b"fcTL",
];

/// Whether a chunk of `kind` is kept.
fn keep(kind: &[u8; 4]) -> bool {
    // fdAT (animation frames) is ancillary by its name but carries pixels.
    kind[0].is_ascii_uppercase() || kind == b"fdAT" || KEPT_ANCILLARY.contains(&kind)
}

/// The PNG without its metadata chunks. A file that ends before `IEND` (truncated) is refused.
pub(super) fn strip_metadata(png: &[u8]) -> Result<Bytes> {
    if !png.starts_with(SIGNATURE) {
        return Err(corrupt("no PNG signature"));
    }
    let mut out = Vec::with_capacity(png.len());
    out.extend_from_slice(SIGNATURE);
    let mut at = SIGNATURE.len();
    loop {
        let header = png
            .get(at..at + 8)
            .ok_or_else(|| corrupt("the file ends before its IEND chunk (truncated)"))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let end = usize::try_from(length)
            .ok()
            .and_then(|length| (at + 12).checked_add(length))
            .filter(|&end| end <= png.len())
            .ok_or_else(|| corrupt("the file ends inside a chunk (truncated)"))?;
        if keep(&kind) {
            out.extend_from_slice(&png[at..end]);
        }
        if &kind == b"IEND" {
            return Ok(Bytes::from(out));
        }
        at = end;
    }
}

fn corrupt(reason: &str) -> Error {
    Error::decode(format!("PNG: {reason}")).into_upload_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(kind, data)` of every chunk.
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        let mut found = Vec::new();
        let mut at = 8;
        while at + 12 <= png.len() {
            let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
            found.push((kind, png[at + 8..at + 8 + length].to_vec()));
            at += 12 + length;
        }
        found
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut bytes = (data.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(&[0; 4]); // CRC: not checked by the walk
        bytes
    }

    #[test]
    fn text_and_exif_chunks_go_colour_and_pixels_stay() {
        let original = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/persons/2.png"
        ))
        .unwrap();
        let mut tagged = original[..33].to_vec(); // signature + IHDR
        tagged.extend(chunk(b"tEXt", b"Author\0Jane Doe, 59.91N 10.75E"));
        tagged.extend(chunk(b"eXIf", b"MM\0*secret"));
        tagged.extend(chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"));
        tagged.extend(chunk(b"gAMA", &45455u32.to_be_bytes()));
        tagged.extend_from_slice(&original[33..]);
        let stripped = strip_metadata(&tagged).unwrap();
        let kinds: Vec<[u8; 4]> = chunks(&stripped)
            .into_iter()
            .map(|(kind, _)| kind)
            .collect();
        assert!(kinds.contains(b"gAMA") && kinds.contains(b"IDAT"));
        for gone in [b"tEXt", b"eXIf", b"iTXt"] {
            assert!(!kinds.contains(gone), "{}", String::from_utf8_lossy(gone));
        }
        assert!(!stripped.windows(8).any(|w| w == b"Jane Doe"));
        let decoded = image::load_from_memory(&stripped).unwrap();
        assert_eq!(decoded, image::load_from_memory(&original).unwrap());
    }

    #[test]
    fn truncated_files_are_refused() {
        let original = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/persons/2.png"
        ))
        .unwrap();
        for cut in [4, 20, original.len() / 2, original.len() - 1] {
            assert_eq!(
                strip_metadata(&original[..cut]).unwrap_err().status(),
                422,
                "{cut}"
            );
        }
    }
}
