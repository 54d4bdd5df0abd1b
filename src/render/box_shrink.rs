//! Integer box pre-shrink ahead of the Lanczos3 resample, as libvips' `shrink` runs ahead of its
//! `reduce`: when a side shrinks by four or more, each `k × k` block of source pixels (with
//! `k = ⌊factor / 2⌋`) is averaged into one, and Lanczos3 does the remaining factor of two to
//! four. Lanczos3 reads about six source samples per output sample and direction, so for a large
//! shrink it costs about six multiply-adds per source sample; the box costs one add, and the
//! Lanczos pass after it runs on a picture `k²` times smaller. A remaining factor of at least two
//! keeps Lanczos3 the filter that decides the output's sharpness and aliasing.
//!
//! Rows arrive top to bottom in bands (a streaming decoder's, or the whole picture as one band):
//! each row is added into a row of 16-bit sums, and once `k` rows are in, the sums are reduced
//! across columns into one shrunk row. The last block of each side may be partial; it averages
//! the samples it has, so the shrunk picture is `⌈side / k⌉` pixels of which the last shows
//! `side / k − ⌊side / k⌋` of the picture (the fractional extent [`super::resize`] resamples).

use crate::{Error, Result};

/// The smallest factor a side must shrink by before the box takes part of it.
const MIN_FACTOR: u32 = 4;

/// The largest block side: `k` rows of 8-bit samples must fit in the 16-bit sums.
const MAX_BLOCK: u32 = u16::MAX as u32 / u8::MAX as u32;

/// The block side of each direction for a `source`-sized picture resampled to `target`:
/// `⌊factor / 2⌋` where a side shrinks by [`MIN_FACTOR`] or more, 1 (no box) otherwise.
pub(super) fn block(source: (u32, u32), target: (u32, u32)) -> (u32, u32) {
    let side = |source: u32, target: u32| {
        let target = target.max(1);
        if source / target >= MIN_FACTOR {
            (source / target / 2).min(MAX_BLOCK)
        } else {
            1
        }
    };
    (side(source.0, target.0), side(source.1, target.1))
}

/// The size of a `source`-sized picture after boxes of `block` pixels: `⌈side / k⌉` each way.
pub(super) fn shrunk_size(source: (u32, u32), block: (u32, u32)) -> (u32, u32) {
    (
        source.0.div_ceil(block.0.max(1)),
        source.1.div_ceil(block.1.max(1)),
    )
}

/// The bytes a [`BoxShrink`] of a `width`-pixel-wide source holds: the sums and one shrunk row.
pub(super) fn bytes(width: u32, block: (u32, u32), channels: usize) -> u64 {
    let samples = u64::from(width) * channels as u64;
    samples * 2 + u64::from(width.div_ceil(block.0.max(1))) * channels as u64
}

/// Rows of 8-bit samples in, box-averaged rows out (see the module docs).
pub(super) struct BoxShrink {
    block: (u32, u32),
    channels: usize,
    /// Per sample of a source row, the sum of the rows of the current block so far.
    sums: Vec<u16>,
    /// Source rows added into `sums` since the last shrunk row.
    rows: u32,
    /// The shrunk row being made.
    row: Vec<u8>,
}

impl BoxShrink {
    /// A shrink of `width`-pixel rows of `channels` samples by `block` (each side at least 1 and
    /// at most [`MAX_BLOCK`]).
    pub(super) fn new(width: u32, block: (u32, u32), channels: usize) -> Result<Self> {
        if block.0 == 0 || block.1 == 0 || block.1 > MAX_BLOCK || channels == 0 {
            return Err(Error::internal("resizing", "a box of no pixels"));
        }
        let samples = usize::try_from(width)
            .ok()
            .and_then(|width| width.checked_mul(channels))
            .ok_or_else(|| Error::internal("resizing", "the picture does not fit in memory"))?;
        let shrunk = width.div_ceil(block.0) as usize * channels;
        Ok(BoxShrink {
            block,
            channels,
            sums: vec![0; samples],
            rows: 0,
            row: vec![0; shrunk],
        })
    }

    /// Adds `band`'s rows (whole rows, tightly packed) and hands each shrunk row that completes to
    /// `emit`, in order.
    pub(super) fn push(
        &mut self,
        band: &[u8],
        mut emit: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let row_len = self.sums.len();
        if row_len == 0 {
            return Ok(());
        }
        for source_row in band.chunks_exact(row_len) {
            for (sum, &sample) in self.sums.iter_mut().zip(source_row) {
                *sum += u16::from(sample);
            }
            self.rows += 1;
            if self.rows == self.block.1 {
                self.reduce();
                emit(&self.row)?;
            }
        }
        Ok(())
    }

    /// Hands the partial block left at the bottom, if any, to `emit` as the last shrunk row.
    pub(super) fn finish(&mut self, emit: impl FnOnce(&[u8]) -> Result<()>) -> Result<()> {
        if self.rows > 0 {
            self.reduce();
            emit(&self.row)?;
        }
        Ok(())
    }

    /// Averages the sums across each block's columns into `row` and starts the next block.
    fn reduce(&mut self) {
        match self.channels {
            1 => self.reduce_channels::<1>(),
            2 => self.reduce_channels::<2>(),
            3 => self.reduce_channels::<3>(),
            4 => self.reduce_channels::<4>(),
            _ => self.reduce_any(),
        }
        self.sums.fill(0);
        self.rows = 0;
    }

    fn reduce_channels<const C: usize>(&mut self) {
        let columns = self.block.0 as usize;
        let full = 1.0 / (columns as f32 * self.rows as f32);
        for (block, out) in self
            .sums
            .chunks(columns * C)
            .zip(self.row.chunks_exact_mut(C))
        {
            let mut total = [0u32; C];
            for pixel in block.chunks_exact(C) {
                for (total, &sum) in total.iter_mut().zip(pixel) {
                    *total += u32::from(sum);
                }
            }
            let scale = if block.len() == columns * C {
                full
            } else {
                1.0 / ((block.len() / C) as f32 * self.rows as f32)
            };
            for (out, total) in out.iter_mut().zip(total) {
                *out = (total as f32 * scale + 0.5) as u8;
            }
        }
    }

    fn reduce_any(&mut self) {
        let (columns, channels) = (self.block.0 as usize, self.channels);
        for (block, out) in self
            .sums
            .chunks(columns * channels)
            .zip(self.row.chunks_exact_mut(channels))
        {
            let count = (block.len() / channels) as f32 * self.rows as f32;
            for (channel, out) in out.iter_mut().enumerate() {
                let total: u32 = block
                    .iter()
                    .skip(channel)
                    .step_by(channels)
                    .map(|&sum| u32::from(sum))
                    .sum();
                *out = (total as f32 / count + 0.5) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shrink_all(source: &[u8], width: u32, block: (u32, u32), channels: usize) -> Vec<u8> {
        let mut shrink = BoxShrink::new(width, block, channels).unwrap();
        let mut out = Vec::new();
        shrink
            .push(source, |row| {
                out.extend_from_slice(row);
                Ok(())
            })
            .unwrap();
        shrink
            .finish(|row| {
                out.extend_from_slice(row);
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn blocks_are_averaged_and_partial_blocks_average_what_they_have() {
        // 5×3 grey, blocks of 2×2: three columns (the last one wide) and two rows (the last one
        // tall).
        let source = [
            0, 2, 10, 20, 100, //
            4, 6, 30, 40, 200, //
            9, 9, 1, 2, 255,
        ];
        let out = shrink_all(&source, 5, (2, 2), 1);
        assert_eq!(out, [3, 25, 150, 9, 2, 255]);
    }

    #[test]
    fn channels_are_averaged_apart() {
        // 4×1 RGBA, blocks of 4×1: one pixel, each channel its own mean (rounded).
        let source = [
            255, 0, 0, 255, //
            0, 255, 0, 255, //
            0, 0, 255, 0, //
            1, 1, 1, 1,
        ];
        let out = shrink_all(&source, 4, (4, 1), 4);
        assert_eq!(out, [64, 64, 64, 128]);
    }

    #[test]
    fn the_largest_block_of_white_stays_white() {
        let side = MAX_BLOCK;
        let source = vec![255u8; (side * side) as usize * 3];
        let out = shrink_all(&source, side, (side, side), 3);
        assert_eq!(out, [255, 255, 255]);
    }

    #[test]
    fn the_box_takes_part_only_from_a_factor_of_four() {
        assert_eq!(block((3000, 2000), (128, 85)), (11, 11));
        assert_eq!(block((300, 200), (100, 67)), (1, 1));
        assert_eq!(block((400, 100), (100, 100)), (2, 1));
        assert_eq!(block((1_000_000, 10), (1, 1)), (MAX_BLOCK, 5));
        assert_eq!(shrunk_size((3000, 2000), (11, 11)), (273, 182));
    }
}
