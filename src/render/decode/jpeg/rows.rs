//! Streaming output of a sequential scan that holds every component (interleaved, or a grey
//! frame's one component): the scan is decoded one MCU row at a time into a window per
//! component, and each output row is upsampled and colour-converted ([`Converter`]) as soon as
//! every component row it reads is in, then handed on in bands of rows ([`RowSink`]).
//!
//! The triangle filter reads the chroma row above and below, so a window keeps the rows of the
//! previous MCU row that pending output rows still read (at most two) in front of the current
//! MCU row, and the output row that needs the next MCU row's first chroma row waits for it, as
//! libjpeg's context rows do. The rows are the whole-picture decode's, bit for bit: the same
//! blocks, the same [`Converter`], from a window instead of a plane.
//!
//! MCU rows are decoded on the calling thread, one after the other (restart intervals are not
//! decoded in parallel here).

use super::error::{DecodeError, Result};
use super::headers::{Frame, Scan, Tables};
use super::huffman::BitReader;
use super::layout::{Component, Geometry};
use super::output::{ColourKind, Converter};
use super::restart::UnitCursor;
use super::scratch::Scratch;
use super::sequential::{decode_units_from, plan, units};
use crate::render::resize;

/// Where streamed output rows go: told the size and colour first, then handed the rows top to
/// bottom in bands of whole rows.
pub(crate) trait RowSink {
    /// Called once, before any rows: the output's size at the reduced scale, what its samples
    /// are (grey or RGB), and the ICC profile.
    fn begin(
        &mut self,
        width: usize,
        height: usize,
        kind: ColourKind,
        icc: Option<Vec<u8>>,
    ) -> crate::Result<()>;

    /// The next whole rows, tightly packed; the sink may change them in place.
    fn rows(&mut self, band: &mut [u8]) -> crate::Result<()>;
}

/// Whether a scan can stream: a sequential frame of one or three components (not CMYK, whose
/// conversion takes the whole picture) whose first scan holds them all, and after whose data
/// only restart markers and the end follow (another scan, a segment that changes the picture or
/// one the whole-picture decode would refuse keeps that path).
pub(super) fn streams(frame: &Frame, scan: &Scan, bytes: &[u8], pos: usize) -> bool {
    use super::marker::{Marker, SegmentError, Segments};
    let count = frame.components.len();
    if frame.progressive || !matches!(count, 1 | 3) || scan.components.len() != count {
        return false;
    }
    for segment in Segments::lenient(bytes, pos) {
        match segment {
            Ok(segment) if matches!(segment.marker, Marker::Rst(_)) => {}
            Ok(segment) => return segment.marker == Marker::Eoi,
            Err(SegmentError::BadLength { .. }) => return false,
            // Data cut short after the scan: both paths decode what there is.
            Err(_) => return true,
        }
    }
    true
}

/// Decodes the sequential Huffman scan whose data starts at `pos` MCU row by MCU row and hands
/// its output rows to `sink`. Returns where the next marker is.
#[allow(clippy::too_many_arguments)]
pub(super) fn stream_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    frame: &Frame,
    components: &[Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
    sink: &mut dyn RowSink,
) -> Result<usize> {
    let plan = plan(scan, tables, components)?;
    let (units_x, units_y) = units(scan, components, geometry);
    let converter = Converter::new(frame, components, geometry, tables);
    sink.begin(
        converter.width,
        converter.height,
        converter.kind,
        tables.icc_profile(),
    )
    .map_err(DecodeError::Output)?;
    let restart = tables.restart_interval;
    // Component rows per unit row, in frame order.
    let mut unit_rows = vec![0usize; components.len()];
    for (component, &(index, _, _)) in plan.iter().zip(&scan.components) {
        unit_rows[index] = component.v * component.n;
    }
    let Scratch {
        planes, rows, sums, ..
    } = scratch;
    converter.size_scratch(components, rows, sums);
    // Each window holds its component's rows from `tops[c]` down to the end of the unit row
    // decoded last.
    let mut tops = [0usize; 4];
    let mut held = [0usize; 4];
    let row_len = converter.width * converter.channels;
    let height = u32::try_from(converter.height).unwrap_or(u32::MAX);
    let band_rows = resize::band_len(row_len, height) / row_len.max(1);
    let mut band = vec![0u8; band_rows * row_len];
    let mut filled = 0;
    let mut next_y = 0;
    let mut bits = BitReader::new(bytes, pos);
    let mut cursor = UnitCursor::new(0);
    for unit_row in 0..units_y {
        // Keep the rows pending output rows read, then make room for this unit row, mid-grey
        // (what missing data shows as).
        for (c, component) in components.iter().enumerate() {
            let start = unit_row * unit_rows[c];
            let keep_from = if next_y < converter.height {
                converter.upsamplers[c].reads(next_y).0.min(start)
            } else {
                start
            };
            let keep_from = keep_from.max(tops[c]);
            let stride = component.stride;
            let window = &mut planes[c];
            window.copy_within((keep_from - tops[c]) * stride..held[c] * stride, 0);
            let kept = start - keep_from;
            tops[c] = keep_from;
            held[c] = kept + unit_rows[c];
            window.resize(held[c] * stride, 0);
            window[kept * stride..].fill(128);
        }
        {
            let mut bands: Vec<&mut [u8]> = Vec::with_capacity(plan.len());
            let mut rest: Vec<Option<&mut Vec<u8>>> = planes.iter_mut().map(Some).collect();
            for &(index, _, _) in &scan.components {
                let kept = unit_row * unit_rows[index] - tops[index];
                let window = rest[index].take().map_or(&mut [][..], |w| w.as_mut_slice());
                bands.push(&mut window[kept * components[index].stride..]);
            }
            let end = (unit_row + 1) * units_x;
            decode_units_from(
                &mut bits,
                &plan,
                &mut cursor,
                end,
                units_x,
                restart,
                &mut bands,
                unit_row,
            );
        }
        // Every output row whose component rows are all in.
        let done = |c: usize| (unit_row + 1) * unit_rows[c];
        while next_y < converter.height
            && (0..components.len()).all(|c| converter.upsamplers[c].reads(next_y).1 < done(c))
        {
            let out = &mut band[filled * row_len..(filled + 1) * row_len];
            converter.row(components, planes, &tops, next_y, out, rows, sums);
            next_y += 1;
            filled += 1;
            if filled == band_rows {
                sink.rows(&mut band).map_err(DecodeError::Output)?;
                filled = 0;
            }
        }
    }
    if filled > 0 {
        sink.rows(&mut band[..filled * row_len])
            .map_err(DecodeError::Output)?;
    }
    if next_y != converter.height {
        return Err(DecodeError::Corrupt("JPEG rows left without their blocks"));
    }
    Ok(bits.position())
}
