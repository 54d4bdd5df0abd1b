//! Restart intervals: the one loop over a scan's units (MCUs, or blocks in a non-interleaved
//! scan) that handles restart markers and resynchronisation, and the schedule that decodes the
//! intervals of a sequential scan in parallel.

use std::ops::Range;

use super::huffman::BitReader;
use super::marker::{next_marker, Marker, Segments};
use super::sequential::{decode_units, ScanComponent};

/// What both entropy decoders (Huffman's bit reader, the arithmetic decoder) offer the loop
/// over a scan's units.
pub(super) trait Resynchronise {
    /// Moves to the start of restart interval `interval` (1 or more) with [`find_restart`] and
    /// resets the decoder. Returns false when that interval's data is missing: the decoder then
    /// stays on the next marker and reports itself [`exhausted`](Self::exhausted).
    fn restart(&mut self, interval: usize) -> bool;

    /// Whether the rest of the current restart interval cannot be decoded (its data ran out,
    /// or decoded to something impossible).
    fn exhausted(&self) -> bool;
}

/// Where restart interval `interval` (1 or more: the one after marker RST((interval − 1) mod
/// 8)) starts, searching from `pos`: `(position after its marker, true)`, or `(position of the
/// next marker or the end, false)` when that interval's data is missing.
///
/// After corrupt data the reader may stand anywhere before the marker, or on a marker of a
/// later interval when markers were lost. The resynchronisation follows libjpeg's: the expected
/// RST is taken; one of the next two RSTs is left for its own interval (this one is missing);
/// one of the two before is stale and skipped; any other RST is taken as the expected one (too
/// far off to tell); any other marker ends the scan.
pub(super) fn find_restart(data: &[u8], mut pos: usize, interval: usize) -> (usize, bool) {
    let expected = ((interval.wrapping_sub(1)) & 7) as u8;
    loop {
        match next_marker(data, pos) {
            Some((at, Marker::Rst(number))) => match number.wrapping_sub(expected) & 7 {
                // A later interval's marker: this interval is missing.
                1 | 2 => return (at, false),
                // A marker this reader already passed the interval of: stale.
                6 | 7 => pos = at + 2,
                _ => return (at + 2, true),
            },
            Some((at, _)) => return (at, false),
            None => return (data.len(), false),
        }
    }
}

/// Runs `decode(bits, state, unit)` for each unit of `units` in order, restarting the reader at
/// each restart marker (every `restart` units, 0 for none) and `state` with it: what one unit
/// passes to the next (DC predictions, an end-of-band run) starts afresh in each interval.
///
/// When the reader runs out of data (corrupt or missing), decoding goes on at the start of the
/// next restart interval, where the reader resynchronises: the rest of the interval keeps what
/// it holds (mid-grey, as with libjpeg). Without restart markers the rest of the scan does.
#[inline(always)]
pub(super) fn for_each_unit<R: Resynchronise, S: Default>(
    bits: &mut R,
    units: Range<usize>,
    restart: usize,
    decode: impl FnMut(&mut R, &mut S, usize),
) {
    let mut cursor = UnitCursor::new(units.start);
    cursor.run(bits, units.end, restart, decode);
}

/// Where a walk over a scan's units stands between calls that each decode a part of the scan
/// (a streaming decode takes one MCU row at a time): the next unit and what the units of the
/// current restart interval pass on.
pub(super) struct UnitCursor<S> {
    /// The unit the walk started at: the reader stands at its data, no marker before it.
    first: usize,
    /// The next unit to decode.
    next: usize,
    /// What the current restart interval carries from unit to unit.
    state: S,
}

impl<S: Default> UnitCursor<S> {
    /// A walk that starts at `first`, whose data the reader stands at.
    pub(super) fn new(first: usize) -> Self {
        UnitCursor {
            first,
            next: first,
            state: S::default(),
        }
    }

    /// [`for_each_unit`] from where the walk stands up to `end` (exclusive); the next call goes
    /// on from there (or from later, when the reader ran out of data in an interval that goes
    /// past `end`).
    #[inline(always)]
    pub(super) fn run<R: Resynchronise>(
        &mut self,
        bits: &mut R,
        end: usize,
        restart: usize,
        mut decode: impl FnMut(&mut R, &mut S, usize),
    ) {
        let mut unit = self.next;
        while unit < end {
            if restart > 0 && unit != self.first && unit.is_multiple_of(restart) {
                bits.restart(unit / restart);
                self.state = S::default();
            }
            if bits.exhausted() {
                match resume_at(unit, restart) {
                    Some(next) => {
                        unit = next;
                        continue;
                    }
                    None => {
                        unit = usize::MAX;
                        break;
                    }
                }
            }
            decode(bits, &mut self.state, unit);
            unit += 1;
        }
        self.next = unit.max(end);
    }
}

/// Where decoding goes on when the reader ran out of data (corrupt or missing) at `unit`: the
/// start of the next restart interval, where it resynchronises (the rest of this interval stays
/// grey, as with libjpeg), or `None` without restart markers (the rest of the scan stays grey).
fn resume_at(unit: usize, restart: usize) -> Option<usize> {
    (restart > 0).then(|| (unit / restart + 1) * restart)
}

/// Restart intervals in parallel: the scan is split at restart markers that start a unit row,
/// into at most `threads` runs of whole rows, each decoded into its own part of the planes.
/// `None` (nothing written) when the markers are not where the interval says, or too few rows
/// start an interval; the caller then decodes serially.
#[allow(clippy::too_many_arguments)]
pub(super) fn parallel_restarts(
    bytes: &[u8],
    pos: usize,
    plan: &[ScanComponent],
    units_x: usize,
    units_y: usize,
    restart: usize,
    planes: &mut [Vec<u8>],
    threads: usize,
) -> Option<usize> {
    let units = units_x * units_y;
    let intervals = units.div_ceil(restart);
    // Where each interval's data starts.
    let mut starts = Vec::with_capacity(intervals);
    starts.push(pos);
    let mut end = bytes.len();
    for segment in Segments::lenient(bytes, pos) {
        match segment {
            Ok(segment) if matches!(segment.marker, Marker::Rst(_)) => starts.push(segment.end),
            Ok(segment) => {
                end = segment.at;
                break;
            }
            Err(error) => {
                end = error.at();
                break;
            }
        }
    }
    if starts.len() != intervals {
        return None;
    }
    // Intervals that begin a row: candidate split points.
    let row_starts: Vec<usize> = (1..intervals)
        .filter(|&i| (i * restart).is_multiple_of(units_x))
        .collect();
    let threads = threads.min(row_starts.len() + 1);
    if threads < 2 {
        return None;
    }
    let mut cuts = vec![0usize];
    for t in 1..threads {
        let wanted = intervals * t / threads;
        let cut = row_starts[row_starts
            .partition_point(|&i| i < wanted)
            .min(row_starts.len() - 1)];
        if cut > *cuts.last().unwrap_or(&0) {
            cuts.push(cut);
        }
    }
    cuts.push(intervals);
    // Split each plane into bands of unit rows.
    let mut bands_per_run: Vec<Vec<&mut [u8]>> = (0..cuts.len() - 1).map(|_| Vec::new()).collect();
    for (component, plane) in plan.iter().zip(planes.iter_mut()) {
        let row_len = component.stride * component.v * component.n;
        let mut rest: &mut [u8] = plane.as_mut_slice();
        for (run, pair) in cuts.windows(2).enumerate() {
            let rows =
                (pair[1] * restart).min(units).div_ceil(units_x) - pair[0] * restart / units_x;
            let take = (rows * row_len).min(rest.len());
            let (band, tail) = std::mem::take(&mut rest).split_at_mut(take);
            bands_per_run[run].push(band);
            rest = tail;
        }
    }
    std::thread::scope(|scope| {
        let mut work = cuts.windows(2).zip(bands_per_run.iter_mut());
        let first = work.next();
        for (pair, bands) in work {
            let (first_interval, last_interval) = (pair[0], pair[1]);
            let start = starts[first_interval];
            scope.spawn(move || {
                let mut bits = BitReader::new(bytes, start);
                let range = first_interval * restart..(last_interval * restart).min(units);
                let row0 = range.start / units_x;
                decode_units(&mut bits, plan, range, units_x, restart, bands, row0);
            });
        }
        if let Some((pair, bands)) = first {
            let mut bits = BitReader::new(bytes, starts[pair[0]]);
            let range = pair[0] * restart..(pair[1] * restart).min(units);
            decode_units(&mut bits, plan, range, units_x, restart, bands, 0);
        }
    });
    Some(end)
}
