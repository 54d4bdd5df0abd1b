//! JPEG metadata removal without re-encoding: the marker segments are walked and the ones that
//! carry metadata are left out; the coded image data is copied byte for byte.

use bytes::Bytes;
use image::metadata::Orientation;

use crate::{Error, Result};

/// Marker segments that are kept: what decoding needs (tables, frame and scan headers, restart
/// interval), JFIF (`APP0`), ICC profiles (`APP2`) and Adobe's colour transform flag (`APP14`),
/// without which CMYK/YCCK files decode with wrong colours. Everything else before or between
/// scans goes: EXIF and XMP (`APP1`), IPTC/Photoshop (`APP13`), other applications' blocks and
/// comments (`COM`).
fn keep(marker: u8, data: &[u8]) -> bool {
    match marker {
        0xE0 => true,
        0xE2 => data.starts_with(b"ICC_PROFILE\0"),
        0xEE => data.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// The JPEG without its metadata segments; a non-default EXIF orientation is kept as a minimal
/// EXIF block holding only that tag, so the photo still displays upright. A file that does not
/// end in an end-of-image marker (truncated) is refused.
pub(super) fn strip_metadata(jpeg: &[u8]) -> Result<Bytes> {
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut orientation = Orientation::NoTransforms;
    let mut wrote_orientation = false;
    let mut at = 2;
    loop {
        // Fill bytes (0xFF runs) may precede a marker.
        let marker_at = at
            + jpeg
                .get(at..)
                .ok_or_else(truncated)?
                .iter()
                .take_while(|&&byte| byte == 0xFF)
                .count();
        if marker_at == at || marker_at >= jpeg.len() {
            return Err(truncated_or_corrupt(marker_at >= jpeg.len()));
        }
        let marker = jpeg[marker_at];
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(Bytes::from(out));
            }
            0xD0..=0xD7 | 0x01 => {
                // Parameterless markers outside entropy data: copy.
                out.extend_from_slice(&[0xFF, marker]);
                at = marker_at + 1;
                continue;
            }
            _ => {}
        }
        let length_at = marker_at + 1;
        let length = jpeg
            .get(length_at..length_at + 2)
            .map(|bytes| usize::from(u16::from_be_bytes([bytes[0], bytes[1]])))
            .ok_or_else(truncated)?;
        if length < 2 {
            return Err(corrupt("a marker segment length below 2"));
        }
        let end = length_at + length;
        let segment = jpeg.get(marker_at - 1..end).ok_or_else(truncated)?;
        let data = &segment[4..];
        if marker == 0xE1 && data.starts_with(b"Exif\0\0") {
            let found =
                Orientation::from_exif_chunk(&data[6..]).unwrap_or(Orientation::NoTransforms);
            if orientation == Orientation::NoTransforms {
                orientation = found;
            }
        }
        // The orientation goes where the EXIF block would be: after JFIF, before the tables.
        if !wrote_orientation && !matches!(marker, 0xE0..=0xEF | 0xFE) {
            write_orientation(&mut out, orientation);
            wrote_orientation = true;
        }
        if keep(marker, data) {
            out.extend_from_slice(segment);
        }
        at = end;
        if marker == 0xDA {
            at = end_of_entropy_data(jpeg, at, &mut out)?;
        }
    }
}

/// Copies the entropy-coded data that starts at `from` (stuffed bytes and restart markers
/// included) and returns where the next marker segment starts.
fn end_of_entropy_data(jpeg: &[u8], from: usize, out: &mut Vec<u8>) -> Result<usize> {
    let mut at = from;
    loop {
        let offset = jpeg
            .get(at..)
            .and_then(|rest| rest.iter().position(|&byte| byte == 0xFF))
            .ok_or_else(truncated)?;
        let marker_at = at + offset;
        match jpeg.get(marker_at + 1) {
            None => return Err(truncated()),
            // A stuffed zero or a restart marker belongs to the data.
            Some(0x00 | 0xD0..=0xD7) => at = marker_at + 2,
            // Fill bytes before a marker.
            Some(0xFF) => at = marker_at + 1,
            Some(_) => {
                out.extend_from_slice(&jpeg[from..marker_at]);
                return Ok(marker_at);
            }
        }
    }
}

/// Writes an `APP1` EXIF block holding only `orientation` (nothing when it is the default): a
/// big-endian TIFF header and one IFD with one entry.
fn write_orientation(out: &mut Vec<u8>, orientation: Orientation) {
    if orientation == Orientation::NoTransforms {
        return;
    }
    let tiff: [u8; 26] = [
        b'M',
        b'M',
        0,
        42,
        0,
        0,
        0,
        8, // big-endian TIFF, first IFD at offset 8
        0,
        1, // one entry
        0x01,
        0x12,
        0,
        3,
        0,
        0,
        0,
        1, // Orientation, SHORT, count 1
        0,
        orientation.to_exif(),
        0,
        0, // the value, left-justified
        0,
        0,
        0,
        0, // no next IFD
    ];
    let length = 2 + 6 + tiff.len();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
}

fn truncated() -> Error {
    truncated_or_corrupt(true)
}

fn truncated_or_corrupt(truncated: bool) -> Error {
    if truncated {
        corrupt("the file ends before its end-of-image marker (truncated)")
    } else {
        corrupt("bytes between marker segments")
    }
}

fn corrupt(reason: &str) -> Error {
    Error::decode(format!("JPEG: {reason}")).into_upload_error()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_common::corpus::corpus_bytes as read;

    /// The markers of the segments in `jpeg` before its first scan, with their first data bytes.
    fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut found = Vec::new();
        let mut at = 2;
        while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
            let marker = jpeg[at + 1];
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            let data = &jpeg[at + 4..at + 2 + length];
            found.push((marker, data[..data.len().min(12)].to_vec()));
            if marker == 0xDA {
                break;
            }
            at += 2 + length;
        }
        found
    }

    #[test]
    fn orientation_survives_and_other_exif_goes() {
        for n in 1..=8u8 {
            let original = read(&format!("jpeg/exif_orientation_{n}.jpg"));
            let stripped = strip_metadata(&original).unwrap();
            let app1: Vec<_> = segments(&stripped)
                .into_iter()
                .filter(|(marker, _)| *marker == 0xE1)
                .collect();
            let expected = if n == 1 { 0 } else { 1 };
            assert_eq!(app1.len(), expected, "orientation {n}");
            let exif = stripped.windows(6).position(|w| w == b"Exif\0\0");
            if let Some(exif) = exif {
                let chunk = &stripped[exif + 6..];
                assert_eq!(Orientation::from_exif_chunk(chunk).unwrap().to_exif(), n);
            }
            // The coded data is untouched: the file ends the same way.
            assert!(original.ends_with(&stripped[stripped.len() - 1000..]));
        }
    }

    #[test]
    fn truncated_files_are_refused() {
        let original = read("jpeg/exif_orientation_1.jpg");
        for cut in [3, 20, original.len() / 2, original.len() - 2] {
            let error = strip_metadata(&original[..cut]).unwrap_err();
            assert_eq!(error.status(), 422, "cut at {cut}");
            assert!(error.message().contains("uploaded"), "{}", error.message());
        }
    }
}
