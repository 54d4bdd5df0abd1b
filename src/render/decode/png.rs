//! Streaming PNG: a non-interlaced PNG is read a band of rows at a time through the `png` crate's
//! row reader and resampled as the rows arrive ([`Bands`]), so a render holds the band, the
//! filter's window of rows, a source-width × target-height intermediate and the output, never the
//! whole source. Each band is narrowed to 8 bits,
//! converted to sRGB through its ICC profile and premultiplied; the small result is oriented.
//! A large picture's rows are read on a scoped thread while the render resamples the band
//! before ([`OVERLAP_BYTES`], [`run_bands`]): a lone render puts a second core to work on
//! inflating.
//! Interlaced PNGs (whose last pass touches every row) keep the whole-picture path ([`still`]).

use std::io::{BufRead, Cursor, Seek};

use image::metadata::Orientation;

use super::colour::BandTransform;
use super::overlap::{core_to_spare, run_bands};
use super::{check_area, image_limits, orientation, still};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::crop::{Crop, Target};
use crate::render::picture::Picture;
use crate::render::resize::{self, Bands};
use crate::{Error, Result};

/// Whether `bytes` (a PNG whose header was probed) decode in bands: every PNG but interlaced ones.
pub(super) fn streams(bytes: &[u8]) -> bool {
    // IHDR's interlace method, the last of its 13 bytes (the probe checked IHDR comes first).
    bytes.get(28) == Some(&0)
}

/// The most memory [`decode`] holds for a `source`-sized (as displayed) PNG at `target`: the
/// reader's rows (two at 16-bit RGBA) and inflate state, the bands in flight and the colour
/// scratch, the resampler's window, intermediate and result (whichever way the orientation turns
/// it).
pub(super) fn peak_bytes(source: (u32, u32), target: (u32, u32)) -> u64 {
    let row16 = u64::from(source.0.max(source.1)) * 8;
    let band = (resize::BAND_BYTES as u64).max(row16 / 2);
    let reader = row16.saturating_mul(2).saturating_add(64 * 1024);
    let bands = Bands::bytes((source.0, source.1), target, 4).max(Bands::bytes(
        (source.1, source.0),
        (target.1, target.0),
        4,
    ));
    reader
        .saturating_add(band.saturating_mul(3))
        .saturating_add(bands)
}

/// Decodes `bytes` (a PNG) to an oriented sRGB picture of exactly `target`'s size, showing its
/// crop, in bands when it is not interlaced.
pub(super) fn decode(bytes: &[u8], target: impl Into<Target>, limits: &Limits) -> Result<Picture> {
    let target: Target = target.into();
    if !streams(bytes) {
        return still::decode(bytes, ImageFormat::Png, target, limits);
    }
    decode_rows(Cursor::new(bytes), target, limits)
}

/// Decodes a non-interlaced PNG read in order from `source` (from its first byte), in bands, to
/// an oriented sRGB picture of exactly `target`'s size, showing its crop.
pub(super) fn decode_rows<R: BufRead + Seek + Send>(
    source: R,
    target: Target,
    limits: &Limits,
) -> Result<Picture> {
    let max_bytes =
        usize::try_from(image_limits(limits).max_alloc.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
    let mut decoder = png::Decoder::new_with_limits(source, png::Limits { bytes: max_bytes });
    decoder.set_ignore_text_chunk(true);
    // Palette to RGB(A), tRNS to alpha, low bit depths to 8; 16 bits stay 16 (narrowed below).
    decoder.set_transformations(png::Transformations::EXPAND);
    let header = decoder.read_header_info().map_err(png_error)?;
    check_area(header.width, header.height, limits)?;
    let reader = decoder.read_info().map_err(png_error)?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    if info.interlaced {
        // Callers check the header first (`streams`).
        return Err(Error::internal(
            "decoding a PNG in bands",
            "it is interlaced",
        ));
    }
    // Broken metadata never stops the pixels from being shown.
    let orientation = info
        .exif_metadata
        .as_deref()
        .map_or(Orientation::NoTransforms, orientation::from_exif);
    let (colour, depth) = reader.output_color_type();
    let channels = colour.samples();
    let sixteen = depth == png::BitDepth::Sixteen;
    let mut transform = info
        .icc_profile
        .as_deref()
        .and_then(|icc| BandTransform::new(icc, channels));

    let stored_target = orientation::stored_target(target, orientation);
    let mut rows_kept = RowCrop::new(stored_target.crop, (width, height), channels)?;
    let mut bands = Bands::new(rows_kept.size(), stored_target.size, channels)?;
    let row_len = usize::try_from(width)
        .ok()
        .and_then(|width| width.checked_mul(channels))
        .ok_or_else(|| Error::decode("a PNG row does not fit in memory"))?;
    let band_len = resize::band_len(row_len, height);
    let mut rows = Rows {
        reader,
        row_len,
        sixteen,
    };
    let overlap = u64::from(height) * row_len as u64 >= OVERLAP_BYTES && core_to_spare();
    run_bands(
        band_len,
        overlap,
        |band: &mut [u8]| rows.fill(band),
        |band, filled| {
            push(
                &mut bands,
                rows_kept.keep(&mut band[..filled]),
                transform.as_mut(),
            )
        },
    )?;
    let pixels = bands.finish_pixels()?;
    Ok(Picture::still(orientation::apply(pixels, orientation)))
}

/// The 8-bit size from which a render reads the rows on a thread of its own while it resamples
/// the previous band: above it, the overlap saves more than the thread costs.
const OVERLAP_BYTES: u64 = 4 << 20;

/// The row reader and how to narrow its rows.
struct Rows<R: BufRead + Seek> {
    reader: png::Reader<R>,
    row_len: usize,
    sixteen: bool,
}

impl<R: BufRead + Seek> Rows<R> {
    /// Fills `band` with the next rows, as many as fit; returns the bytes filled (0 at the end).
    fn fill(&mut self, band: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled + self.row_len <= band.len() {
            let Some(row) = self.reader.next_row().map_err(png_error)? else {
                break;
            };
            narrow(
                row.data(),
                &mut band[filled..filled + self.row_len],
                self.sixteen,
            )?;
            filled += self.row_len;
        }
        Ok(filled)
    }
}

/// Converts a band to sRGB and hands it to the resampler.
fn push(bands: &mut Bands, band: &mut [u8], transform: Option<&mut BandTransform>) -> Result<()> {
    if let Some(transform) = transform {
        transform.apply(band);
    }
    bands.push(band)
}

/// The part of each row a crop keeps (`fit=cover`): a band of whole source rows becomes the
/// crop's rows, packed at the band's start; rows above and below the crop are dropped.
struct RowCrop {
    /// The row length of the source and of the crop, in bytes.
    source_row: usize,
    kept_row: usize,
    /// The first kept byte of a row.
    offset: usize,
    /// The kept rows, `[top, bottom)`, and the source rows seen so far.
    top: u32,
    bottom: u32,
    seen: u32,
    /// The crop's size (the whole source without one).
    size: (u32, u32),
}

impl RowCrop {
    /// Keeps `crop` (in stored pixels) of a `source`-sized picture with `channels` 8-bit
    /// channels, or every row whole.
    fn new(crop: Option<Crop>, source: (u32, u32), channels: usize) -> Result<Self> {
        let (left, top, width, height) = match crop {
            Some(crop) => {
                if crop.source != source || !crop.lies_within(source) {
                    return Err(Error::internal(
                        "decoding a PNG",
                        "the crop box is not inside the picture",
                    ));
                }
                (crop.left, crop.top, crop.width, crop.height)
            }
            None => (0, 0, source.0, source.1),
        };
        Ok(RowCrop {
            source_row: source.0 as usize * channels,
            kept_row: width as usize * channels,
            offset: left as usize * channels,
            top,
            bottom: top + height,
            seen: 0,
            size: (width, height),
        })
    }

    /// The size of what is kept.
    fn size(&self) -> (u32, u32) {
        self.size
    }

    /// The kept part of `band` (the next whole source rows), moved to its start.
    fn keep<'a>(&mut self, band: &'a mut [u8]) -> &'a mut [u8] {
        let rows = rows_of(band, self.source_row);
        let first = self.seen;
        self.seen = self.seen.saturating_add(rows);
        if self.kept_row == self.source_row {
            let from = self.top.saturating_sub(first).min(rows) as usize * self.source_row;
            let to = self.bottom.saturating_sub(first).min(rows) as usize * self.source_row;
            return &mut band[from..to];
        }
        let mut kept = 0;
        for row in first.max(self.top)..self.seen.min(self.bottom) {
            let at = (row - first) as usize * self.source_row + self.offset;
            band.copy_within(at..at + self.kept_row, kept);
            kept += self.kept_row;
        }
        &mut band[..kept]
    }
}

/// How many rows of `row_len` bytes `band` holds.
fn rows_of(band: &[u8], row_len: usize) -> u32 {
    u32::try_from(band.len() / row_len.max(1)).unwrap_or(u32::MAX)
}

/// Copies one decoded row into `dst`, rounding 16-bit samples (big-endian) to 8 bits the way
/// `image` does (`round(v × 255 / 65535)`).
fn narrow(row: &[u8], dst: &mut [u8], sixteen: bool) -> Result<()> {
    let short = || Error::decode("a PNG row is shorter than its header says");
    if sixteen {
        let row = row.get(..dst.len() * 2).ok_or_else(short)?;
        for (out, sample) in dst.iter_mut().zip(row.chunks_exact(2)) {
            let value = u32::from(u16::from_be_bytes([sample[0], sample[1]]));
            *out = ((value + 128) / 257) as u8;
        }
    } else {
        dst.copy_from_slice(row.get(..dst.len()).ok_or_else(short)?);
    }
    Ok(())
}

/// Maps the `png` crate's error: a limit it hit is a limit, an unsupported feature is
/// unsupported, the rest is a decode error.
fn png_error(error: png::DecodingError) -> Error {
    match error {
        png::DecodingError::LimitsExceeded => {
            Error::decode("the PNG needs more memory than allowed")
        }
        other => Error::decode(other),
    }
}
