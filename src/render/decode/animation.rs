//! Animated GIF and WebP: every frame composited onto the full canvas by `image`, resized, with
//! its delay; the loop count from the container. Frames and summed canvas pixels are counted
//! against the limits while iterating.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::LoopCount;
use image::{AnimationDecoder, Frames, ImageDecoder};

use super::{check_area, image_error, image_limits, resize, still};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::{Frame, Picture, Pixels, Repeat};
use crate::{Error, Result};

/// Decodes every frame of an animated GIF or WebP, each resized to exactly `target` (the same crop
/// of every frame). A WebP
/// without animation, or any other format, is decoded as a still.
pub(super) fn decode(
    bytes: &[u8],
    format: ImageFormat,
    target: Target,
    limits: &Limits,
) -> Result<Picture> {
    match format {
        ImageFormat::Gif => {
            let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
            decoder
                .set_limits(image_limits(limits))
                .map_err(image_error)?;
            let canvas = decoder.dimensions();
            let repeat = repeat(decoder.loop_count());
            collect(decoder.into_frames(), canvas, repeat, target, limits)
        }
        ImageFormat::WebP => {
            let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
            if !decoder.has_animation() {
                return still::decode(bytes, format, target, limits);
            }
            decoder
                .set_limits(image_limits(limits))
                .map_err(image_error)?;
            let canvas = decoder.dimensions();
            let repeat = repeat(decoder.loop_count());
            collect(decoder.into_frames(), canvas, repeat, target, limits)
        }
        other => still::decode(bytes, other, target, limits),
    }
}

fn repeat(count: LoopCount) -> Repeat {
    match count {
        LoopCount::Infinite => Repeat::Infinite,
        LoopCount::Finite(times) => Repeat::Finite(u16::try_from(times.get()).unwrap_or(u16::MAX)),
    }
}

/// Resizes each composited frame as it comes, so only one full canvas is alive at a time.
fn collect(
    frames: Frames<'_>,
    canvas: (u32, u32),
    repeat: Repeat,
    target: Target,
    limits: &Limits,
) -> Result<Picture> {
    check_area(canvas.0, canvas.1, limits)?;
    let canvas_pixels = u64::from(canvas.0) * u64::from(canvas.1);
    let mut decoded = Vec::new();
    let mut total_pixels = 0u64;
    for frame in frames {
        limits.check_frames(decoded.len() as u64 + 1)?;
        total_pixels = total_pixels.saturating_add(canvas_pixels);
        limits.check_source_pixels(total_pixels)?;
        let frame = frame.map_err(image_error)?;
        let (numerator, denominator) = frame.delay().numer_denom_ms();
        let delay_ms = numerator.checked_div(denominator).unwrap_or(0);
        let pixels = resize::resize(Pixels::Rgba(frame.into_buffer()), target)?;
        decoded.push(Frame { pixels, delay_ms });
    }
    if decoded.is_empty() {
        return Err(Error::decode("the animation has no frames"));
    }
    Ok(Picture {
        frames: decoded,
        repeat,
    })
}
