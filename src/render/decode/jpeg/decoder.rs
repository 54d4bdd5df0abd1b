//! The decoder's entry and its marker loop: tables and headers in file order, each scan handed
//! to its stage ([`sequential`](super::sequential) straight to pixels at the reduced size,
//! [`progressive`](super::progressive) into a reduced coefficient store, and for arithmetic
//! coding [`arithmetic_scan`] into either), then [`output`](super::output) (upsampling and
//! colour).
//!
//! Every buffer is bounded by the frame size, which the caller checked against [`Limits`]
//! before anything is allocated.

use super::arithmetic_scan;
use super::error::{DecodeError, Result};
use super::headers::{self, Coding, Frame, Tables};
pub(crate) use super::layout::Chroma;
use super::layout::{layout, Component, Geometry};
use super::marker::{self, Marker, SegmentError, Segments};
use super::output::output;
pub(super) use super::output::{ColourKind, Decoded};
use super::progressive::{coefficients_to_plane, progressive_scan};
use super::rows::{self, RowSink};
#[cfg(test)]
pub(super) use super::scratch::scratch_bytes;
use super::scratch::{allocate, release, with_scratch, Scratch};
use super::sequential::sequential_scan;
use crate::limits::Limits;

/// Scans beyond this are refused: each scan may walk every block, so a flood of tiny scans would
/// otherwise cost time out of proportion to the file size.
pub(super) const MAX_SCANS: usize = 500;

/// Decodes `bytes` at `eighths`/8 of the stored size (`eighths` is 1, 2, 4 or 8), keeping the
/// chroma detail libjpeg keeps: the decode the tests compare with libjpeg-turbo's.
#[cfg(any(test, fuzzing))]
pub(crate) fn decode(
    bytes: &[u8],
    eighths: u32,
    limits: &Limits,
    threads: usize,
) -> Result<Decoded> {
    decode_keeping(bytes, eighths, Chroma::Libjpeg, limits, threads)
}

/// Decodes `bytes` at `eighths`/8 of the stored size (`eighths` is 1, 2, 4 or 8), keeping
/// `chroma`'s detail at 1/8.
///
/// `threads` caps the threads used for files with restart markers (1 decodes on the calling
/// thread only); files without restart markers always decode on the calling thread.
pub(crate) fn decode_keeping(
    bytes: &[u8],
    eighths: u32,
    chroma: Chroma,
    limits: &Limits,
    threads: usize,
) -> Result<Decoded> {
    let options = Options {
        eighths,
        chroma,
        threads,
    };
    match with_scratch(|scratch| decode_with(bytes, options, limits, scratch, None))? {
        Outcome::Whole(decoded) => Ok(decoded),
        Outcome::Streamed => Err(DecodeError::Corrupt("JPEG rows streamed without a sink")),
    }
}

/// What [`decode_streaming`] did with the pixels.
pub(crate) enum Outcome {
    /// The file does not stream (see [`rows::streams`]): the whole decoded picture.
    Whole(Decoded),
    /// Every row went to the sink.
    Streamed,
}

/// [`decode_keeping`] with libjpeg's chroma, but a sequential file whose first scan holds every
/// component (of one or three) hands its rows to `sink` as they are decoded, MCU row by MCU row
/// ([`rows`](super::rows)), instead of returning the whole picture. The sink hears of nothing
/// before the decoder has read the frame and the first scan header and decided to stream, so an
/// error before that leaves it untouched (the caller's fallbacks may then run).
pub(crate) fn decode_streaming(
    bytes: &[u8],
    eighths: u32,
    limits: &Limits,
    threads: usize,
    sink: &mut dyn RowSink,
) -> Result<Outcome> {
    let options = Options {
        eighths,
        chroma: Chroma::Libjpeg,
        threads,
    };
    with_scratch(|scratch| decode_with(bytes, options, limits, scratch, Some(sink)))
}

/// What a decode is asked for, besides the bytes.
#[derive(Clone, Copy)]
struct Options {
    /// The scale, in eighths of the stored size.
    eighths: u32,
    /// The chroma detail kept at 1/8.
    chroma: Chroma,
    /// The most threads restart intervals may decode on.
    threads: usize,
}

/// [`decode_keeping`] with `scratch` for its buffers; streams into `sink` when there is one and
/// the file streams.
fn decode_with(
    bytes: &[u8],
    options: Options,
    limits: &Limits,
    scratch: &mut Scratch,
    mut sink: Option<&mut dyn RowSink>,
) -> Result<Outcome> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(DecodeError::Corrupt("not a JPEG (no SOI marker)"));
    }
    let Options {
        eighths,
        chroma,
        threads,
    } = options;
    let n = match eighths {
        1 | 2 | 4 => eighths as usize,
        _ => 8,
    };
    let truncated = || DecodeError::Corrupt("JPEG is truncated before its first scan");
    let mut tables = Tables::new();
    let mut frame: Option<(Frame, Vec<Component>, Geometry)> = None;
    let mut scans = 0usize;
    let mut later = None;
    let mut segments = Segments::lenient(bytes, 2);
    while let Some(segment) = segments.next() {
        let segment = match segment {
            Ok(segment) => segment,
            Err(SegmentError::BadLength { .. }) => {
                return Err(DecodeError::Corrupt("JPEG segment with an invalid length"))
            }
            // Data cut short after a scan: decode what there is.
            Err(_) if scans > 0 => break,
            Err(_) => return Err(truncated()),
        };
        let data = segment.data;
        match segment.marker {
            Marker::Eoi => break,
            Marker::Dht => tables.read_dht(data)?,
            Marker::Dac => tables.read_dac(data)?,
            Marker::Dqt => tables.read_dqt(data)?,
            Marker::Dri => {
                tables.restart_interval =
                    usize::from(marker::read_u16(data, 0).ok_or_else(truncated)?);
            }
            Marker::App(_) => tables.read_app(segment.marker, data),
            Marker::Sof(process) => {
                if frame.is_some() {
                    return Err(DecodeError::Corrupt("JPEG has a second frame header"));
                }
                let parsed = headers::read_sof(process, data)?;
                limits
                    .check_source_pixels(parsed.width as u64 * parsed.height as u64)
                    .map_err(DecodeError::Limit)?;
                let (components, geometry) = layout(&parsed, n, chroma);
                frame = Some((parsed, components, geometry));
            }
            Marker::Sos => {
                let Some((frame, components, geometry)) = frame.as_mut() else {
                    return Err(DecodeError::Corrupt("JPEG scan before the frame header"));
                };
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(DecodeError::Corrupt("JPEG has too many scans"));
                }
                let scan = headers::read_sos(data, frame)?;
                for &(index, _, _) in &scan.components {
                    let component = &mut components[index];
                    if component.quant.is_none() {
                        component.quant =
                            Some(tables.quant[component.quant_id].ok_or_else(|| {
                                DecodeError::Corrupt("JPEG quantisation table missing")
                            })?);
                    }
                }
                let pos = segment.end;
                if let Some(sink) = sink.as_deref_mut() {
                    if scans == 1
                        && frame.coding == Coding::Huffman
                        && rows::streams(frame, &scan, bytes, pos)
                    {
                        let streamed = rows::stream_scan(
                            bytes, pos, &scan, &tables, frame, components, geometry, scratch, sink,
                        );
                        release(scratch, components.len());
                        return streamed.map(|_| Outcome::Streamed);
                    }
                }
                // Whole planes only for a decode that keeps them: a streamed scan holds a window
                // of unit rows, so sizing them earlier would fault in pages it never touches.
                if scans == 1 {
                    allocate(frame, components, scratch);
                }
                let end = match (frame.progressive, frame.coding) {
                    (true, coding) => progressive_scan(
                        bytes, pos, coding, &scan, &tables, components, geometry, scratch,
                        &mut later,
                    )?,
                    (false, Coding::Huffman) => sequential_scan(
                        bytes, pos, &scan, &tables, components, geometry, scratch, threads,
                    )?,
                    (false, Coding::Arithmetic) => arithmetic_scan::sequential_scan(
                        bytes, pos, &scan, &tables, components, geometry, scratch,
                    ),
                };
                segments.seek(end);
            }
            _ => {}
        }
    }
    let Some((frame, components, geometry)) = frame else {
        return Err(DecodeError::Corrupt("JPEG has no frame header"));
    };
    if scans == 0 {
        return Err(DecodeError::Corrupt("JPEG has no scan"));
    }
    if frame.progressive {
        for (index, component) in components.iter().enumerate() {
            coefficients_to_plane(component, scratch, index);
        }
    }
    let decoded = output(&frame, &components, &geometry, &tables, scratch);
    release(scratch, components.len());
    Ok(Outcome::Whole(decoded))
}
