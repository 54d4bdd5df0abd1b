//! Still lossy WebP without alpha or ICC profile, through its YUV 4:2:0 planes: the crate's own
//! VP8 decoder ([`super::vp8`]) hands over a macroblock row at a time (16 luma and 8 chroma
//! lines, before any loop filter), each plane is resampled as the rows arrive (the chroma
//! planes from their half resolution), and only the output's pixels are converted to RGB. A
//! render of the whole picture holds two macroblock rows and the resamplers' windows
//! ([`peak_bytes`]); a crop keeps the planes, 1.5 bytes a pixel, and resamples its region.
//!
//! Lossless (VP8L) pictures stream through [`super::webp_lossless`]. What neither path takes goes
//! to `image` ([`super::still`]): alpha (an ALPH chunk), an ICC profile (the colour managed path converts RGB), animations, and
//! renders that shrink the picture by less than two ([`shrinks_by_two`]), which keep the loop
//! filter. With the `webp` feature libwebp decodes those (the `libwebp` module), this path being
//! faster than its full-size decode.

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{ImageDecoder, RgbImage};

use super::overlap::core_to_spare;
use super::{check_area, image_error, orientation, resize, vp8};
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::{Picture, Pixels};
use crate::render::resize::Bands;
use crate::render::webp_chunks::chunks;
use crate::{Error, Result};

/// The size of the picture when `bytes` is a WebP this path takes: a still, lossy (one VP8
/// chunk), with neither alpha nor an ICC profile. Reads chunk headers only.
pub(super) fn takes(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return None;
    }
    let mut size = None;
    for chunk in chunks(bytes) {
        match chunk.kind {
            b"VP8 " if size.is_none() => size = Some(vp8::size(chunk.payload)?),
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

/// The most memory [`decode`] holds for a `source`-sized picture, besides the output: the
/// decoder's two macroblock rows and, for the resample, either each plane's [`Bands`] (a whole
/// picture, the planes streamed) or the planes themselves and the resampler's intermediates
/// (a crop).
pub(super) fn peak_bytes(source: (u32, u32), target: Target) -> u64 {
    let output = u64::from(target.size.0) * u64::from(target.size.1) * 3;
    let resampling = if target.crop.is_none() {
        let chroma = (source.0.div_ceil(2), source.1.div_ceil(2));
        Bands::bytes(source, target.size, 1) + 2 * Bands::bytes(chroma, target.size, 1)
    } else {
        let padded = |side: u32| u64::from(side.div_ceil(16) * 16);
        padded(source.0) * padded(source.1) * 3 / 2
            + u64::from(source.1) * u64::from(target.size.0.max(1)) * 2
    };
    vp8::decode_bytes(source.0) + resampling + output
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
    let payload = chunks(bytes)
        .find(|chunk| chunk.kind == b"VP8 ")
        .ok_or_else(|| Error::decode("the WebP has no VP8 chunk"))?
        .payload;
    let frame = vp8::open(payload)?;
    let stored = orientation::stored_target(target, orientation);
    let [y, u, v] = if stored.crop.is_none() {
        resize_streamed(frame, stored.size)?
    } else {
        resize_whole(frame, stored)?
    };
    let (out_width, out_height) = (stored.size.0.max(1), stored.size.1.max(1));
    let rgb = RgbImage::from_raw(out_width, out_height, to_rgb(&y, &u, &v))
        .ok_or_else(|| Error::internal("decoding", "the resized planes have the wrong size"))?;
    Ok(Picture::still(orientation::apply(
        Pixels::Rgb(rgb),
        orientation,
    )))
}

/// Resamples each plane to `target` as the decoder hands over its macroblock rows: the
/// picture is never held whole.
fn resize_streamed(frame: vp8::Frame<'_>, target: (u32, u32)) -> Result<[Vec<u8>; 3]> {
    let (width, height) = frame.size();
    let chroma = (width.div_ceil(2), height.div_ceil(2));
    // The chroma planes show the picture in `side / 2` samples, the last half a sample's worth.
    let chroma_extent = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let target = (target.0.max(1), target.1.max(1));
    let mut luma = Bands::new((width, height), target, 1)?;
    let mut blue = Bands::with_extent(chroma, chroma_extent, target, 1)?;
    let mut red = Bands::with_extent(chroma, chroma_extent, target, 1)?;
    frame.decode(overlaps((width, height)), |rows| {
        for line in rows.y.chunks_exact(rows.y_stride).take(rows.luma_rows) {
            luma.push_premultiplied(&line[..width as usize])?;
        }
        for (plane, bands) in [(rows.u, &mut blue), (rows.v, &mut red)] {
            for line in plane.chunks_exact(rows.uv_stride).take(rows.chroma_rows) {
                bands.push_premultiplied(&line[..chroma.0 as usize])?;
            }
        }
        Ok(())
    })?;
    Ok([luma.finish()?, blue.finish()?, red.finish()?])
}

/// Whether a `size` picture's decode reads its coefficients on a thread of its own: from a
/// megapixel, where the overlap saves more than the thread costs, when a core is idle.
fn overlaps(size: (u32, u32)) -> bool {
    u64::from(size.0) * u64::from(size.1) >= 1 << 20 && core_to_spare()
}

/// Decodes the whole planes, then resamples `target`'s crop of each.
fn resize_whole(frame: vp8::Frame<'_>, target: Target) -> Result<[Vec<u8>; 3]> {
    let (width, height) = frame.size();
    let (y_stride, uv_stride) = (
        width.div_ceil(16) as usize * 16,
        width.div_ceil(16) as usize * 8,
    );
    let (mut y, mut u, mut v) = (Vec::new(), Vec::new(), Vec::new());
    frame.decode(overlaps((width, height)), |rows| {
        y.extend_from_slice(&rows.y[..rows.luma_rows * rows.y_stride]);
        u.extend_from_slice(&rows.u[..rows.chroma_rows * rows.uv_stride]);
        v.extend_from_slice(&rows.v[..rows.chroma_rows * rows.uv_stride]);
        Ok(())
    })?;
    let (width, height) = (f64::from(width), f64::from(height));
    let chroma = (width / 2.0, height / 2.0);
    resize::resize_planes(
        [
            plane(&y, y_stride, (width, height))?,
            plane(&u, uv_stride, chroma)?,
            plane(&v, uv_stride, chroma)?,
        ],
        target,
    )
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
