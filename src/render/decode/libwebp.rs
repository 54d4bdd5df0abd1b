//! Still WebP through libwebp (feature `webp`): lossy pictures the planes path
//! ([`super::webp_lossy`]) does not take (alpha, an ICC profile, a shrink by less than two), and
//! lossless ones shown cropped
//! (uncropped they stream through [`super::webp_lossless`]), decoded by libwebp's SIMD decoder
//! into its own buffer, converted to sRGB in place through their ICC profile,
//! resampled straight from that buffer and oriented. The ICCP and EXIF chunks are read by
//! `image`'s WebP reader, which parses the container without decoding pixels.
//!
//! The safe wrapper (`webp` 0.3) exposes libwebp's simple API only, which decodes at full size:
//! a render holds the decoded source (3 bytes a pixel, 4 with alpha), libwebp's own state while
//! decoding (a lossless picture's 4-byte ARGB plane) and, with alpha, the resampler's
//! premultiplied copy ([`peak_bytes`]). Animations are left to `image` ([`still`]): libwebp's
//! simple API refuses them.

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::ImageDecoder;

use super::colour::BandTransform;
use super::{check_area, image_error, orientation, resize, still};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::Picture;
use crate::{Error, Result};

/// The most memory [`decode`] holds for a `source`-sized WebP (with or without alpha) at
/// `target`, besides the output: the decoded source, libwebp's lossless ARGB plane (counted for
/// every picture, the header probe does not tell lossy from lossless) and, with alpha, the
/// premultiplied copy the resampler makes, plus a fixed margin for libwebp's row caches and the
/// resampler's intermediate.
pub(super) fn peak_bytes(source: (u32, u32), has_alpha: bool) -> u64 {
    let pixels = u64::from(source.0) * u64::from(source.1);
    let per_pixel = if has_alpha { 4 + 4 + 4 } else { 3 + 4 };
    pixels
        .saturating_mul(per_pixel)
        .saturating_add(u64::from(source.0.max(source.1)) * 64)
        .saturating_add(2 << 20)
}

/// Decodes `bytes` (a WebP) to an oriented sRGB picture of exactly `target`'s size, showing its
/// crop. An animation decodes its first frame through `image`.
pub(super) fn decode(bytes: &[u8], target: Target, limits: &Limits) -> Result<Picture> {
    let mut reader = WebPDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
    if reader.has_animation() {
        return still::decode(bytes, ImageFormat::WebP, target, limits);
    }
    let (width, height) = reader.dimensions();
    check_area(width, height, limits)?;
    // Broken metadata never stops the pixels from being shown.
    let icc = reader.icc_profile().ok().flatten();
    let orientation = reader.orientation().unwrap_or(Orientation::NoTransforms);
    drop(reader);

    let mut decoded = ::webp::Decoder::new(bytes)
        .decode()
        .ok_or_else(|| Error::decode("libwebp cannot decode this WebP (truncated or corrupt)"))?;
    if (decoded.width(), decoded.height()) != (width, height) {
        return Err(Error::decode(format!(
            "the WebP bitstream is {}x{}, its container says {width}x{height}",
            decoded.width(),
            decoded.height()
        )));
    }
    let channels = if decoded.is_alpha() { 4 } else { 3 };
    if let Some(mut transform) = icc
        .as_deref()
        .and_then(|icc| BandTransform::new(icc, channels))
    {
        let row_len = width as usize * channels;
        let band_len = crate::render::resize::band_len(row_len, height);
        for band in decoded.chunks_mut(band_len) {
            transform.apply(band);
        }
    }
    let pixels = resize::resize_borrowed(
        &decoded,
        (width, height),
        channels,
        orientation::stored_target(target, orientation),
    )?;
    drop(decoded);
    Ok(Picture::still(orientation::apply(pixels, orientation)))
}
