//! PNG through `image`'s encoder: 8-bit grey, grey+alpha, RGB or RGBA, exactly as given.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::render::picture::Pixels;
use crate::render::PngCompression;
use crate::{Error, Result};

/// Encodes `pixels` losslessly in their own colour type. Only the critical chunks (IHDR, IDAT,
/// IEND) are written: no text, EXIF or ICC chunk.
pub(super) fn encode(pixels: &Pixels, compression: PngCompression) -> Result<Vec<u8>> {
    let (samples, color_type) = samples(pixels);
    let (width, height) = pixels.dimensions();
    let mut out = Vec::with_capacity(samples.len() / 2 + 1024);
    let (compression, filter) = settings(compression);
    PngEncoder::new_with_quality(&mut out, compression, filter)
        .write_image(samples, width, height, color_type)
        .map_err(Error::encode)?;
    Ok(out)
}

/// The codec settings for each effort level.
fn settings(compression: PngCompression) -> (CompressionType, FilterType) {
    // Adaptive filtering at every level: on photos it is the smallest or nearly, and a fixed
    // filter saves little time (README, "Performance").
    match compression {
        PngCompression::Fast => (CompressionType::Fast, FilterType::Adaptive),
        PngCompression::Balanced => (CompressionType::Default, FilterType::Adaptive),
        PngCompression::Best => (CompressionType::Best, FilterType::Adaptive),
    }
}

/// The raw samples and their colour type.
pub(super) fn samples(pixels: &Pixels) -> (&[u8], ExtendedColorType) {
    match pixels {
        Pixels::Gray(image) => (image.as_raw(), ExtendedColorType::L8),
        Pixels::GrayAlpha(image) => (image.as_raw(), ExtendedColorType::La8),
        Pixels::Rgb(image) => (image.as_raw(), ExtendedColorType::Rgb8),
        Pixels::Rgba(image) => (image.as_raw(), ExtendedColorType::Rgba8),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use image::ColorType;

    #[test]
    fn round_trips_every_pixel_kind_exactly() {
        for compression in [
            PngCompression::Fast,
            PngCompression::Balanced,
            PngCompression::Best,
        ] {
            for kind in KINDS {
                let pixels = gradient(kind, 50, 33);
                let bytes = encode(&pixels, compression).unwrap();
                let decoded = image::load_from_memory(&bytes).unwrap();
                let expected = match kind {
                    "gray" => ColorType::L8,
                    "gray-alpha" => ColorType::La8,
                    "rgb" => ColorType::Rgb8,
                    _ => ColorType::Rgba8,
                };
                assert_eq!(decoded.color(), expected, "{kind}");
                assert_eq!((decoded.width(), decoded.height()), (50, 33));
                assert_eq!(decoded.as_bytes(), samples(&pixels).0, "{kind}");
            }
        }
    }

    #[test]
    fn writes_only_critical_chunks() {
        for kind in KINDS {
            let bytes = encode(&gradient(kind, 20, 20), PngCompression::Fast).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            let mut at = 8;
            let mut chunks = Vec::new();
            while at + 8 <= bytes.len() {
                let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
                chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
                at += 12 + length;
            }
            assert_eq!(at, bytes.len(), "{kind}: chunk walk ends at the end");
            for chunk in &chunks {
                assert!(
                    matches!(chunk.as_str(), "IHDR" | "IDAT" | "IEND"),
                    "{kind}: unexpected chunk {chunk} in {chunks:?}"
                );
            }
        }
    }

    #[test]
    fn more_effort_is_not_larger() {
        let pixels = gradient("rgb", 200, 150);
        let fast = encode(&pixels, PngCompression::Fast).unwrap().len();
        let best = encode(&pixels, PngCompression::Best).unwrap().len();
        assert!(best <= fast, "best {best} > fast {fast}");
    }
}
