//! Streaming TIFF: a strip-organised TIFF is read a strip at a time through the `tiff` crate's
//! chunk reader (which undoes the compression and the horizontal predictor; 8-bit LZW strips are
//! read by [`RawStrips`] with the crate's own LZW decoder instead, about a third less CPU on a
//! photo, and the predictor undone here), its samples
//! narrowed to 8 bits, YCbCr converted to RGB and associated alpha made straight ([`tiff`]),
//! converted to sRGB through its ICC profile, and resampled as the strips arrive ([`Bands`]);
//! the small result is oriented. A render holds a strip, a band, the filter's window, a
//! source-width × target-height intermediate and the output.
//!
//! What streams: strips (not tiles) of at most [`MAX_STRIP_BYTES`] decoded, uncompressed or
//! LZW, Deflate or PackBits compressed, one plane (chunky), unsigned 8 or 16-bit grey, grey +
//! alpha, RGB, RGBA, or 8-bit YCbCr (subsampled YCbCr, which the `tiff` crate does not unpack,
//! is read strip by strip by [`SubsampledStrips`]). Everything else (tiles, JPEG or fax
//! compression, planar data, palettes, CMYK, floats, bilevel, a subsampled YCbCr strip with a
//! predictor, one huge strip) keeps the whole-picture path ([`still`]).

use std::io::Cursor;

use ::tiff::decoder::{ChunkType, Decoder, DecodingResult};
use ::tiff::tags::Tag;
use ::tiff::ColorType;

use super::colour::BandTransform;
use super::overlap::run_alternating;
use super::tiff::{self as interpretation, tiff_error, tiff_limits, YCbCr};
use super::tiff_raw::RawStrips;
use super::tiff_ycbcr::{self, SubsampledStrips};
use super::{check_area, orientation, still};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::picture::Picture;
use crate::render::resize::{self, Bands};
use crate::{Error, Result};

/// The largest strip, decoded, that a streaming render reads at once; a TIFF with larger strips
/// (one strip for the whole picture is common) decodes whole.
pub(super) const MAX_STRIP_BYTES: u64 = 1 << 20;

/// The 8-bit size from which strips of our own LZW decode on two threads ([`run_alternating`]):
/// above it, the second thread saves more than it costs.
const ALTERNATING_BYTES: u64 = 4 << 20;

/// Compressions the `tiff` crate decodes strip by strip: none, LZW, Adobe Deflate, PackBits,
/// Deflate.
const STREAMED_COMPRESSIONS: [u16; 5] = [1, 5, 8, 32773, 32946];

/// How the samples of a streaming TIFF become 8-bit pixels.
struct Samples {
    /// Samples a pixel in the file and in the output (YCbCr becomes RGB, the same count).
    channels: usize,
    /// 16-bit samples, narrowed to 8.
    sixteen: bool,
    /// YCbCr to convert to RGB (samples the `tiff` crate read).
    ycbcr: Option<YCbCr>,
    /// Subsampled YCbCr, read (and converted to RGB) by [`SubsampledStrips`].
    subsampled: bool,
    /// 8-bit LZW strips, read by [`RawStrips`] with the crate's own LZW decoder (faster than
    /// the `tiff` crate's), and whether the horizontal predictor is undone after.
    own_lzw: Option<bool>,
    /// The last channel is associated alpha.
    associated_alpha: bool,
}

/// Whether `bytes` (a TIFF) decode strip by strip (see the module docs).
pub(super) fn streams(bytes: &[u8], limits: &Limits) -> bool {
    Decoder::new(Cursor::new(bytes))
        .map(|decoder| decoder.with_limits(tiff_limits(limits)))
        .ok()
        .and_then(|mut decoder| samples(&mut decoder).ok().flatten())
        .is_some()
}

/// The most memory [`decode`] holds for a `source`-sized (as displayed) TIFF at `target`: the
/// strip as the `tiff` crate returns it (and its compressed bytes), the band and the colour
/// scratch, the resampler's window, intermediate and result (whichever way the orientation
/// turns it).
pub(super) fn peak_bytes(source: (u32, u32), target: (u32, u32)) -> u64 {
    let band = (resize::BAND_BYTES as u64)
        .saturating_add(MAX_STRIP_BYTES)
        .max(u64::from(source.0.max(source.1)) * 4);
    // Strips decoded on two threads keep three in flight (judged at four channels, generously).
    let alternating = u64::from(source.0) * u64::from(source.1) * 4 >= ALTERNATING_BYTES;
    let band = if alternating {
        band.max(3 * MAX_STRIP_BYTES)
    } else {
        band
    };
    let bands = Bands::bytes((source.0, source.1), target, 4).max(Bands::bytes(
        (source.1, source.0),
        (target.1, target.0),
        4,
    ));
    MAX_STRIP_BYTES.saturating_add(band).saturating_add(bands)
}

/// How the current image's samples stream, `None` when it does not stream.
fn samples<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> Result<Option<Samples>> {
    if decoder.get_chunk_type() != ChunkType::Strip {
        return Ok(None);
    }
    let tag = |decoder: &mut Decoder<R>, tag: Tag| -> Option<Vec<u32>> {
        decoder.find_tag_unsigned_vec::<u32>(tag).ok().flatten()
    };
    let compression = tag(decoder, Tag::Compression).map_or(1, |values| values[0]);
    let planar = tag(decoder, Tag::PlanarConfiguration).map_or(1, |values| values[0]);
    let unsigned =
        tag(decoder, Tag::SampleFormat).is_none_or(|formats| formats.iter().all(|&f| f == 1));
    if !STREAMED_COMPRESSIONS.contains(&(compression as u16)) || planar != 1 || !unsigned {
        return Ok(None);
    }
    let colour = decoder.colortype().map_err(tiff_error)?;
    let (channels, bits) = match colour {
        ColorType::Gray(bits) => (1, bits),
        ColorType::GrayA(bits) => (2, bits),
        ColorType::RGB(bits) => (3, bits),
        ColorType::RGBA(bits) => (4, bits),
        ColorType::YCbCr(8) => (3, 8),
        _ => return Ok(None),
    };
    let subsampled = colour == ColorType::YCbCr(8) && tiff_ycbcr::subsampled(decoder);
    if subsampled && tag(decoder, Tag::Predictor).is_some_and(|values| values[0] != 1) {
        return Ok(None);
    }
    if !matches!(bits, 8 | 16) {
        return Ok(None);
    }
    let (width, rows) = decoder.chunk_dimensions();
    let strip = u64::from(width) * u64::from(rows) * channels as u64 * u64::from(bits / 8);
    if strip > MAX_STRIP_BYTES {
        return Ok(None);
    }
    let predictor = tag(decoder, Tag::Predictor).map_or(1, |values| values[0]);
    let own_lzw = (compression == 5 && bits == 8 && !subsampled && matches!(predictor, 1 | 2))
        .then_some(predictor == 2);
    let ycbcr = match colour {
        ColorType::YCbCr(_) if !subsampled => Some(YCbCr::from_tags(decoder)?),
        _ => None,
    };
    Ok(Some(Samples {
        channels,
        sixteen: bits == 16,
        ycbcr,
        subsampled,
        own_lzw,
        associated_alpha: matches!(channels, 2 | 4) && interpretation::associated_alpha(decoder),
    }))
}

/// Decodes `bytes` (a TIFF) to an oriented sRGB picture of exactly `target` size, strip by strip
/// when it streams, else whole.
pub(super) fn decode(bytes: &[u8], target: (u32, u32), limits: &Limits) -> Result<Picture> {
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(tiff_limits(limits));
    let Some(samples) = samples(&mut decoder)? else {
        return still::decode(bytes, ImageFormat::Tiff, target, limits);
    };
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    check_area(width, height, limits)?;
    let orientation = interpretation::orientation(&mut decoder);
    let channels = samples.channels;
    let mut transform = decoder
        .find_tag(Tag::IccProfile)
        .ok()
        .flatten()
        .and_then(|value| value.into_u8_vec().ok())
        .and_then(|icc| BandTransform::new(&icc, channels));
    let stored_target = orientation::oriented(target, orientation);
    let mut bands = Bands::new((width, height), stored_target, channels)?;
    let row_len = width as usize * channels;
    let band_len = resize::band_len(row_len, height);
    let mut band: Vec<u8> = Vec::with_capacity(band_len);
    let subsampled = if samples.subsampled {
        Some(SubsampledStrips::new(&mut decoder, bytes)?)
    } else {
        None
    };
    let raw = match samples.own_lzw {
        Some(_) => Some(RawStrips::new(&mut decoder, bytes)?),
        None => None,
    };
    let rows_per_strip = decoder.chunk_dimensions().1.max(1);
    let strips = match &subsampled {
        Some(subsampled) => subsampled.count(),
        None => decoder.strip_count().map_err(tiff_error)?,
    };
    if let (Some(raw), Some(horizontal)) = (&raw, samples.own_lzw) {
        if strips > 1 && u64::from(height) * row_len as u64 >= ALTERNATING_BYTES {
            // Our own LZW strips decode independently: two threads decode every other one.
            let decode_strip = |strip: u32, out: &mut Vec<u8>| -> Result<()> {
                out.clear();
                let rows = rows_per_strip.min(height.saturating_sub(strip * rows_per_strip));
                raw.read(strip as usize, out, rows as usize * row_len)?;
                if horizontal {
                    undo_horizontal_predictor(out, row_len, channels);
                }
                if !out.len().is_multiple_of(row_len) {
                    return Err(Error::decode("a TIFF strip holds partial rows"));
                }
                convert(&samples, out);
                Ok(())
            };
            run_alternating(strips, decode_strip, |rows| {
                if let Some(transform) = transform.as_mut() {
                    transform.apply(rows);
                }
                bands.push(rows)
            })?;
            let pixels = bands.finish_pixels()?;
            return Ok(Picture::still(orientation::apply(pixels, orientation)));
        }
    }
    let mut units = Vec::new();
    for strip in 0..strips {
        let start = band.len();
        if let Some(subsampled) = &subsampled {
            subsampled.read(strip, &mut units, &mut band)?;
        } else if let (Some(raw), Some(horizontal)) = (&raw, samples.own_lzw) {
            let rows = rows_per_strip.min(height.saturating_sub(strip * rows_per_strip));
            raw.read(strip as usize, &mut band, rows as usize * row_len)?;
            if horizontal {
                undo_horizontal_predictor(&mut band[start..], row_len, channels);
            }
        } else {
            read_strip(&mut decoder, strip, &samples, &mut band)?;
        }
        // Whole rows only: a strip returned short is an error of the file.
        if !(band.len() - start).is_multiple_of(row_len) {
            return Err(Error::decode("a TIFF strip holds partial rows"));
        }
        convert(&samples, &mut band[start..]);
        if band.len() >= band_len || strip + 1 == strips {
            if let Some(transform) = transform.as_mut() {
                transform.apply(&mut band);
            }
            bands.push(&mut band)?;
            band.clear();
        }
    }
    let pixels = bands.finish_pixels()?;
    Ok(Picture::still(orientation::apply(pixels, orientation)))
}

/// Appends strip `strip`, as the `tiff` crate decodes it, narrowed to 8 bits, to `band`.
fn read_strip<R: std::io::Read + std::io::Seek>(
    decoder: &mut Decoder<R>,
    strip: u32,
    samples: &Samples,
    band: &mut Vec<u8>,
) -> Result<()> {
    match decoder.read_chunk(strip).map_err(tiff_error)? {
        DecodingResult::U8(data) if !samples.sixteen => band.extend_from_slice(&data),
        DecodingResult::U16(data) if samples.sixteen => band.extend(
            data.iter()
                .map(|&value| ((u32::from(value) + 128) / 257) as u8),
        ),
        _ => {
            return Err(Error::decode(
                "a TIFF strip has other samples than its header",
            ))
        }
    }
    Ok(())
}

/// Undoes TIFF's horizontal predictor (Predictor 2) on 8-bit `rows` of `row_len` samples,
/// `channels` a pixel: each sample is stored as its difference from the same sample of the pixel
/// to its left.
fn undo_horizontal_predictor(rows: &mut [u8], row_len: usize, channels: usize) {
    match channels {
        1 => undo_predictor_by_pixel::<1>(rows, row_len),
        2 => undo_predictor_by_pixel::<2>(rows, row_len),
        3 => undo_predictor_by_pixel::<3>(rows, row_len),
        4 => undo_predictor_by_pixel::<4>(rows, row_len),
        _ => {
            for row in rows.chunks_exact_mut(row_len) {
                for i in channels..row.len() {
                    row[i] = row[i].wrapping_add(row[i - channels]);
                }
            }
        }
    }
}

/// [`undo_horizontal_predictor`] for `N` channels: the running sums stay in registers, so each
/// sample costs one add instead of a load of the sample just stored.
fn undo_predictor_by_pixel<const N: usize>(rows: &mut [u8], row_len: usize) {
    for row in rows.chunks_exact_mut(row_len) {
        let mut sum = [0u8; N];
        for pixel in row.chunks_exact_mut(N) {
            for (sum, sample) in sum.iter_mut().zip(pixel) {
                *sum = sum.wrapping_add(*sample);
                *sample = *sum;
            }
        }
    }
}

/// YCbCr to RGB and associated alpha to straight, in place, on 8-bit samples.
fn convert(samples: &Samples, band: &mut [u8]) {
    if let Some(ycbcr) = samples.ycbcr {
        for pixel in band.chunks_exact_mut(3) {
            let rgb = ycbcr.rgb([pixel[0], pixel[1], pixel[2]]);
            pixel.copy_from_slice(&rgb);
        }
    }
    if samples.associated_alpha {
        interpretation::unpremultiply_samples(band, samples.channels);
    }
}
