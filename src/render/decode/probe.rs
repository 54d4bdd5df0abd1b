//! Header probes: size, orientation and alpha of a stored image without decoding pixels.
//!
//! JPEG, PNG and GIF headers are parsed here (a few dozen bytes each, plus a walk over the chunk
//! or block headers), BMP by its own reader ([`bmp::Header`]); TIFF and WebP use the codec's
//! header reader under `image` limits.
//! Every declared size is checked against the limits before anything is allocated for pixels.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};

use super::{
    bmp, check_area, image_error, image_format, image_limits, jpeg, orientation, png as png_stream,
    tiff, tiff_strips, webp_lossless, webp_lossy, SourceInfo,
};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::webp_chunks::{chunks, Chunk};
use crate::{Error, Result};

/// Probes `bytes`, already sniffed as `format`.
pub(super) fn probe(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<SourceInfo> {
    // Only GIF and WebP animations are decoded as such; an APNG renders its first frame.
    let mut frames = 1;
    let mut streams = false;
    let mut yuv_planes = false;
    let (stored, orientation, has_alpha) = match format {
        ImageFormat::Jpeg => {
            let header = jpeg::read_header(bytes)?;
            streams = jpeg::streams(&header);
            let size = (u32::from(header.width), u32::from(header.height));
            (size, header.orientation, false)
        }
        ImageFormat::Png => {
            streams = png_stream::streams(bytes);
            png(bytes, limits)?
        }
        ImageFormat::Gif => {
            let (probed, count) = gif(bytes, limits)?;
            frames = count;
            probed
        }
        ImageFormat::Bmp => {
            let (size, orientation, has_alpha, rows) = bmp::probe(bytes, limits)?;
            streams = rows;
            (size, orientation, has_alpha)
        }
        ImageFormat::WebP => {
            frames = webp_frames(bytes, limits)?;
            let probed = with_image(bytes, format, limits)?;
            yuv_planes = webp_lossy::takes(bytes) == Some(probed.0);
            streams = frames == 1
                && webp_lossless::takes(bytes)
                    .is_some_and(|still| (still.header.width, still.header.height) == probed.0);
            probed
        }
        // `image` refuses YCbCr TIFFs before reading their size.
        ImageFormat::Tiff if tiff::Interpretation::read(bytes).ycbcr => {
            let (size, orientation) = tiff::probe_ycbcr(bytes, limits)?;
            streams = tiff_strips::streams(bytes, limits);
            (size, orientation, false)
        }
        ImageFormat::Tiff => {
            streams = tiff_strips::streams(bytes, limits);
            with_image(bytes, format, limits)?
        }
    };
    check_area(stored.0, stored.1, limits)?;
    let (width, height) = orientation::oriented(stored, orientation);
    Ok(SourceInfo {
        format,
        width,
        height,
        has_alpha,
        animated: frames > 1,
        streams,
        yuv_planes,
    })
}

type Probed = ((u32, u32), Orientation, bool);

fn be32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le16(bytes: &[u8], pos: usize) -> Option<u16> {
    let b = bytes.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// PNG: IHDR, then the chunk headers up to the first IDAT (which must be there) for tRNS, eXIf
/// and acTL.
fn png(bytes: &[u8], limits: &Limits) -> Result<Probed> {
    let invalid = || Error::decode("PNG header is truncated or does not start with IHDR");
    if bytes.get(12..16) != Some(b"IHDR") || be32(bytes, 8) != Some(13) {
        return Err(invalid());
    }
    let width = be32(bytes, 16).ok_or_else(invalid)?;
    let height = be32(bytes, 20).ok_or_else(invalid)?;
    let colour_type = *bytes.get(25).ok_or_else(invalid)?;
    check_area(width, height, limits)?;
    let mut has_alpha = matches!(colour_type, 4 | 6);
    let mut orientation = Orientation::NoTransforms;
    let mut pos = 33usize;
    let mut reached_pixels = false;
    while let (Some(length), Some(kind)) = (be32(bytes, pos), bytes.get(pos + 4..pos + 8)) {
        let data_start = pos + 8;
        let Some(data_end) = data_start.checked_add(length as usize) else {
            break;
        };
        match kind {
            b"IDAT" => {
                reached_pixels = true;
                break;
            }
            b"IEND" => break,
            b"tRNS" => has_alpha = true,
            b"eXIf" => {
                if let Some(exif) = bytes.get(data_start..data_end) {
                    orientation = orientation::from_exif(exif);
                }
            }
            b"acTL" => {
                if let Some(frames) = be32(bytes, data_start) {
                    limits.check_frames(u64::from(frames))?;
                    limits.check_source_pixels(
                        u64::from(frames) * u64::from(width) * u64::from(height),
                    )?;
                }
            }
            _ => {}
        }
        let Some(next) = data_end.checked_add(4) else {
            break;
        };
        pos = next;
    }
    // Every chunk the header needs comes before the first IDAT: without one, the probe may have
    // missed some (bytes cut short, or only the photo's first bytes read so far).
    if !reached_pixels {
        return Err(Error::decode("the PNG ends before its image data"));
    }
    Ok(((width, height), orientation, has_alpha))
}

/// GIF: the logical screen, then every block header: each frame's declared size, the number of
/// frames (returned with the header), and the canvas pixels all frames together will cost once
/// composited.
fn gif(bytes: &[u8], limits: &Limits) -> Result<(Probed, u64)> {
    let invalid = || Error::decode("GIF header is truncated");
    let width = u32::from(le16(bytes, 6).ok_or_else(invalid)?);
    let height = u32::from(le16(bytes, 8).ok_or_else(invalid)?);
    let flags = *bytes.get(10).ok_or_else(invalid)?;
    check_area(width, height, limits)?;
    let canvas = u64::from(width) * u64::from(height);
    let mut pos = 13 + colour_table_len(flags);
    let mut has_alpha = false;
    let mut frames = 0u64;
    let mut frame_pixels = 0u64;
    while let Some(&block) = bytes.get(pos) {
        match block {
            0x21 => {
                let label = bytes.get(pos + 1).copied();
                // Graphic control extension: block size 4, then packed flags (bit 0 = transparency).
                if label == Some(0xF9) && bytes.get(pos + 2) == Some(&4) {
                    has_alpha |= bytes.get(pos + 3).is_some_and(|packed| packed & 1 == 1);
                }
                pos = skip_sub_blocks(bytes, pos + 2);
            }
            0x2C => {
                let frame_width = u32::from(le16(bytes, pos + 5).ok_or_else(invalid)?);
                let frame_height = u32::from(le16(bytes, pos + 7).ok_or_else(invalid)?);
                let frame_flags = *bytes.get(pos + 9).ok_or_else(invalid)?;
                let area = u64::from(frame_width) * u64::from(frame_height);
                limits.check_source_pixels(area)?;
                frames += 1;
                limits.check_frames(frames)?;
                frame_pixels = frame_pixels.saturating_add(area);
                limits.check_source_pixels(frame_pixels.max(canvas.saturating_mul(frames)))?;
                // Descriptor, local colour table, LZW minimum code size, then the data blocks.
                pos = skip_sub_blocks(bytes, pos + 10 + colour_table_len(frame_flags) + 1);
            }
            _ => break,
        }
    }
    Ok((
        ((width, height), Orientation::NoTransforms, has_alpha),
        frames,
    ))
}

fn colour_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 7) + 1)
    }
}

/// The position after a chain of GIF data sub-blocks starting at `pos` (or past the end).
fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&size) = bytes.get(pos) {
        pos += 1 + usize::from(size);
        if size == 0 {
            break;
        }
    }
    pos
}

/// WebP: counts ANMF chunks of an animation against the frame and summed pixel limits, using the
/// canvas size of the VP8X chunk; returns the count (1 for a still).
fn webp_frames(bytes: &[u8], limits: &Limits) -> Result<u64> {
    if bytes.get(12..16) != Some(b"VP8X") {
        return Ok(1);
    }
    let canvas = |pos: usize| -> Option<u64> {
        let b = bytes.get(pos..pos + 3)?;
        Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0])) + 1)
    };
    let (Some(width), Some(height)) = (canvas(24), canvas(27)) else {
        return Ok(1);
    };
    limits.check_source_pixels(width * height)?;
    let mut frames = 0u64;
    for Chunk { kind, .. } in chunks(bytes) {
        if kind == b"ANMF" {
            frames += 1;
            limits.check_frames(frames)?;
            limits.check_source_pixels(frames * width * height)?;
        }
    }
    Ok(frames.max(1))
}

/// TIFF and WebP: the codec's own header reader, under `image` limits.
fn with_image(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Probed> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    reader.limits(image_limits(limits));
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    let has_alpha = decoder.color_type().has_alpha();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(((width, height), orientation, has_alpha))
}
