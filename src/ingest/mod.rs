//! What happens to an uploaded photo before it is stored: validation, then the [`IngestPolicy`].
//!
//! Validation trusts the bytes, not the declared type: the magic bytes must be an image format
//! the crate reads (else 415), the header must pass the decode [`Limits`](crate::Limits) (a
//! decompression bomb is a 422 before any pixel buffer exists), and the pixels must decode (a
//! truncated or corrupt file is a 422). Only then is anything written.
//!
//! The default policy protects the people in the photos: metadata that can locate or identify
//! them (EXIF with GPS and camera serial numbers, XMP, IPTC, comments, PNG text) is removed, and
//! photos larger than 2048 pixels on a side are scaled down. JPEG and PNG within the size keep
//! their compressed data byte for byte (only metadata segments and chunks are dropped), so there
//! is no generation loss; the EXIF orientation survives as a minimal EXIF block and ICC profiles
//! stay. Everything else (a photo to downscale, GIF, TIFF, BMP, WebP) is decoded, oriented,
//! converted to sRGB and re-encoded: GIF as GIF (animation kept), JPEG as JPEG, and the rest as
//! PNG when it may be transparent, else JPEG.

mod jpeg;
mod png;

use bytes::Bytes;

use crate::format::{ImageFormat, OutputFormat};
use crate::render::{decode, fit, probe, Plan, RenderOptions, SourceInfo};
use crate::{Error, Result};

/// The largest side of a stored photo under [`IngestPolicy::default`].
pub const DEFAULT_MAX_STORED_SIDE: u32 = 2048;

/// JPEG quality of photos the ingest re-encodes: high, since it is the stored original.
const REENCODE_JPEG_QUALITY: u8 = 90;

/// What an upload does to a photo before storing it.
///
/// ```
/// use person_image::ingest::IngestPolicy;
/// let policy = IngestPolicy::default(); // strip metadata, at most 2048 px on a side
/// assert!(policy.strips_metadata());
/// assert_eq!(policy.stored_max_side(), Some(2048));
/// let as_sent = IngestPolicy::default().strip_metadata(false).max_side(None);
/// assert_eq!(as_sent.stored_max_side(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestPolicy {
    strip_metadata: bool,
    max_side: Option<u32>,
}

impl Default for IngestPolicy {
    fn default() -> Self {
        IngestPolicy {
            strip_metadata: true,
            max_side: Some(DEFAULT_MAX_STORED_SIDE),
        }
    }
}

impl IngestPolicy {
    /// Whether metadata that can locate or identify a person is removed (default: yes). Turning
    /// it off stores the bytes as sent, unless they are downscaled.
    #[must_use]
    pub fn strip_metadata(mut self, strip: bool) -> Self {
        self.strip_metadata = strip;
        self
    }

    /// The largest side a stored photo may have; larger uploads are scaled down to fit (default
    /// [`DEFAULT_MAX_STORED_SIDE`]). `None` keeps every size the limits allow; 0 counts as 1.
    #[must_use]
    pub fn max_side(mut self, pixels: Option<u32>) -> Self {
        self.max_side = pixels.map(|pixels| pixels.max(1));
        self
    }

    /// Whether metadata is stripped.
    pub fn strips_metadata(&self) -> bool {
        self.strip_metadata
    }

    /// The largest stored side, if any.
    pub fn stored_max_side(&self) -> Option<u32> {
        self.max_side
    }
}

/// About the most memory [`ingest`] holds for `image` (0 when its header does not read: then it
/// is refused before anything is decoded).
pub(crate) fn peak_bytes(image: &[u8], policy: &IngestPolicy, options: &RenderOptions) -> u64 {
    probe(image, &options.limits).map_or(0, |info| {
        let size = fit((info.width, info.height), policy.max_side, policy.max_side);
        crate::render::peak_bytes(&info, size, info.format == ImageFormat::Gif)
    })
}

/// A validated photo, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ingested {
    /// The bytes to store.
    pub(crate) bytes: Bytes,
    /// Their true format.
    pub(crate) format: ImageFormat,
    /// Their size as displayed (EXIF orientation applied).
    pub(crate) size: (u32, u32),
}

/// Validates `image` and applies `policy`; `options` carry the limits and the encoders' settings.
pub(crate) fn ingest(
    image: Bytes,
    policy: &IngestPolicy,
    options: &RenderOptions,
) -> Result<Ingested> {
    let limits = &options.limits;
    if image.len() as u64 > limits.max_source_bytes {
        return Err(Error::PayloadTooLarge {
            max: limits.max_source_bytes,
        });
    }
    let format = ImageFormat::sniff(&image).ok_or_else(|| Error::UnsupportedMediaType {
        reason: describe_unknown(&image),
    })?;
    let info = probe(&image, limits).map_err(Error::into_upload_error)?;
    let size = fit((info.width, info.height), policy.max_side, policy.max_side);
    let downscale = size != (info.width, info.height);
    let lossless_strip = !downscale && matches!(format, ImageFormat::Jpeg | ImageFormat::Png);
    if !downscale && (!policy.strip_metadata || lossless_strip) {
        // Stored with its compressed data untouched: decode it once to be sure it is whole.
        validate(&image, info, options)?;
        let bytes = match format {
            ImageFormat::Jpeg if policy.strip_metadata => jpeg::strip_metadata(&image)?,
            ImageFormat::Png if policy.strip_metadata => png::strip_metadata(&image)?,
            _ => image,
        };
        return Ok(Ingested {
            bytes,
            format,
            size: (info.width, info.height),
        });
    }
    let output = match format {
        ImageFormat::Jpeg => OutputFormat::Jpeg,
        ImageFormat::Gif => OutputFormat::Gif,
        _ if info.has_alpha => OutputFormat::Png,
        ImageFormat::Png => OutputFormat::Png,
        _ => OutputFormat::Jpeg,
    };
    let options = (*options).jpeg_quality(REENCODE_JPEG_QUALITY);
    let rendered = Plan::reencode(image, info, output, size, options)
        .execute()
        .map_err(Error::into_upload_error)?;
    Ok(Ingested {
        bytes: rendered.body,
        format: output.as_image_format(),
        size,
    })
}

/// Decodes `image` at a small size, so a truncated or corrupt file is refused before it is stored
/// (shrink-on-load makes this cheap for JPEG, which still reads every entropy-coded byte; every
/// frame of a GIF is decoded). Nothing is encoded: only the decode can fail on bad input.
fn validate(image: &Bytes, info: SourceInfo, options: &RenderOptions) -> Result<()> {
    const CHECK_SIDE: u32 = 64;
    let size = fit(
        (info.width, info.height),
        Some(CHECK_SIDE),
        Some(CHECK_SIDE),
    );
    let keep_animation = info.format == ImageFormat::Gif;
    decode(image, &info, size, keep_animation, &options.limits)
        .map(drop)
        .map_err(Error::into_upload_error)
}

/// What an upload that is no image looks like, for the 415's message.
fn describe_unknown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(512)];
    let texty = head
        .iter()
        .all(|&byte| byte.is_ascii_graphic() || byte.is_ascii_whitespace() || byte >= 0x80);
    if texty && std::str::from_utf8(head).is_ok() {
        "it is text; send a JPEG, PNG, GIF, TIFF, BMP or WebP file".to_owned()
    } else {
        "its signature is not JPEG, PNG, GIF, TIFF, BMP or WebP".to_owned()
    }
}
