//! Still lossless WebP in bands of rows: the crate's VP8L decoder ([`vp8l`]) entropy decodes the
//! next rows into a window that keeps only what a backward reference can still reach, inverts
//! the transforms band by band, and each band is converted to sRGB and resampled as it arrives
//! ([`Bands`]). A render holds the window (about 4 MiB, or the coded picture when smaller), the
//! transform data, two bands and the resampler's rows ([`peak_bytes`]), never the whole picture;
//! a large one is entropy decoded on a scoped thread while this one inverts and resamples the
//! band before ([`run_bands`]).
//!
//! What this path does not take goes to `image` ([`super::still`]): animations, lossy pictures,
//! and a VP8L chunk whose size disagrees with the extended header's canvas.

use image::metadata::Orientation;

use super::colour::BandTransform;
use super::overlap::{core_to_spare, run_bands};
use super::{check_area, orientation, vp8l};
use crate::limits::Limits;
use crate::render::picture::Picture;
use crate::render::resize::{self, Bands};
use crate::render::webp_chunks::chunks;
use crate::{Error, Result};

/// The parts of a still lossless WebP this path reads.
pub(super) struct Still<'a> {
    /// The VP8L bitstream and what its header says.
    pub(super) bitstream: &'a [u8],
    pub(super) header: vp8l::Header,
    /// The ICC profile and the EXIF block, when the extended header has them.
    icc: Option<&'a [u8]>,
    exif: Option<&'a [u8]>,
}

/// The parts of `bytes` when it is a still lossless WebP (one VP8L chunk, no animation). Reads
/// chunk headers and the VP8L header only.
pub(super) fn takes(bytes: &[u8]) -> Option<Still<'_>> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return None;
    }
    let mut canvas = None;
    let mut still: Option<Still> = None;
    let (mut icc, mut exif) = (None, None);
    for chunk in chunks(bytes) {
        match chunk.kind {
            b"VP8X" => {
                let payload = chunk.payload.get(..10)?;
                // The animation flag.
                if payload[0] & 0x02 != 0 {
                    return None;
                }
                let side = |at: usize| {
                    u32::from_le_bytes([payload[at], payload[at + 1], payload[at + 2], 0]) + 1
                };
                canvas = Some((side(4), side(7)));
            }
            b"VP8L" if still.is_none() => {
                still = Some(Still {
                    bitstream: chunk.payload,
                    header: vp8l::header(chunk.payload)?,
                    icc: None,
                    exif: None,
                });
            }
            b"ICCP" => icc = Some(chunk.payload),
            b"EXIF" => exif = Some(chunk.payload),
            b"VP8 " | b"ALPH" | b"ANIM" | b"ANMF" => return None,
            _ => {}
        }
    }
    let still = still?;
    let size = (still.header.width, still.header.height);
    if canvas.is_some_and(|canvas| canvas != size) {
        return None;
    }
    // Only an extended file carries ICC and EXIF chunks.
    let extended = canvas.is_some();
    Some(Still {
        icc: icc.filter(|_| extended),
        exif: exif.filter(|_| extended),
        ..still
    })
}

/// Rows per band: about [`resize::BAND_BYTES`] of coded pixels.
fn band_rows(width: u32) -> usize {
    (resize::BAND_BYTES / (width as usize * 4).max(1)).max(1)
}

/// The most memory [`decode`] holds for a `source`-sized (as displayed) picture at `target`:
/// the decoder's ([`vp8l::peak_bytes`]), the converted band, and the resampler's window,
/// intermediate and result (whichever way the orientation turns it).
pub(super) fn peak_bytes(source: (u32, u32), target: (u32, u32)) -> u64 {
    // The stored width is either side of the displayed size.
    let (width, height) = (source.0.max(source.1), source.0.min(source.1));
    let rows = band_rows(width);
    let bands = Bands::bytes((source.0, source.1), target, 4).max(Bands::bytes(
        (source.1, source.0),
        (target.1, target.0),
        4,
    ));
    vp8l::peak_bytes(width, height, rows)
        .saturating_add((rows as u64 * u64::from(width)) * 4)
        .saturating_add(bands)
}

/// Decodes `bytes` (a WebP that [`takes`]) to an oriented sRGB picture of exactly `target`'s
/// size, with an alpha channel when `alpha` (what the probe said).
pub(super) fn decode(
    bytes: &[u8],
    alpha: bool,
    target: (u32, u32),
    limits: &Limits,
) -> Result<Picture> {
    let still =
        takes(bytes).ok_or_else(|| Error::decode("the WebP is not a still lossless picture"))?;
    let (width, height) = (still.header.width, still.header.height);
    check_area(width, height, limits)?;
    // Broken metadata never stops the pixels from being shown.
    let orientation = still
        .exif
        .map_or(Orientation::NoTransforms, orientation::from_exif);
    let channels = if alpha { 4 } else { 3 };
    let mut transform = still.icc.and_then(|icc| BandTransform::new(icc, channels));
    let stored_target = orientation::oriented(target, orientation);
    let mut bands = Bands::new((width, height), stored_target, channels)?;
    let rows_per_band = band_rows(width);
    let (mut rows, mut transforms) = vp8l::open(still.bitstream, rows_per_band)?;
    let mut converted = vec![0u8; rows_per_band * width as usize * channels];
    let overlap = u64::from(width) * u64::from(height) >= OVERLAP_PIXELS && core_to_spare();
    let band_len = rows_per_band * rows.width();
    run_bands(
        band_len,
        overlap,
        |band: &mut [u32]| rows.fill(band),
        |band, filled| {
            let argb = transforms.apply(band, filled)?;
            let bytes = &mut converted[..argb.len() * channels];
            to_bytes(argb, bytes, channels);
            if let Some(transform) = transform.as_mut() {
                transform.apply(bytes);
            }
            bands.push(bytes)
        },
    )?;
    let pixels = bands.finish_pixels()?;
    Ok(Picture::still(orientation::apply(pixels, orientation)))
}

/// The size from which a render entropy decodes on a thread of its own: above it, the overlap
/// saves more than the thread costs.
const OVERLAP_PIXELS: u64 = 1 << 20;

/// ARGB words to RGBA or RGB bytes.
fn to_bytes(argb: &[u32], out: &mut [u8], channels: usize) {
    for (&pixel, out) in argb.iter().zip(out.chunks_exact_mut(channels)) {
        let [alpha, red, green, blue] = pixel.to_be_bytes();
        out[0] = red;
        out[1] = green;
        out[2] = blue;
        if channels == 4 {
            out[3] = alpha;
        }
    }
}
