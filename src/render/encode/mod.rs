//! Pixels to bytes: JPEG, PNG, GIF (animated too), TIFF and, with the `webp` feature, WebP
//! (animated too), without metadata.
//!
//! Each format lives in its own file; this module checks what every encoder needs (a non-empty
//! picture) and dispatches. No encoder writes EXIF, XMP, GPS or ICC data: person photos are
//! personal data, and the pixels are already sRGB and upright.

mod gif;
mod jpeg;
mod png;
mod tiff;
#[cfg(feature = "webp")]
mod webp;

use super::picture::{Frame, Picture, Pixels};
use super::RenderOptions;
use crate::format::OutputFormat;
use crate::{Error, Result};

/// What the pixels show, for the encoders that choose between lossy and lossless (WebP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "webp"), allow(dead_code))]
pub(crate) enum Content {
    /// A photo: lossy compression at the configured quality.
    Photo,
    /// Drawn artwork (placeholders): flat colours and hard edges, kept exact.
    Artwork,
}

/// Encodes `picture` as `format`. JPEG composites alpha over `options.background`; only GIF and
/// WebP keep every frame of an animation, the other formats take the first.
#[cfg_attr(not(feature = "webp"), allow(unused_variables))]
pub(crate) fn encode(
    picture: &Picture,
    format: OutputFormat,
    options: &RenderOptions,
    content: Content,
) -> Result<Vec<u8>> {
    let first = first_frame(picture)?;
    match format {
        OutputFormat::Jpeg => jpeg::encode(&first.pixels, options),
        OutputFormat::Png => png::encode(&first.pixels, options.png_compression),
        OutputFormat::Gif => gif::encode(picture, options.gif_speed),
        OutputFormat::Tiff => tiff::encode(&first.pixels),
        #[cfg(feature = "webp")]
        OutputFormat::WebP => webp::encode(picture, options.webp_quality, content),
        #[cfg(not(feature = "webp"))]
        OutputFormat::WebP => Err(format.not_enabled()),
    }
}

/// The first frame, after checking that the picture has pixels at all.
fn first_frame(picture: &Picture) -> Result<&Frame> {
    let frame = picture
        .frames
        .first()
        .ok_or_else(|| failure("the picture has no frames".to_owned()))?;
    let (width, height) = frame.pixels.dimensions();
    if width == 0 || height == 0 {
        return Err(failure(format!(
            "cannot encode an empty {width}x{height} image"
        )));
    }
    Ok(frame)
}

/// Checks that both sides fit a format whose header stores them in 16 bits.
fn check_u16_size(pixels: &Pixels, format: &str) -> Result<(u16, u16)> {
    let (width, height) = pixels.dimensions();
    match (u16::try_from(width), u16::try_from(height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(failure(format!(
            "{format} sides are at most 65535 pixels, got {width}x{height}"
        ))),
    }
}

/// An encode error raised by this crate rather than by a codec.
fn failure(reason: String) -> Error {
    Error::encode(reason)
}

/// Source-over compositing of one 8-bit channel on an opaque background, rounded to nearest:
/// `(c·a + bg·(255 − a)) / 255`.
#[inline]
fn composite(colour: u8, alpha: u8, background: u8) -> u8 {
    let sum = u32::from(colour) * u32::from(alpha) + u32::from(background) * u32::from(255 - alpha);
    // Exact rounded division by 255 for 0 ≤ sum ≤ 255·255.
    let rounded = sum + 128;
    ((rounded + (rounded >> 8)) >> 8) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::picture::Repeat;
    use image::{GrayAlphaImage, GrayImage, RgbImage, RgbaImage};

    /// A smooth test picture of each pixel kind, `width`×`height`.
    pub(super) fn gradient(kind: &str, width: u32, height: u32) -> Pixels {
        let r = |x: u32, _y: u32| (x * 255 / width.max(2).saturating_sub(1).max(1)) as u8;
        let g = |_x: u32, y: u32| (y * 255 / height.max(2).saturating_sub(1).max(1)) as u8;
        let b = |x: u32, y: u32| ((x + y) * 255 / (width + height).max(2)) as u8;
        let a = |x: u32, y: u32| {
            if (x / 8 + y / 8).is_multiple_of(2) {
                255
            } else {
                0
            }
        };
        match kind {
            "gray" => Pixels::Gray(GrayImage::from_fn(width, height, |x, y| {
                image::Luma([r(x, y) / 2 + g(x, y) / 2])
            })),
            "gray-alpha" => Pixels::GrayAlpha(GrayAlphaImage::from_fn(width, height, |x, y| {
                image::LumaA([r(x, y) / 2 + g(x, y) / 2, a(x, y)])
            })),
            "rgb" => Pixels::Rgb(RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([r(x, y), g(x, y), b(x, y)])
            })),
            _ => Pixels::Rgba(RgbaImage::from_fn(width, height, |x, y| {
                image::Rgba([r(x, y), g(x, y), b(x, y), a(x, y)])
            })),
        }
    }

    pub(super) const KINDS: [&str; 4] = ["gray", "gray-alpha", "rgb", "rgba"];

    #[test]
    fn composite_rounds_to_nearest_exactly() {
        for colour in 0..=255u8 {
            for alpha in 0..=255u8 {
                for background in [0u8, 1, 127, 200, 255] {
                    let exact = (f64::from(colour) * f64::from(alpha)
                        + f64::from(background) * f64::from(255 - alpha))
                        / 255.0;
                    assert_eq!(
                        composite(colour, alpha, background),
                        exact.round() as u8,
                        "{colour} {alpha} {background}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_pictures_are_encode_errors_not_panics() {
        let options = RenderOptions::default();
        let no_frames = Picture {
            frames: Vec::new(),
            repeat: Repeat::Infinite,
        };
        let zero = Picture::still(Pixels::Rgb(RgbImage::new(0, 5)));
        for format in OutputFormat::enabled() {
            for picture in [&no_frames, &zero] {
                let error = encode(picture, format, &options, Content::Photo).unwrap_err();
                assert_eq!(error.status(), 500, "{format}: {error}");
            }
        }
    }

    #[test]
    fn every_format_and_pixel_kind_decodes_back_to_the_same_size() {
        let options = RenderOptions::default();
        for format in OutputFormat::enabled() {
            for kind in KINDS {
                for (width, height) in [(1, 1), (37, 21), (64, 48)] {
                    let picture = Picture::still(gradient(kind, width, height));
                    let bytes = encode(&picture, format, &options, Content::Photo).unwrap();
                    let decoded = image::load_from_memory(&bytes)
                        .unwrap_or_else(|e| panic!("{format} {kind}: {e}"));
                    assert_eq!(
                        (decoded.width(), decoded.height()),
                        (width, height),
                        "{format} {kind}"
                    );
                }
            }
        }
    }
}
