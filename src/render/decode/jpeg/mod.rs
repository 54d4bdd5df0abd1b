//! JPEG: a marker scan for the header, and the crate's own decoder with DCT-domain
//! shrink-on-load.
//!
//! The decoder is specialised for thumbnails: it decodes at 1/8, 1/4, 1/2 or full scale (the
//! smallest that leaves twice the target, [`dct_scale`]), running reduced IDCTs on only
//! the low-frequency coefficients each scale needs and skipping the rest in the entropy decoder
//! without storing them. Progressive files keep a reduced coefficient store (one coefficient per
//! full-resolution block at 1/8, where their AC scans are skipped without decoding them). At 1/8
//! the decoder can keep libjpeg's chroma detail (chroma subsampled in both directions decoded at
//! 2×2, which decodes its AC scans) or DC only for every component, which a render takes because
//! it still reduces by two or more ([`decoder::Chroma`]). Chroma upsampling otherwise follows
//! libjpeg's choice of filter, including its rules for 1/8 and for planes of at most two samples.
//! Restart intervals decode in parallel on at most `std::thread::available_parallelism()`
//! threads.
//!
//! It handles baseline and extended (8-bit) sequential and progressive JPEG, Huffman or
//! arithmetic coded (SOF0–2, SOF9–10, with DAC conditioning), 1, 3 or 4 components (grey, YCbCr,
//! RGB, CMYK, YCCK), sampling factors 1, 2 and 4, restart markers, and truncated or corrupt
//! entropy data (what is missing stays mid-grey, as with libjpeg; arithmetic-coded data is fed
//! zeros past its end, as the standard says, and an impossible decision sequence ends its
//! restart interval). In a file
//! with restart markers a corrupt interval costs that interval only: decoding resynchronises at
//! the next RST marker, checking its number like libjpeg does (lost or stale markers included).
//!
//! Sequential blocks decoded at 2×2 or 4×4 (1/4 and 1/2 scale) never hold their coefficients:
//! each decoded coefficient adds its dequantised share of the reduced IDCT to accumulators
//! (`idct::Direct`), which removes the block buffer, its clearing and the separate transform.
//!
//! # Stages
//!
//! One file per stage, in the order a file goes through them:
//! - [`marker`]: the typed [`Marker`] and the one walk over marker segments ([`Segments`]), also
//!   used by [`read_header`] and by the upload metadata stripper;
//! - [`headers`]: the segments' contents (frame and scan headers, tables, application segments);
//! - [`decoder`]: the entry and its marker loop, which hands each scan to its stage;
//! - [`layout`] and [`scratch`]: the frame's block grids at the reduced size, and the per-thread
//!   buffers they are decoded into;
//! - [`sequential`] and [`progressive`]: the scans, over [`huffman`] (bit reader, tables) and
//!   [`idct`] (reduced transforms);
//! - [`arithmetic_scan`]: the scans of arithmetic-coded frames, into the same planes and
//!   coefficient store, over [`arithmetic_blocks`] (what the decisions mean: T.81 F.2.4, G.2) and
//!   [`arithmetic`] (the binary decoder and Table D.2, Annex D);
//! - [`restart`]: the one loop over a scan's units with restart markers and resynchronisation,
//!   and the parallel schedule of restart intervals;
//! - [`output`]: upsampling ([`upsample`]) and colour into the decoded image;
//! - [`rows`]: instead of [`output`], for a sequential grey or colour file whose first scan holds
//!   every component, rendered at 1/2 or full scale without a crop: the scan decoded one MCU row
//!   at a time, its output rows (the same pixels) resampled as they come (`resize::Bands`, ICC per
//!   band), so the render holds an MCU row, a band, the resampler's intermediate and the output,
//!   not the picture. MCU rows decode on the calling thread (restart intervals not in parallel).
//!
//! # Fallback
//!
//! The decoder reports its own errors ([`error`]'s `DecodeError`), and [`decode`] decides on
//! them: a limit is final; what it declines (`Declined`) or cannot parse (`Corrupt`) goes to
//! `jpeg-decoder` (then `image`'s zune-jpeg). Each row is tested in `tests.rs`:
//! - declined: lossless JPEG (SOF3), which `jpeg-decoder` decodes;
//! - declined: sampling factors other than 1, 2 or 4 (3, say), which `jpeg-decoder` decodes;
//! - declined: a progressive file whose refinement scan needs coefficients of a band it skipped
//!   (a scan order no encoder we know writes);
//! - corrupt: files whose marker segments it cannot parse (corrupt tables, a scan before the
//!   frame…), where the fallbacks may still recover something.
//!
//! Refused by [`read_header`] before any decoder runs (a clean 422, as before, since neither
//! fallback decodes them): lossless arithmetic coding (SOF11), 12-bit samples, the hierarchical
//! and differential processes (SOF5–7, SOF13–15). An arithmetic-coded file the decoder cannot
//! parse goes to the fallbacks like any other, which refuse it with their error.
//!
//! # Threads
//!
//! The crate-internal `decoder::decode(bytes, eighths, limits, threads)` takes the number of
//! threads restart intervals may use (1: the calling thread only); the render path passes
//! `std::thread::available_parallelism()`.

mod arithmetic;
mod arithmetic_blocks;
mod arithmetic_scan;
mod decoder;
mod error;
mod headers;
mod huffman;
mod idct;
mod layout;
pub(crate) mod marker;
mod output;
mod progressive;
mod restart;
mod rows;
mod scratch;
mod sequential;
#[cfg(test)]
mod tests;
mod upsample;

use std::io::Cursor;

use headers::FrameHeader;
use image::metadata::Orientation;
use image::{GrayImage, ImageBuffer, ImageDecoder, RgbImage};
use jpeg_decoder::PixelFormat;
use marker::{Marker, SegmentError, Segments};

use super::colour::BandTransform;
use super::{check_area, colour, image_error, image_limits, orientation, resize};
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::{Picture, Pixels};
use crate::render::resize::Bands;
use crate::{Error, Result};
use error::DecodeError;

/// What the JPEG markers before the first scan say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// Stored width.
    pub(super) width: u16,
    /// Stored height.
    pub(super) height: u16,
    /// Number of colour components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
    pub(super) components: u8,
    /// The Adobe APP14 transform flag, when that segment is present.
    pub(super) adobe_transform: Option<u8>,
    /// Progressive process (SOF2). Only the `turbojpeg` path asks.
    #[cfg_attr(not(feature = "turbojpeg"), allow(dead_code))]
    pub(super) progressive: bool,
    /// The EXIF orientation (normal when absent).
    pub(super) orientation: Orientation,
}

/// Scans the markers up to the first scan (SOS) for the frame header, EXIF and Adobe segments.
pub(super) fn read_header(bytes: &[u8]) -> Result<Header> {
    let truncated = || Error::decode("JPEG header is truncated or has no frame header");
    let mut frame: Option<(u16, u16, u8, bool)> = None;
    let mut adobe_transform = None;
    let mut exif_orientation = None;
    let mut segments = Segments::new(bytes, 2);
    loop {
        let segment = match segments.next() {
            Some(Ok(segment)) => segment,
            // Only what comes before the first scan matters.
            Some(Err(error)) if error.marker() == Some(Marker::Sos) => break,
            Some(Err(SegmentError::NotAMarker { at })) => {
                return Err(Error::decode(format!("JPEG marker expected at byte {at}")))
            }
            None => {
                let at = segments.position();
                return Err(Error::decode(format!("JPEG marker expected at byte {at}")));
            }
            Some(Err(SegmentError::BadLength { .. })) => {
                return Err(Error::decode("JPEG segment with an invalid length"))
            }
            Some(Err(SegmentError::Truncated { .. })) => return Err(truncated()),
        };
        let data = segment.data;
        match segment.marker {
            Marker::Eoi | Marker::Sos => break,
            Marker::Sof(process) => {
                if frame.is_some() {
                    continue;
                }
                let sof = FrameHeader::parse(data).ok_or_else(truncated)?;
                match process {
                    0..=3 | 9 | 10 => {}
                    11 => {
                        return Err(Error::UnsupportedFormat {
                            reason: "lossless arithmetic-coded JPEG (SOF11)".into(),
                        })
                    }
                    _ => {
                        return Err(Error::UnsupportedFormat {
                            reason: format!("JPEG process SOF{process}"),
                        })
                    }
                }
                let precision = sof.precision;
                if precision != 8 && process != 3 {
                    return Err(Error::UnsupportedFormat {
                        reason: format!("{precision}-bit JPEG"),
                    });
                }
                let components = sof.count;
                if !matches!(components, 1 | 3 | 4) {
                    return Err(Error::UnsupportedFormat {
                        reason: format!("JPEG with {components} components"),
                    });
                }
                frame = Some((sof.width, sof.height, components, matches!(process, 2 | 10)));
            }
            Marker::App(1) if exif_orientation.is_none() => {
                if let Some(exif) = data.strip_prefix(b"Exif\0\0") {
                    exif_orientation = Some(orientation::from_exif(exif));
                }
            }
            Marker::App(14) => {
                if let [b'A', b'd', b'o', b'b', b'e', rest @ ..] = data {
                    adobe_transform = rest.get(6).copied().or(Some(0));
                }
            }
            _ => {}
        }
    }
    let (width, height, components, progressive) = frame.ok_or_else(truncated)?;
    Ok(Header {
        width,
        height,
        components,
        adobe_transform,
        progressive,
        orientation: exif_orientation.unwrap_or(Orientation::NoTransforms),
    })
}

/// The smallest DCT scale (in eighths: 1, 2 or 4; 8 is a full decode) that still leaves at least
/// twice `target` in both directions for the final resample.
pub(super) fn dct_scale(source: (u32, u32), target: (u32, u32)) -> u32 {
    let scaled = |side: u32, eighths: u32| side.saturating_mul(eighths).div_ceil(8);
    [1, 2, 4]
        .into_iter()
        .find(|&eighths| {
            scaled(source.0, eighths) >= target.0.saturating_mul(2)
                && scaled(source.1, eighths) >= target.1.saturating_mul(2)
        })
        .unwrap_or(8)
}

/// How much of a decode of `source` at a reduced scale is picture: the DCT scale `k`/8 is the one
/// that makes the decoded size (`⌈side · k / 8⌉`), and the picture covers `side · k / 8` of it
/// (the last row and column may be partial). The decoded size itself for anything else.
fn scaled_extent(source: (u32, u32), decoded: (u32, u32)) -> (f64, f64) {
    let extent = |side: u32, decoded: u32| {
        [1, 2, 4, 8]
            .into_iter()
            .find(|&eighths| side.saturating_mul(eighths).div_ceil(8) == decoded)
            .map_or(f64::from(decoded), |eighths| {
                f64::from(side) * f64::from(eighths) / 8.0
            })
    };
    (extent(source.0, decoded.0), extent(source.1, decoded.1))
}

/// Decodes a JPEG to an oriented sRGB picture of exactly `target`'s (displayed) size, showing its
/// crop. Shrink-on-load picks the DCT scale from the size the whole photo has at the target's
/// scale, so a crop is decoded at least twice its output size too.
pub(super) fn decode(bytes: &[u8], target: impl Into<Target>, limits: &Limits) -> Result<Picture> {
    let header = read_header(bytes)?;
    let source = (u32::from(header.width), u32::from(header.height));
    check_area(source.0, source.1, limits)?;
    let stored_target = orientation::stored_target(target.into(), header.orientation);
    let whole = stored_target.whole_size();
    #[cfg(feature = "turbojpeg")]
    let turbo = turbo::decode_scaled(bytes, &header, dct_scale(source, whole));
    #[cfg(not(feature = "turbojpeg"))]
    let turbo: Option<Pixels> = None;
    let eighths = dct_scale(source, whole);
    let pixels = match turbo {
        Some(pixels) => pixels,
        None if streams_at(&header, stored_target, eighths) => {
            let mut sink = BandSink {
                source,
                target: stored_target.size,
                bands: None,
            };
            match decoder::decode_streaming(bytes, eighths, limits, threads(), &mut sink) {
                Ok(decoder::Outcome::Streamed) => {
                    let (bands, _) = sink.bands.ok_or_else(|| {
                        Error::internal("decoding a JPEG", "rows streamed without a resampler")
                    })?;
                    let pixels = bands.finish_pixels()?;
                    return Ok(Picture::still(orientation::apply(
                        pixels,
                        header.orientation,
                    )));
                }
                Ok(decoder::Outcome::Whole(decoded)) => match to_pixels(decoded) {
                    Ok(pixels) => pixels,
                    Err(_) => decode_fallback(bytes, &header, source, whole, limits)?,
                },
                Err(DecodeError::Limit(error) | DecodeError::Output(error)) => return Err(error),
                Err(DecodeError::Declined(_) | DecodeError::Corrupt(_)) => {
                    decode_fallback(bytes, &header, source, whole, limits)?
                }
            }
        }
        None => match decode_native(bytes, eighths, limits, threads()) {
            Ok(pixels) => pixels,
            Err(DecodeError::Limit(error) | DecodeError::Output(error)) => return Err(error),
            // What it declines or cannot parse: the fallbacks may still decode it.
            Err(DecodeError::Declined(_) | DecodeError::Corrupt(_)) => {
                decode_fallback(bytes, &header, source, whole, limits)?
            }
        },
    };
    let extent = scaled_extent(source, pixels.dimensions());
    let pixels = resize::resize_extent(pixels, extent, stored_target)?;
    Ok(Picture::still(orientation::apply(
        pixels,
        header.orientation,
    )))
}

/// The default for the decoder's `threads` parameter: the machine's available parallelism.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The scales from which a sequential JPEG streams its rows into the resampler: 1/2 and full,
/// where the whole picture would be large (at 1/8 and 1/4 it is small, and restart intervals
/// decode in parallel).
const STREAMED_EIGHTHS: u32 = 4;

/// Whether a render of the JPEG with `header` to `target` (in stored pixels) at `eighths`/8 takes
/// the streaming path: a sequential file of one or three components, no crop, at
/// [`STREAMED_EIGHTHS`] or above. Whether its first scan holds every component is known only
/// when the decoder reaches it: one that does not decodes whole.
fn streams_at(header: &Header, target: Target, eighths: u32) -> bool {
    !header.progressive
        && matches!(header.components, 1 | 3)
        && target.crop.is_none()
        && eighths >= STREAMED_EIGHTHS
}

/// Whether a JPEG with `header` streams its rows at 1/2 and full scale without a crop (see
/// [`streams_at`]): not with the `turbojpeg` feature, whose whole-picture decode takes those
/// scales.
pub(super) fn streams(header: &Header) -> bool {
    !cfg!(feature = "turbojpeg") && !header.progressive && matches!(header.components, 1 | 3)
}

/// Whether a render at `target` (as displayed) of a `source`-sized JPEG (as displayed) that
/// [`streams`] takes the streaming path: no crop, and a scale of [`STREAMED_EIGHTHS`] or above.
pub(super) fn streams_to(source: (u32, u32), target: Target) -> bool {
    target.crop.is_none() && dct_scale(source, target.whole_size()) >= STREAMED_EIGHTHS
}

/// The most memory a streaming render of a `source`-sized (as displayed) JPEG decoded at
/// `eighths`/8 to `target` holds: a window of up to four MCU rows' worth of component rows (the
/// MCU row and its context, 32 rows at most), the band of output rows and the colour scratch, and
/// the resampler's window, intermediate and result (whichever way the orientation turns it).
pub(super) fn peak_bytes(source: (u32, u32), eighths: u32, target: (u32, u32)) -> u64 {
    let scaled = |side: u32| side.saturating_mul(eighths).div_ceil(8);
    let decoded = (scaled(source.0), scaled(source.1));
    let wide = u64::from(decoded.0.max(decoded.1)).saturating_add(64);
    let windows = wide.saturating_mul(34 * 3);
    let band = (crate::render::resize::BAND_BYTES as u64).max(wide * 3);
    let bands = Bands::bytes(decoded, target, 3).max(Bands::bytes(
        (decoded.1, decoded.0),
        (target.1, target.0),
        3,
    ));
    windows
        .saturating_add(band.saturating_mul(2))
        .saturating_add(bands)
}

/// The streaming decode's sink: the first call makes the resampler (and the colour transform),
/// then each band of rows is converted to sRGB and resampled.
struct BandSink {
    /// The stored size.
    source: (u32, u32),
    /// The output size, in stored pixels.
    target: (u32, u32),
    /// The resampler and the ICC transform, once the decoder said what comes.
    bands: Option<(Bands, Option<BandTransform>)>,
}

impl rows::RowSink for BandSink {
    fn begin(
        &mut self,
        width: usize,
        height: usize,
        kind: decoder::ColourKind,
        icc: Option<Vec<u8>>,
    ) -> Result<()> {
        let too_large = || Error::decode("a JPEG row does not fit in memory");
        let decoded = (
            u32::try_from(width).map_err(|_| too_large())?,
            u32::try_from(height).map_err(|_| too_large())?,
        );
        let channels = match kind {
            decoder::ColourKind::Gray => 1,
            decoder::ColourKind::Rgb => 3,
            decoder::ColourKind::Cmyk => {
                return Err(Error::internal(
                    "decoding a JPEG",
                    "CMYK rows cannot stream",
                ))
            }
        };
        let extent = scaled_extent(self.source, decoded);
        let bands = Bands::with_extent(decoded, extent, self.target, channels)?;
        let transform = icc
            .as_deref()
            .filter(|_| channels == 3)
            .and_then(|icc| BandTransform::new(icc, channels));
        self.bands = Some((bands, transform));
        Ok(())
    }

    fn rows(&mut self, band: &mut [u8]) -> Result<()> {
        let (bands, transform) = self
            .bands
            .as_mut()
            .ok_or_else(|| Error::internal("decoding a JPEG", "rows came before their size"))?;
        if let Some(transform) = transform {
            transform.apply(band);
        }
        bands.push(band)
    }
}

/// The crate's decoder at `eighths`/8 of the stored size, for a resample that reduces by at least
/// two afterwards (as [`dct_scale`] leaves below full size: [`decoder::Chroma::DcAtOneEighth`]),
/// with the colour converted to sRGB (ICC profile, CMYK). `threads` caps the threads used for
/// restart intervals (1: the calling thread only).
fn decode_native(
    bytes: &[u8],
    eighths: u32,
    limits: &Limits,
    threads: usize,
) -> Result<Pixels, DecodeError> {
    let chroma = decoder::Chroma::DcAtOneEighth;
    let decoded = decoder::decode_keeping(bytes, eighths, chroma, limits, threads)?;
    to_pixels(decoded)
}

/// The fallbacks for what the crate's decoder declines or cannot parse: `jpeg-decoder`, then
/// `image` (zune-jpeg) unless `jpeg-decoder` hit a limit; the error is `jpeg-decoder`'s.
fn decode_fallback(
    bytes: &[u8],
    header: &Header,
    source: (u32, u32),
    target: (u32, u32),
    limits: &Limits,
) -> Result<Pixels> {
    match decode_scaled(bytes, header, source, target, limits) {
        Ok(pixels) => Ok(pixels),
        Err(error @ Error::LimitExceeded { .. }) => Err(error),
        Err(error) => decode_with_image(bytes, limits).map_err(|_| error),
    }
}

/// A decoded image to 8-bit sRGB pixels.
fn to_pixels(decoded: decoder::Decoded) -> Result<Pixels, DecodeError> {
    let short = || DecodeError::Corrupt("JPEG decoder returned fewer pixels than declared");
    let width = u32::try_from(decoded.width).map_err(|_| short())?;
    let height = u32::try_from(decoded.height).map_err(|_| short())?;
    match decoded.kind {
        decoder::ColourKind::Gray => GrayImage::from_raw(width, height, decoded.data)
            .map(Pixels::Gray)
            .ok_or_else(short),
        decoder::ColourKind::Rgb => {
            let mut image = RgbImage::from_raw(width, height, decoded.data).ok_or_else(short)?;
            if let Some(icc) = decoded.icc.as_deref() {
                colour::rgb_to_srgb(icc, &mut image);
            }
            Ok(Pixels::Rgb(image))
        }
        decoder::ColourKind::Cmyk => {
            colour::cmyk_to_srgb(&decoded.data, width, height, decoded.icc.as_deref())
                .map(Pixels::Rgb)
                .ok_or_else(short)
        }
    }
}

/// For the fuzz target only (`cfg(fuzzing)`): decodes `bytes` at `eighths`/8 with the crate's
/// JPEG decoder alone (no fallback), under `limits`, and returns the decoded size.
#[cfg(fuzzing)]
pub fn fuzz_decode(bytes: &[u8], eighths: u32, limits: &Limits) -> Result<(u32, u32)> {
    let chroma = decoder::Chroma::DcAtOneEighth;
    let _ = decoder::decode_keeping(bytes, eighths, chroma, limits, 2);
    let decoded = decoder::decode(bytes, eighths, limits, 2)?;
    Ok((decoded.width as u32, decoded.height as u32))
}

/// libjpeg-turbo (feature `turbojpeg`) for the common case: 8-bit baseline or progressive YCbCr or
/// grey. It decodes at the same DCT scale `jpeg-decoder` would and yields the same pixel types, so
/// resizing, orientation and ICC handling stay shared. Anything else (CMYK/YCCK, Adobe RGB, lossless)
/// and any libjpeg-turbo error or warning (truncated data, …) returns `None`: the caller then takes
/// the pure-Rust path, so behaviour on odd files does not change. The header probe and
/// [`check_area`] have already bounded the size; the output buffer is at most the scaled area.
#[cfg(feature = "turbojpeg")]
mod turbo {
    use image::{GrayImage, RgbImage};
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

    use super::{colour, Header};
    use crate::render::picture::Pixels;

    /// Decodes at `eighths`/8 of the stored size (as [`super::dct_scale`] chose), or `None`.
    ///
    /// Only for sequential files at 1/2 and full scale, where libjpeg-turbo's SIMD IDCT is
    /// ahead; at 1/8 and 1/4, and for progressive files, the crate's decoder is faster
    /// (interleaved `thumbbench`, 256 px JPEG out, with turbo against without: photo-3mp at 1/2
    /// 8.6 ms against 9.8, photo-3mp to 1500 px at full scale 31 against 55; but photo-6mp at
    /// 1/4 12.9 against 12.2 and photo-6mp-444 at 1/4 24.4 against 18.1 even before the
    /// decoder's last refill change, and at 1/8 and for progressive files the gap is larger).
    pub(super) fn decode_scaled(bytes: &[u8], header: &Header, eighths: u32) -> Option<Pixels> {
        if !matches!(header.components, 1 | 3) || header.progressive || eighths < 4 {
            return None;
        }
        let mut decompressor = Decompressor::new().ok()?;
        let info = decompressor.read_header(bytes).ok()?;
        let format = match (header.components, info.colorspace) {
            (1, Colorspace::Gray) => PixelFormat::GRAY,
            (3, Colorspace::YCbCr) => PixelFormat::RGB,
            _ => return None,
        };
        if info.is_lossless || info.is_arithmetic {
            return None;
        }
        let factor = match eighths {
            1 => ScalingFactor::ONE_EIGHTH,
            2 => ScalingFactor::ONE_QUARTER,
            4 => ScalingFactor::ONE_HALF,
            _ => ScalingFactor::ONE,
        };
        decompressor.set_scaling_factor(factor).ok()?;
        let scaled = info.scaled(factor);
        let (width, height) = (scaled.width, scaled.height);
        let pitch = width.checked_mul(format.size())?;
        let mut pixels = vec![0; pitch.checked_mul(height)?];
        let image = Image {
            pixels: pixels.as_mut_slice(),
            width,
            pitch,
            height,
            format,
        };
        decompressor.decompress(bytes, image).ok()?;
        let (width, height) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
        if format == PixelFormat::GRAY {
            return GrayImage::from_raw(width, height, pixels).map(Pixels::Gray);
        }
        let mut image = RgbImage::from_raw(width, height, pixels)?;
        // The same ICC handling as the pure-Rust path (which reads it with `jpeg-decoder` too):
        // only reading the markers, not decoding.
        let mut markers = jpeg_decoder::Decoder::new(bytes);
        if markers.read_info().is_ok() {
            if let Some(icc) = markers.icc_profile() {
                colour::rgb_to_srgb(&icc, &mut image);
            }
        }
        Some(Pixels::Rgb(image))
    }
}

/// Decodes with `jpeg-decoder`, at a reduced DCT scale when the target allows, then converts the
/// colour to 8-bit sRGB grey or RGB.
fn decode_scaled(
    bytes: &[u8],
    header: &Header,
    source: (u32, u32),
    target: (u32, u32),
    limits: &Limits,
) -> Result<Pixels> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let max_buffer = limits
        .max_source_pixels
        .saturating_mul(u64::from(header.components.max(1)))
        .saturating_mul(2);
    decoder.set_max_decoding_buffer_size(usize::try_from(max_buffer).unwrap_or(usize::MAX));
    let eighths = dct_scale(source, target);
    if eighths < 8 {
        let request = |side: u32| u16::try_from((side * eighths).div_ceil(8)).unwrap_or(u16::MAX);
        decoder
            .scale(request(source.0), request(source.1))
            .map_err(Error::decode)?;
    }
    let data = decoder.decode().map_err(Error::decode)?;
    let info = decoder
        .info()
        .ok_or_else(|| Error::decode("JPEG decoder returned no frame information"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let icc = decoder.icc_profile();
    let short = || Error::decode("JPEG decoder returned fewer pixels than declared");
    match info.pixel_format {
        PixelFormat::L8 => GrayImage::from_raw(width, height, data)
            .map(Pixels::Gray)
            .ok_or_else(short),
        PixelFormat::L16 => {
            // Native-endian samples; the high byte is the 8-bit value.
            let grey = data
                .chunks_exact(2)
                .map(|pair| (u16::from_ne_bytes([pair[0], pair[1]]) >> 8) as u8)
                .collect();
            GrayImage::from_raw(width, height, grey)
                .map(Pixels::Gray)
                .ok_or_else(short)
        }
        PixelFormat::RGB24 => {
            let mut image: RgbImage =
                ImageBuffer::from_raw(width, height, data).ok_or_else(short)?;
            if let Some(icc) = icc.as_deref() {
                colour::rgb_to_srgb(icc, &mut image);
            }
            Ok(Pixels::Rgb(image))
        }
        PixelFormat::CMYK32 => {
            let mut cmyk = data;
            // jpeg-decoder inverts every CMYK sample, which is right for Adobe files (Photoshop
            // stores inverted ink) and wrong for the others, which store ink as is.
            if header.adobe_transform.is_none() {
                cmyk.iter_mut().for_each(|sample| *sample = 255 - *sample);
            }
            colour::cmyk_to_srgb(&cmyk, width, height, icc.as_deref())
                .map(Pixels::Rgb)
                .ok_or_else(short)
        }
    }
}

/// The fallback: a full decode with `image` (zune-jpeg), with its ICC profile applied.
fn decode_with_image(bytes: &[u8], limits: &Limits) -> Result<Pixels> {
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).map_err(image_error)?;
    decoder
        .set_limits(image_limits(limits))
        .map_err(image_error)?;
    let icc = decoder.icc_profile().ok().flatten();
    let image = image::DynamicImage::from_decoder(decoder).map_err(image_error)?;
    Ok(colour::to_srgb8(image, icc.as_deref()))
}

#[cfg(all(test, feature = "turbojpeg"))]
mod turbo_tests {
    use super::*;

    fn raw(pixels: &Pixels) -> &[u8] {
        match pixels {
            Pixels::Rgb(image) => image.as_raw(),
            Pixels::Gray(image) => image.as_raw(),
            other => panic!("unexpected pixels {other:?}"),
        }
    }

    #[test]
    fn turbo_and_pure_rust_decodes_are_close() {
        let bytes = crate::test_common::corpus::bench_bytes("photo-3mp.jpg");
        let header = read_header(&bytes).unwrap();
        let source = (u32::from(header.width), u32::from(header.height));
        let target = (256, (256 * source.1).div_ceil(source.0));
        let eighths = dct_scale(source, target);
        assert!(eighths < 8, "the photo should decode at a reduced scale");

        let turbo = turbo::decode_scaled(&bytes, &header, eighths).expect("turbo path taken");
        let pure = decode_scaled(&bytes, &header, source, target, &Limits::default()).unwrap();
        assert_eq!(turbo.dimensions(), pure.dimensions());
        let (turbo, pure) = (
            resize::resize(turbo, target).unwrap(),
            resize::resize(pure, target).unwrap(),
        );
        assert_eq!(turbo.dimensions(), target);
        let mean = crate::test_common::pixels::mean_abs_diff(raw(&turbo), raw(&pure));
        assert!(mean < 4.0, "mean abs diff {mean}");
    }
}
