//! Stored bytes to pixels: header probe with limits, shrink-on-load, orientation, colour, resize.

use super::picture::Picture;
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::Result;

/// What the header of a stored image says, read without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceInfo {
    /// The true format, from the magic bytes.
    pub(crate) format: ImageFormat,
    /// Width as displayed, i.e. after the EXIF orientation is applied.
    pub(crate) width: u32,
    /// Height as displayed.
    pub(crate) height: u32,
    /// Whether the image may have transparency (an alpha channel, tRNS, a GIF transparent index).
    pub(crate) has_alpha: bool,
}

/// Reads the header of `bytes` and checks it against `limits` (bytes, pixels, frames where the
/// header tells). Allocates nothing proportional to the image size.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    let _ = limits;
    let format = ImageFormat::sniff(bytes).ok_or_else(|| crate::Error::UnsupportedFormat {
        reason: "unknown signature".into(),
    })?;
    Ok(SourceInfo {
        format,
        width: 1,
        height: 1,
        has_alpha: false,
    })
}

/// Decodes `bytes` (already probed as `info`) into an oriented, 8-bit sRGB picture of exactly
/// `target` size. Animated sources keep every frame when `keep_animation`, else the first only.
pub(crate) fn decode(
    bytes: &[u8],
    info: &SourceInfo,
    target: (u32, u32),
    keep_animation: bool,
    limits: &Limits,
) -> Result<Picture> {
    let _ = (bytes, info, target, keep_animation, limits);
    Err(crate::Error::UnsupportedFormat {
        reason: "decoder not built yet".into(),
    })
}
