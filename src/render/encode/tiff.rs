//! TIFF through the `tiff` crate: 8-bit grey, RGB or RGBA, Deflate with a horizontal predictor.

use std::io::Cursor;

use image::RgbaImage;
use tiff::encoder::{colortype, Compression, DeflateLevel, Predictor, TiffEncoder};

use crate::render::picture::Pixels;
use crate::{Error, Result};

/// Encodes `pixels` as a lossless, Deflate-compressed TIFF. Grey stays one channel (SPEC §5: grey
/// stays grey where the format allows it); grey with alpha becomes RGBA, which baseline readers
/// understand more widely than grey + extra sample.
pub(super) fn encode(pixels: &Pixels) -> Result<Vec<u8>> {
    let (width, height) = pixels.dimensions();
    let mut out = Cursor::new(Vec::new());
    // The horizontal predictor turns smooth photo rows into small differences, which Deflate
    // compresses far better (README, "Performance").
    let mut encoder = TiffEncoder::new(&mut out)
        .map_err(Error::encode)?
        .with_compression(Compression::Deflate(DeflateLevel::Fast))
        .with_predictor(Predictor::Horizontal);
    let written = match pixels {
        Pixels::Gray(image) => {
            encoder.write_image::<colortype::Gray8>(width, height, image.as_raw())
        }
        Pixels::Rgb(image) => encoder.write_image::<colortype::RGB8>(width, height, image.as_raw()),
        Pixels::Rgba(image) => {
            encoder.write_image::<colortype::RGBA8>(width, height, image.as_raw())
        }
        Pixels::GrayAlpha(image) => {
            let mut rgba = RgbaImage::new(width, height);
            for (out, la) in rgba.pixels_mut().zip(image.pixels()) {
                let [luma, alpha] = la.0;
                out.0 = [luma, luma, luma, alpha];
            }
            encoder.write_image::<colortype::RGBA8>(width, height, rgba.as_raw())
        }
    };
    written.map_err(Error::encode)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use image::ColorType;

    #[test]
    fn output_is_deflate_compressed() {
        let pixels = gradient(KINDS[2], 64, 64);
        let bytes = encode(&pixels).unwrap();
        let mut decoder = tiff::decoder::Decoder::new(Cursor::new(&bytes)).unwrap();
        let compression = decoder.get_tag_u32(tiff::tags::Tag::Compression).unwrap();
        assert_eq!(compression, 8, "Adobe Deflate");
        assert!(bytes.len() < 64 * 64 * 3 / 2, "{} bytes", bytes.len());
    }

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
