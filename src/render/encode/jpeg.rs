//! JPEG through `jpeg-encoder` (SIMD): 4:2:0 for colour, one channel for grey, alpha flattened.

use std::borrow::Cow;

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

use super::{check_u16_size, composite};
use crate::render::picture::Pixels;
use crate::render::RenderOptions;
use crate::{Error, Result};

/// Encodes `pixels` as a baseline JPEG at `options.jpeg_quality`, compositing any alpha over
/// `options.background`. Writes only the JFIF header: no EXIF, XMP or ICC segment.
pub(super) fn encode(pixels: &Pixels, options: &RenderOptions) -> Result<Vec<u8>> {
    let (width, height) = check_u16_size(pixels, "JPEG")?;
    let (samples, color_type) = flatten(pixels, options.background);
    #[cfg(feature = "turbojpeg")]
    if let Some(out) = turbo::encode(&samples, color_type, (width, height), options.jpeg_quality) {
        return Ok(out);
    }

    let mut out = Vec::with_capacity(samples.len() / 8 + 1024);
    let mut encoder = Encoder::new(&mut out, options.jpeg_quality.clamp(1, 100));
    if color_type != ColorType::Luma {
        encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
        // Averaging each 2×2 block (libjpeg's behaviour) avoids the aliasing of point sampling
        // on thin coloured edges, for a negligible cost.
        encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    }
    encoder
        .encode(&samples, width, height, color_type)
        .map_err(Error::encode)?;
    Ok(out)
}

/// libjpeg-turbo (feature `turbojpeg`): the same settings (quality, 4:2:0 for colour, one channel
/// for grey, a JFIF header only). `None` on any error, and `jpeg-encoder` then does the work.
#[cfg(feature = "turbojpeg")]
mod turbo {
    use jpeg_encoder::ColorType;
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    pub(super) fn encode(
        samples: &[u8],
        color_type: ColorType,
        (width, height): (u16, u16),
        quality: u8,
    ) -> Option<Vec<u8>> {
        let (format, subsamp) = match color_type {
            ColorType::Luma => (PixelFormat::GRAY, Subsamp::Gray),
            ColorType::Rgb => (PixelFormat::RGB, Subsamp::Sub2x2),
            _ => return None,
        };
        let (width, height) = (usize::from(width), usize::from(height));
        let pitch = width * format.size();
        if samples.len() < pitch * height {
            return None;
        }
        let mut compressor = Compressor::new().ok()?;
        compressor
            .set_quality(i32::from(quality.clamp(1, 100)))
            .ok()?;
        compressor.set_subsamp(subsamp).ok()?;
        let image = Image {
            pixels: samples,
            width,
            pitch,
            height,
            format,
        };
        compressor.compress_to_vec(image).ok()
    }
}

/// The samples to hand to the encoder: borrowed when there is no alpha, otherwise composited over
/// `background` (grey stays one channel when the background is grey too).
fn flatten(pixels: &Pixels, background: [u8; 3]) -> (Cow<'_, [u8]>, ColorType) {
    let [red, green, blue] = background;
    let grey_background = red == green && green == blue;
    match pixels {
        Pixels::Gray(image) => (Cow::Borrowed(image.as_raw().as_slice()), ColorType::Luma),
        Pixels::Rgb(image) => (Cow::Borrowed(image.as_raw().as_slice()), ColorType::Rgb),
        Pixels::GrayAlpha(image) if grey_background => {
            let samples = image
                .as_raw()
                .chunks_exact(2)
                .map(|la| composite(la[0], la[1], red))
                .collect();
            (Cow::Owned(samples), ColorType::Luma)
        }
        Pixels::GrayAlpha(image) => {
            let mut samples = Vec::with_capacity(image.as_raw().len() / 2 * 3);
            for la in image.as_raw().chunks_exact(2) {
                samples.extend(background.map(|bg| composite(la[0], la[1], bg)));
            }
            (Cow::Owned(samples), ColorType::Rgb)
        }
        Pixels::Rgba(image) => {
            let mut samples = Vec::with_capacity(image.as_raw().len() / 4 * 3);
            for rgba in image.as_raw().chunks_exact(4) {
                samples.extend([
                    composite(rgba[0], rgba[3], red),
                    composite(rgba[1], rgba[3], green),
                    composite(rgba[2], rgba[3], blue),
                ]);
            }
            (Cow::Owned(samples), ColorType::Rgb)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use image::{DynamicImage, RgbaImage};

    use crate::test_common::pixels::mean_abs_diff;

    #[test]
    fn round_trips_every_pixel_kind_closely() {
        let options = RenderOptions::default();
        for kind in KINDS {
            let pixels = gradient(kind, 96, 64);
            let bytes = encode(&pixels, &options).unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (96, 64), "{kind}");
            let expected = match &pixels {
                Pixels::Gray(image) => DynamicImage::ImageLuma8(image.clone()),
                Pixels::Rgb(image) => DynamicImage::ImageRgb8(image.clone()),
                Pixels::GrayAlpha(_) | Pixels::Rgba(_) => {
                    let (samples, color_type) = flatten(&pixels, options.background);
                    if color_type == ColorType::Luma {
                        DynamicImage::ImageLuma8(
                            image::GrayImage::from_raw(96, 64, samples.into_owned()).unwrap(),
                        )
                    } else {
                        DynamicImage::ImageRgb8(
                            image::RgbImage::from_raw(96, 64, samples.into_owned()).unwrap(),
                        )
                    }
                }
            };
            let grey = matches!(kind, "gray" | "gray-alpha");
            assert_eq!(decoded.color().channel_count(), if grey { 1 } else { 3 });
            // The alpha test pattern has hard 8-pixel checker edges, which JPEG rings on.
            let tolerance = if kind.ends_with("alpha") || kind == "rgba" {
                12.0
            } else {
                3.0
            };
            let diff = if grey {
                mean_abs_diff(decoded.to_luma8().as_raw(), expected.to_luma8().as_raw())
            } else {
                mean_abs_diff(decoded.to_rgb8().as_raw(), expected.to_rgb8().as_raw())
            };
            assert!(diff < tolerance, "{kind}: mean abs diff {diff}");
        }
    }

    #[test]
    fn smooth_colour_gradient_is_close() {
        let pixels = gradient("rgb", 256, 256);
        let bytes = encode(&pixels, &RenderOptions::default()).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let Pixels::Rgb(original) = &pixels else {
            unreachable!()
        };
        let diff = mean_abs_diff(decoded.as_raw(), original.as_raw());
        assert!(diff < 2.0, "mean abs diff {diff}");
    }

    #[test]
    fn transparent_becomes_the_background_never_black() {
        let transparent = Pixels::Rgba(RgbaImage::new(32, 32));
        let white = encode(&transparent, &RenderOptions::default()).unwrap();
        let decoded = image::load_from_memory(&white).unwrap().to_rgb8();
        assert!(decoded.pixels().all(|p| p.0.iter().all(|&c| c >= 250)));

        let options = RenderOptions::default().background([200, 30, 60]);
        let coloured = encode(&transparent, &options).unwrap();
        let decoded = image::load_from_memory(&coloured).unwrap().to_rgb8();
        let centre = decoded.get_pixel(16, 16).0;
        for (got, want) in centre.iter().zip([200u8, 30, 60]) {
            assert!(got.abs_diff(want) <= 4, "{centre:?}");
        }

        let grey_transparent = Pixels::GrayAlpha(image::GrayAlphaImage::new(16, 16));
        let bytes = encode(&grey_transparent, &RenderOptions::default()).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert!(decoded.pixels().all(|p| p.0[0] >= 250));
    }

    #[test]
    fn writes_no_app1_or_icc_segment() {
        for kind in KINDS {
            let bytes = encode(&gradient(kind, 40, 30), &RenderOptions::default()).unwrap();
            assert_eq!(&bytes[..2], [0xFF, 0xD8]);
            // Walk the marker segments up to the start of scan.
            let mut at = 2;
            while at + 4 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] != 0xDA {
                let marker = bytes[at + 1];
                assert!(
                    marker != 0xE1 && marker != 0xE2,
                    "{kind}: APP{} found",
                    marker - 0xE0
                );
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + length;
            }
            assert_eq!(bytes[at + 1], 0xDA, "{kind}: reached the scan");
        }
    }

    #[test]
    fn oversized_sides_are_clean_errors() {
        let wide = Pixels::Gray(image::GrayImage::new(65_536, 1));
        let error = encode(&wide, &RenderOptions::default()).unwrap_err();
        assert_eq!(error.status(), 500);
        let source = std::error::Error::source(&error).expect("the encoder's reason");
        assert!(source.to_string().contains("65535"), "{source}");
    }

    #[test]
    fn quality_changes_the_size() {
        let pixels = gradient("rgb", 128, 128);
        let low = encode(&pixels, &RenderOptions::default().jpeg_quality(20)).unwrap();
        let high = encode(&pixels, &RenderOptions::default().jpeg_quality(98)).unwrap();
        assert!(low.len() < high.len(), "{} vs {}", low.len(), high.len());
    }
}
