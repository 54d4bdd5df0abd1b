//! JPEG metadata removal without re-encoding: the marker segments are walked and the ones that
//! carry metadata are left out; the coded image data is copied byte for byte.

use bytes::Bytes;
use image::metadata::Orientation;

use crate::render::jpeg_marker::{Marker, SegmentError, Segments};
use crate::{Error, Result};

/// Marker segments that are kept: what decoding needs (tables, frame and scan headers, restart
/// interval), JFIF (`APP0`), ICC profiles (`APP2`) and Adobe's colour transform flag (`APP14`),
/// without which CMYK/YCCK files decode with wrong colours. Everything else before or between
/// scans goes: EXIF and XMP (`APP1`), IPTC/Photoshop (`APP13`), other applications' blocks and
/// comments (`COM`).
fn keep(marker: Marker, data: &[u8]) -> bool {
    match marker {
        Marker::App(0) => true,
        Marker::App(2) => data.starts_with(b"ICC_PROFILE\0"),
        Marker::App(14) => data.starts_with(b"Adobe"),
        Marker::App(_) | Marker::Com => false,
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
    // Where the entropy-coded data of the scan just read starts: it is copied byte for byte
    // (stuffed bytes and restart markers included) when the next marker segment is reached.
    let mut scan_data = None;
    for segment in Segments::new(jpeg, 2) {
        let segment = segment.map_err(|error| match error {
            SegmentError::NotAMarker { .. } => corrupt("bytes between marker segments"),
            SegmentError::BadLength { .. } => corrupt("a marker segment length below 2"),
            SegmentError::Truncated { .. } => truncated(),
        })?;
        if let Some(from) = scan_data {
            if matches!(segment.marker, Marker::Rst(_)) {
                continue;
            }
            out.extend_from_slice(&jpeg[from..segment.at]);
            scan_data = None;
        }
        match segment.marker {
            Marker::Eoi => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(Bytes::from(out));
            }
            // Other standalone markers outside entropy-coded data: copied.
            marker if marker.is_standalone() => {
                out.extend_from_slice(&[0xFF, marker.code()]);
                continue;
            }
            _ => {}
        }
        let data = segment.data;
        if segment.marker == Marker::App(1) && data.starts_with(b"Exif\0\0") {
            let found =
                Orientation::from_exif_chunk(&data[6..]).unwrap_or(Orientation::NoTransforms);
            if orientation == Orientation::NoTransforms {
                orientation = found;
            }
        }
        // The orientation goes where the EXIF block would be: after JFIF, before the tables.
        if !wrote_orientation && !matches!(segment.marker, Marker::App(_) | Marker::Com) {
            write_orientation(&mut out, orientation);
            wrote_orientation = true;
        }
        if keep(segment.marker, data) {
            out.extend_from_slice(&jpeg[segment.at..segment.end]);
        }
        if segment.marker == Marker::Sos {
            scan_data = Some(segment.end);
        }
    }
    Err(truncated())
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

/// The refusal of a file that ends before its end-of-image marker.
fn truncated() -> Error {
    corrupt("the file ends before its end-of-image marker (truncated)")
}

/// The refusal of a corrupt upload, saying why.
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

    /// A stray SOI between segments is the standalone marker it is (as the decoder reads it):
    /// copied, and the metadata segments after it still go.
    #[test]
    fn stray_start_of_image_is_a_standalone_marker() {
        let original = read("jpeg/exif_orientation_1.jpg");
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";
        let length = u16::try_from(xmp.len() + 2).unwrap().to_be_bytes();
        let mut tagged = vec![0xFF, 0xD8, 0xFF, 0xD8, 0xFF, 0xE1, length[0], length[1]];
        tagged.extend_from_slice(xmp);
        tagged.extend_from_slice(&original[2..]);
        let stripped = strip_metadata(&tagged).unwrap();
        assert_eq!(stripped[..4], [0xFF, 0xD8, 0xFF, 0xD8]);
        assert!(!stripped.windows(8).any(|w| w == b"xmpmeta/"));
        assert_eq!(stripped[4..], strip_metadata(&original).unwrap()[2..]);
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
