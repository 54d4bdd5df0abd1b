//! TIFF through `image`'s encoder: 8-bit grey, RGB or RGBA.

use std::io::Cursor;

use image::codecs::tiff::TiffEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};

use crate::render::picture::Pixels;
use crate::{Error, Result};

/// Encodes `pixels` as a baseline TIFF. Grey stays one channel (SPEC §5: grey stays grey where the
/// format allows it); grey with alpha becomes RGBA, which the encoder can write.
///
/// `image` 0.25 always writes uncompressed strips; lossless compression needs the `tiff` crate as
/// a direct dependency (its encoder takes `with_compression(Compression::Deflate(..))`).
pub(super) fn encode(pixels: &Pixels) -> Result<Vec<u8>> {
    let (width, height) = pixels.dimensions();
    let expanded;
    let (samples, color_type): (&[u8], _) = match pixels {
        Pixels::Gray(image) => (image.as_raw(), ExtendedColorType::L8),
        Pixels::Rgb(image) => (image.as_raw(), ExtendedColorType::Rgb8),
        Pixels::Rgba(image) => (image.as_raw(), ExtendedColorType::Rgba8),
        Pixels::GrayAlpha(image) => {
            let mut rgba = RgbaImage::new(width, height);
            for (out, la) in rgba.pixels_mut().zip(image.pixels()) {
                let [luma, alpha] = la.0;
                out.0 = [luma, luma, luma, alpha];
            }
            expanded = rgba;
            (expanded.as_raw(), ExtendedColorType::Rgba8)
        }
    };
    let mut out = Cursor::new(Vec::with_capacity(samples.len() + 1024));
    TiffEncoder::new(&mut out)
        .write_image(samples, width, height, color_type)
        .map_err(Error::encode)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use image::ColorType;

    #[test]
    fn round_trips_every_pixel_kind_exactly() {
        for kind in KINDS {
            let pixels = gradient(kind, 41, 29);
            let bytes = encode(&pixels).unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (41, 29), "{kind}");
            match &pixels {
                Pixels::Gray(image) => {
                    assert_eq!(decoded.color(), ColorType::L8);
                    assert_eq!(decoded.as_bytes(), image.as_raw().as_slice());
                }
                Pixels::Rgb(image) => {
                    assert_eq!(decoded.color(), ColorType::Rgb8);
                    assert_eq!(decoded.as_bytes(), image.as_raw().as_slice());
                }
                Pixels::Rgba(image) => {
                    assert_eq!(decoded.color(), ColorType::Rgba8);
                    assert_eq!(decoded.as_bytes(), image.as_raw().as_slice());
                }
                Pixels::GrayAlpha(image) => {
                    assert_eq!(decoded.color(), ColorType::Rgba8);
                    let expected = image::DynamicImage::ImageLumaA8(image.clone()).into_rgba8();
                    assert_eq!(decoded.as_bytes(), expected.as_raw().as_slice());
                }
            }
        }
    }
}
