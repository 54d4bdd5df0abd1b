//! Stored bytes to pixels: header probe with limits, shrink-on-load, orientation, colour, resize.
//!
//! [`probe()`] reads only headers (our own small parsers for JPEG, PNG, GIF and BMP; the codec's
//! header reader for TIFF and WebP) and refuses oversized images before any decoder allocates.
//! [`decode()`] turns the bytes into an 8-bit sRGB [`Picture`] of exactly the requested size:
//! JPEG through the crate's own decoder with shrink-on-load in the DCT domain, in stages
//! ([`jpeg`]: markers, headers, sequential and progressive scans, restart intervals, output; what
//! it declines goes to `jpeg-decoder`, then `image`), non-interlaced PNG streamed in bands of
//! rows through the `png` crate's row reader ([`png`]), BMP through our own reader, row by row
//! ([`bmp`]), strip TIFFs strip by strip through the `tiff` crate's chunk reader
//! ([`tiff_strips`]), a still lossless WebP band by band through our own VP8L decoder
//! ([`webp_lossless`], [`vp8l`]), all four resampled as the rows arrive, a still lossy WebP
//! shrunk by two or more through its YUV planes ([`webp_lossy`]), everything else through
//! `image` ([`still`],
//! [`animation`]), then ICC conversion ([`colour`]), the SIMD resample of the `resize` stage,
//! and the EXIF orientation ([`orientation`]).
//!
//! Memory: a JPEG render at 1/8 or 1/4 scale, a progressive, CMYK or cropped one, or one whose
//! first scan does not hold every component, holds its picture at the shrink-on-load scale; a
//! sequential grey or colour JPEG at 1/2 or full scale streams MCU row by MCU row
//! ([`jpeg`]'s `rows`); a streaming render (that JPEG, PNG but interlaced, BMP but RLE, TIFF in
//! strips of at most 1 MiB, unsigned 8/16-bit grey, RGB(A) or YCbCr, subsampled or not,
//! uncompressed, LZW, Deflate or PackBits) a band of rows, a narrow
//! intermediate (source width × target height) and the output; an RLE BMP one byte a pixel of
//! palette indices besides; a still lossless WebP also the pixels a backward reference can reach
//! (about a million, 4 MiB) and its transform data; a still lossy WebP without alpha or ICC profile, shrunk by two or
//! more, its YUV 4:2:0 planes (1.5 bytes a pixel). What cannot stream (interlaced PNG, tiled,
//! JPEG-compressed, planar, palette, CMYK or float TIFF, GIF, other lossy WebPs, animation
//! frames, and a crop of a BMP, TIFF or lossless WebP)
//! holds the whole decoded source. [`peak_bytes`] estimates each, and the service's render
//! budget reserves it.

mod animation;
mod bmp;
mod colour;
mod jpeg;
#[cfg(feature = "webp")]
mod libwebp;
#[cfg(fuzzing)]
pub use jpeg::fuzz_decode as fuzz_jpeg_decode;
pub(crate) use jpeg::marker as jpeg_marker;
mod orientation;
mod overlap;
mod png;
mod probe;
mod still;
#[cfg(test)]
mod tests;
mod tiff;
mod tiff_lzw;
mod tiff_raw;
mod tiff_strips;
mod tiff_ycbcr;
mod vp8;
mod vp8l;
mod webp_lossless;
mod webp_lossy;

use super::crop::Target;
use super::picture::Picture;
// Shrink-on-load decoders resize right after decoding, before orientation, at the smallest size.
use super::traced_resize as resize;
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
    /// Whether it is a GIF or WebP animation (more than one frame): negotiation keeps it in its
    /// format rather than choose WebP (SPEC §4.1).
    pub(crate) animated: bool,
    /// Whether it decodes in bands of rows (a non-interlaced PNG, a BMP but RLE, a strip TIFF
    /// the `tiff_strips` module takes, a still lossless WebP, a sequential grey or colour JPEG
    /// at 1/2 or full scale): a render holds the output and a band, not the whole source.
    pub(crate) streams: bool,
    /// Whether it is a still lossy WebP without alpha or ICC profile: it decodes to its YUV
    /// 4:2:0 planes (1.5 bytes a pixel), which are resampled before the conversion to RGB
    /// ([`webp_lossy`]).
    pub(crate) yuv_planes: bool,
}

/// Reads the header of `bytes` and checks it against `limits` (bytes, pixels, frames where the
/// header tells). Allocates nothing proportional to the image size.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    limits.check_source_bytes(bytes.len())?;
    let format = ImageFormat::sniff(bytes).ok_or_else(|| crate::Error::UnsupportedFormat {
        reason: "unknown signature".into(),
    })?;
    probe::probe(bytes, format, limits)
}

/// Decodes `bytes` (already probed as `info`) into an oriented, 8-bit sRGB picture of exactly
/// `target`'s size, showing its crop (every frame the same). Animated sources keep every frame
/// when `keep_animation`, else the first only.
pub(crate) fn decode(
    bytes: &[u8],
    info: &SourceInfo,
    target: impl Into<Target>,
    keep_animation: bool,
    limits: &Limits,
) -> Result<Picture> {
    limits.check_source_bytes(bytes.len())?;
    let target: Target = target.into();
    let target = Target {
        size: (target.size.0.max(1), target.size.1.max(1)),
        ..target
    };
    let displayed = (info.width, info.height);
    match info.format {
        ImageFormat::Jpeg => jpeg::decode(bytes, target, limits),
        ImageFormat::Png => png::decode(bytes, target, limits),
        ImageFormat::Bmp if target.crop.is_none() => bmp::decode(bytes, target.size, limits),
        ImageFormat::Tiff if target.crop.is_none() => {
            tiff_strips::decode(bytes, target.size, limits)
        }
        ImageFormat::WebP if info.streams && target.crop.is_none() => {
            webp_lossless::decode(bytes, info.has_alpha, target.size, limits)
        }
        // Ahead of libwebp (feature `webp`) too: the planes path renders the 6 MP bench photo to
        // 128 px in 40 ms, libwebp's full-size decode and resample in 66.
        ImageFormat::WebP if info.yuv_planes && webp_lossy::shrinks_by_two(displayed, target) => {
            webp_lossy::decode(bytes, target, limits)
        }
        #[cfg(feature = "webp")]
        ImageFormat::WebP if !info.animated => libwebp::decode(bytes, target, limits),
        ImageFormat::Gif | ImageFormat::WebP if keep_animation => {
            animation::decode(bytes, info.format, target, limits)
        }
        format => still::decode(bytes, format, target, limits),
    }
}

/// A stored photo read in order from its first byte, as a streaming decode reads it. It never
/// needs to seek; [`Seek`](std::io::Seek) is there because the `png` crate's reader asks for it.
pub(crate) trait SourceStream: std::io::BufRead + std::io::Seek + Send {}

impl<T: std::io::BufRead + std::io::Seek + Send> SourceStream for T {}

/// Whether a photo probed as `info` decodes from a [`SourceStream`] ([`decode_reading`]): a
/// non-interlaced PNG. Its render then holds a band of the photo, not all of it.
pub(crate) fn reads_in_order(info: &SourceInfo) -> bool {
    info.format == ImageFormat::Png && info.streams
}

/// [`decode()`] for a photo that [reads in order](reads_in_order) (the caller checks, from the
/// plan), from `source`.
pub(crate) fn decode_reading(
    source: &mut dyn SourceStream,
    target: impl Into<Target>,
    limits: &Limits,
) -> Result<Picture> {
    let target: Target = target.into();
    let target = Target {
        size: (target.size.0.max(1), target.size.1.max(1)),
        ..target
    };
    png::decode_rows(source, target, limits)
}

/// About the most memory [`decode()`] (with the resize and the encode after it) holds at once for
/// `info` at `target`: what a render budget reserves. Estimated from the header, generously:
/// JPEG decodes at the shrink-on-load scale into planes, the interleaved picture and the resize
/// buffers (about 9 bytes a decoded pixel) unless it streams ([`jpeg::peak_bytes`]: MCU rows,
/// band, intermediate and result); a streaming PNG, BMP or TIFF holds its band,
/// intermediate and result ([`png::peak_bytes`], [`bmp::peak_bytes`],
/// [`tiff_strips::peak_bytes`]), a lossless WebP its decoder's window and transform data besides
/// ([`webp_lossless::peak_bytes`]); a lossy WebP shrunk through its planes
/// [`webp_lossy::peak_bytes`], another still WebP its decoder's measured figure (about 8 bytes a
/// pixel through image-webp, [`libwebp::peak_bytes`] with the `webp` feature); other formats
/// decode at full size, possibly 16-bit with alpha, then convert (about 12 bytes a pixel);
/// animations also keep their resized frames.
pub(crate) fn peak_bytes(
    info: &SourceInfo,
    target: impl Into<Target>,
    keep_animation: bool,
) -> u64 {
    let target: Target = target.into();
    let area = |(width, height): (u32, u32)| u64::from(width) * u64::from(height);
    let output = area(target.size).saturating_mul(8);
    let decoding = match info.format {
        ImageFormat::Jpeg
            if info.streams && jpeg::streams_to((info.width, info.height), target) =>
        {
            let eighths = jpeg::dct_scale((info.width, info.height), target.whole_size());
            jpeg::peak_bytes((info.width, info.height), eighths, target.size)
        }
        ImageFormat::Jpeg => {
            let eighths = jpeg::dct_scale((info.width, info.height), target.whole_size());
            let scaled = |side: u32| side.saturating_mul(eighths).div_ceil(8);
            area((scaled(info.width), scaled(info.height))).saturating_mul(9)
        }
        ImageFormat::Png if info.streams => png::peak_bytes((info.width, info.height), target.size),
        // BMP and TIFF stream only whole pictures; a crop takes the whole-picture path.
        ImageFormat::Bmp if info.streams && target.crop.is_none() => {
            bmp::peak_bytes((info.width, info.height), target.size)
        }
        ImageFormat::Tiff if info.streams && target.crop.is_none() => {
            tiff_strips::peak_bytes((info.width, info.height), target.size)
        }
        ImageFormat::WebP if info.streams && target.crop.is_none() => {
            webp_lossless::peak_bytes((info.width, info.height), target.size)
        }
        ImageFormat::WebP
            if info.yuv_planes && webp_lossy::shrinks_by_two((info.width, info.height), target) =>
        {
            webp_lossy::peak_bytes((info.width, info.height), target)
        }
        #[cfg(feature = "webp")]
        ImageFormat::WebP if !info.animated => {
            libwebp::peak_bytes((info.width, info.height), info.has_alpha)
        }
        // image-webp, measured on a 6 MP photo: 4.6 bytes a pixel held for a lossy one, 7.0
        // for a lossless one (decoded RGB, its YUV planes or ARGB plane); alpha keeps the
        // generous figure.
        #[cfg(not(feature = "webp"))]
        ImageFormat::WebP if !info.animated && !info.has_alpha => {
            area((info.width, info.height)).saturating_mul(8)
        }
        _ => area((info.width, info.height)).saturating_mul(12),
    };
    let frames = if keep_animation && matches!(info.format, ImageFormat::Gif | ImageFormat::WebP) {
        area(target.size).saturating_mul(4 * 16)
    } else {
        0
    };
    decoding.saturating_add(output).saturating_add(frames)
}

/// The `image` crate's limits matching ours: no side above what the pixel budget allows, and an
/// allocation cap of the budget at the widest pixel the codecs produce (16-bit RGBA).
fn image_limits(limits: &Limits) -> image::Limits {
    let side = u32::try_from(limits.max_source_pixels).unwrap_or(u32::MAX);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(side);
    image_limits.max_image_height = Some(side);
    image_limits.max_alloc = Some(limits.max_source_pixels.saturating_mul(8).max(1 << 20));
    image_limits
}

/// Maps the `image` crate's error: unsupported features stay unsupported, the rest (including its
/// allocation limit, which our header checks normally pre-empt) are decode errors.
fn image_error(error: image::ImageError) -> crate::Error {
    match error {
        image::ImageError::Unsupported(unsupported) => crate::Error::UnsupportedFormat {
            reason: unsupported.to_string(),
        },
        other => crate::Error::decode(other),
    }
}

/// Checks a `width × height` area against the pixel limit, and refuses empty images.
fn check_area(width: u32, height: u32, limits: &Limits) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(crate::Error::decode(format!(
            "the header declares an empty image ({width}x{height})"
        )));
    }
    limits.check_source_pixels(u64::from(width) * u64::from(height))
}

/// Our format enum mapped onto the `image` crate's.
fn image_format(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Tiff => image::ImageFormat::Tiff,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
        ImageFormat::WebP => image::ImageFormat::WebP,
    }
}
