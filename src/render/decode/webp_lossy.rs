//! Still lossy WebP without alpha or ICC profile, through its YUV 4:2:0 planes: `rusty_webp`
//! decodes the VP8 picture to the planes it reconstructs (1.5 bytes a pixel, no chroma upsampling
//! and no RGB conversion), each plane is resampled to the target (the chroma planes from their
//! half resolution), and only the output's pixels are converted to RGB. A render holds the planes
//! and the output ([`peak_bytes`]), not an RGB copy of the source.
//!
//! Lossless (VP8L) pictures stream through [`super::webp_lossless`]. What neither path takes goes
//! to `image` ([`super::still`]): alpha (an ALPH chunk), an ICC profile (the colour managed path converts RGB), animations, and
//! renders that shrink the picture by less than two ([`shrinks_by_two`]). With the `webp`
//! feature libwebp decodes every still WebP (the `libwebp` module): its SIMD decoder to RGB and
//! the resample take less time than this path (6 MP to 128 px: 67 against 105 ms), though
//! they hold the RGB picture.

// With the `webp` feature only `takes` is used (by the probe), and the tests.
#![cfg_attr(feature = "webp", allow(dead_code))]

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{ImageDecoder, RgbImage};

use super::{check_area, image_error, orientation, resize};
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::{Picture, Pixels};
use crate::render::webp_chunks::chunks;
use crate::{Error, Result};

/// The size a VP8 key frame declares (the 14-bit width and height after its start code), or
/// `None` when `payload` is no key frame.
fn key_frame_size(payload: &[u8]) -> Option<(u32, u32)> {
    let header = payload.get(..10)?;
    let key_frame = header[0] & 1 == 0;
    if !key_frame || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let side = |low: u8, high: u8| u32::from(u16::from_le_bytes([low, high]) & 0x3fff);
    Some((side(header[6], header[7]), side(header[8], header[9])))
}

/// The size of the picture when `bytes` is a WebP this path takes: a still, lossy (one VP8
/// chunk), with neither alpha nor an ICC profile. Reads chunk headers only.
pub(super) fn takes(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return None;
    }
    let mut size = None;
    for chunk in chunks(bytes) {
        match chunk.kind {
            b"VP8 " if size.is_none() => size = Some(key_frame_size(chunk.payload)?),
            // The extended header's flags: ICC profile 0x20, alpha 0x10, animation 0x02.
            b"VP8X" if chunk.payload.first()? & (0x20 | 0x10 | 0x02) != 0 => return None,
            b"VP8L" | b"ALPH" | b"ICCP" | b"ANIM" | b"ANMF" => return None,
            _ => {}
        }
    }
    size
}

/// Whether a render of a `source`-sized picture (as displayed) to `target` shrinks it by two or
/// more on both axes, so that the half-resolution chroma planes are themselves reduced or kept:
/// then resampling the planes is as good as resampling RGB. Larger renders take the RGB path,
/// whose chroma upsampling (libwebp's, bilinear) does not ring on sharp colour edges as a
/// Lanczos enlargement of the chroma planes would.
pub(super) fn shrinks_by_two(source: (u32, u32), target: Target) -> bool {
    let shown = target.crop.map_or(source, |crop| (crop.width, crop.height));
    u64::from(target.size.0) * 2 <= u64::from(shown.0)
        && u64::from(target.size.1) * 2 <= u64::from(shown.1)
}

/// The most memory [`decode`] holds for a `source`-sized picture, besides the output: the planes
/// (padded to 16-pixel macroblocks), the decoder's rows and per-macroblock state, the resized
/// planes and the resampler's intermediates (source height × target width each).
pub(super) fn peak_bytes(source: (u32, u32), target: (u32, u32)) -> u64 {
    let padded = |side: u32| u64::from(side.div_ceil(16) * 16);
    let planes = padded(source.0) * padded(source.1) * 3 / 2;
    let resampling = u64::from(source.1) * u64::from(target.0.max(1)) * 2;
    let decoder = u64::from(source.0) * 64 + (1 << 20);
    planes + resampling + decoder + u64::from(target.0) * u64::from(target.1) * 3
}

/// Decodes `bytes` (a WebP that [`takes`]) to an oriented sRGB picture of exactly `target`'s
/// size, showing its crop.
pub(super) fn decode(bytes: &[u8], target: Target, limits: &Limits) -> Result<Picture> {
    let size = takes(bytes)
        .ok_or_else(|| Error::decode("the WebP is not a still lossy picture without alpha"))?;
    check_area(size.0, size.1, limits)?;
    // `image`'s reader parses the container for the EXIF orientation, decoding no pixels.
    let orientation = WebPDecoder::new(Cursor::new(bytes))
        .map_err(image_error)?
        .orientation()
        .unwrap_or(Orientation::NoTransforms);
    let frame = rusty_webp::WebPDecoder::new(Cursor::new(bytes))
        .and_then(|mut decoder| decoder.read_yuv420())
        .map_err(Error::decode)?
        .ok_or_else(|| Error::decode("the WebP is not the still lossy picture its chunks say"))?;
    if (frame.width, frame.height) != size {
        return Err(Error::decode(format!(
            "the VP8 frame is {}x{}, its header says {}x{}",
            frame.width, frame.height, size.0, size.1
        )));
    }
    let (width, height) = (f64::from(size.0), f64::from(size.1));
    let chroma = (width / 2.0, height / 2.0);
    let stored = orientation::stored_target(target, orientation);
    let [y, u, v] = resize::resize_planes(
        [
            plane(&frame.y, frame.y_stride, (width, height))?,
            plane(&frame.u, frame.uv_stride, chroma)?,
            plane(&frame.v, frame.uv_stride, chroma)?,
        ],
        stored,
    )?;
    drop(frame);
    let (out_width, out_height) = (stored.size.0.max(1), stored.size.1.max(1));
    let rgb = RgbImage::from_raw(out_width, out_height, to_rgb(&y, &u, &v))
        .ok_or_else(|| Error::internal("decoding", "the resized planes have the wrong size"))?;
    Ok(Picture::still(orientation::apply(
        Pixels::Rgb(rgb),
        orientation,
    )))
}

/// A decoder plane, `stride` samples a row, of which the top-left `extent` shows the picture.
fn plane(samples: &[u8], stride: usize, extent: (f64, f64)) -> Result<resize::Plane<'_>> {
    let too_small = || Error::decode("the VP8 planes are smaller than the picture");
    let rows = samples.len() / stride.max(1);
    let size = (
        u32::try_from(stride).map_err(|_| too_small())?,
        u32::try_from(rows).map_err(|_| too_small())?,
    );
    if f64::from(size.0) < extent.0 || f64::from(size.1) < extent.1 {
        return Err(too_small());
    }
    Ok(resize::Plane {
        samples: &samples[..stride * rows],
        size,
        extent,
    })
}

/// Fixed-point scale of the conversion coefficients: 2^14.
const SCALE: i32 = 1 << 14;

/// A coefficient of the conversion in fixed point.
const fn fixed(value: f64) -> i32 {
    (value * SCALE as f64 + 0.5) as i32
}

/// VP8's samples are BT.601 with limited range (luma 16–235, chroma 16–240 around 128): the
/// standard conversion to full-range RGB, in 14-bit fixed point with rounding, clamped to 0–255.
fn to_rgb(y: &[u8], u: &[u8], v: &[u8]) -> Vec<u8> {
    const LUMA: i32 = fixed(255.0 / 219.0);
    const V_TO_R: i32 = fixed(255.0 / 224.0 * 1.402);
    const U_TO_G: i32 = fixed(255.0 / 224.0 * 1.772 * 0.114 / 0.587);
    const V_TO_G: i32 = fixed(255.0 / 224.0 * 1.402 * 0.299 / 0.587);
    const U_TO_B: i32 = fixed(255.0 / 224.0 * 1.772);
    const HALF: i32 = SCALE / 2;
    let channel = |value: i32| ((value + HALF) >> 14).clamp(0, 255) as u8;
    let mut rgb = vec![0u8; y.len() * 3];
    for (((pixel, &y), &u), &v) in rgb.chunks_exact_mut(3).zip(y).zip(u).zip(v) {
        let luma = (i32::from(y) - 16) * LUMA;
        let (u, v) = (i32::from(u) - 128, i32::from(v) - 128);
        pixel[0] = channel(luma + v * V_TO_R);
        pixel[1] = channel(luma - u * U_TO_G - v * V_TO_G);
        pixel[2] = channel(luma + u * U_TO_B);
    }
    rgb
}
