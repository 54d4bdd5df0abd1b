//! Lossless WebP (the VP8L bitstream), decoded a band of rows at a time.
//!
//! [`open`] reads the header, the transforms and the prefix codes; then [`Rows::fill`] entropy
//! decodes the next rows (into a [`window::Window`] that keeps only what a backward reference
//! can still reach, about 4 MiB however large the picture) and [`Transforms::apply`] inverts the
//! transforms on them. The two halves hold no reference to each other, so a render can run them
//! on two threads.
//!
//! Hostile streams: the size is read first ([`header`]) and checked by the caller before
//! anything is allocated; prefix codes must be complete; their tables share a capped arena
//! ([`huffman::MAX_ENTRIES`]); backward references may not reach before the first pixel or past
//! the last; a stream that ends early is an error.

mod bits;
mod coded;
mod huffman;
mod transform;
mod window;

use bits::Bits;
use coded::{Coded, MAX_DISTANCE};
use huffman::corrupt;
use transform::Step;
pub(super) use transform::Transforms;
use window::Window;

use crate::Result;

/// The first byte of a VP8L bitstream.
const SIGNATURE: u8 = 0x2f;

/// What the first five bytes of a VP8L bitstream say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) width: u32,
    pub(super) height: u32,
    /// The encoder's hint that some pixel is not opaque.
    pub(super) alpha: bool,
}

/// Reads the header of a VP8L bitstream (`None` when it is none).
pub(super) fn header(payload: &[u8]) -> Option<Header> {
    let bytes = payload.get(..5)?;
    if bytes[0] != SIGNATURE {
        return None;
    }
    let bits = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    // Version 0 is the only one.
    if bits >> 29 != 0 {
        return None;
    }
    Some(Header {
        width: (bits & 0x3fff) + 1,
        height: ((bits >> 14) & 0x3fff) + 1,
        alpha: (bits >> 28) & 1 == 1,
    })
}

/// The entropy-decoding half: hands out the next rows of coded pixels.
pub(super) struct Rows<'a> {
    coded: Coded<'a>,
    window: Window,
    /// The width the pixels are coded at, and the picture's height.
    width: usize,
    height: usize,
    /// Rows handed out so far, and the most handed out at once (what the window has room for).
    rows_done: usize,
    band_rows: usize,
}

impl Rows<'_> {
    /// The coded width: how many words a row of `band` takes in [`Rows::fill`].
    pub(super) fn width(&self) -> usize {
        self.width
    }

    /// Fills `band` with the next whole rows (at the coded width), as many as fit; returns how
    /// many (0 at the end).
    pub(super) fn fill(&mut self, band: &mut [u32]) -> Result<usize> {
        let rows = (band.len() / self.width.max(1))
            .min(self.band_rows)
            .min(self.height - self.rows_done);
        if rows == 0 {
            return Ok(0);
        }
        let start = self.rows_done * self.width;
        let end = start + rows * self.width;
        self.coded.decode_to(&mut self.window, end)?;
        self.window.read(start, &mut band[..end - start]);
        self.rows_done += rows;
        Ok(rows)
    }
}

/// The pixels a [`Rows`] keeps for a picture coded `coded_width` wide handing out bands of
/// `band_rows` rows: what a backward reference reaches, a band, and a reference's overshoot.
fn window_capacity(coded_width: usize, height: usize, band_rows: usize) -> usize {
    let reach = MAX_DISTANCE.max(7 * coded_width + 8);
    let longest_copy = 4096;
    (reach + (band_rows + 1) * coded_width + longest_copy).min(coded_width * height)
}

/// About the most bytes a band-by-band decode of a `width × height` picture holds, besides the
/// bands: the window, the transform data and entropy image (at their finest, a word per 4×4
/// block each), the prefix code tables an encoder writes, and the rows a widening transform
/// fills.
pub(super) fn peak_bytes(width: u32, height: u32, band_rows: usize) -> u64 {
    let (width, height) = (width as usize, height as usize);
    let window = window_capacity(width, height, band_rows) as u64 * 4;
    let blocks = (width.div_ceil(4) * height.div_ceil(4)) as u64 * 4;
    let tables = 1 << 20;
    window + 3 * blocks + tables + (band_rows * width) as u64 * 8
}

/// Reads the header, transforms and prefix codes of a VP8L bitstream whose [`header`] the
/// caller checked against its limits, for bands of `band_rows` rows.
pub(super) fn open(payload: &[u8], band_rows: usize) -> Result<(Rows<'_>, Transforms)> {
    let header = header(payload).ok_or_else(|| corrupt("no VP8L header"))?;
    let (width, height) = (header.width as usize, header.height as usize);
    let mut bits = Bits::new(payload);
    bits.read(8);
    bits.read(32);
    let mut steps: Vec<Step> = Vec::new();
    let mut coded_width = width;
    let mut seen = [false; 4];
    while bits.read(1) == 1 {
        let kind = bits.read(2);
        if std::mem::replace(&mut seen[kind as usize], true) {
            return Err(corrupt("a transform is used twice"));
        }
        let (step, next_width, rest) = Step::read(bits, kind, coded_width, height)?;
        bits = rest;
        coded_width = next_width;
        steps.push(step);
    }
    let coded = Coded::read(bits, coded_width, height, true)?;
    let band_rows = band_rows.max(1);
    let rows = Rows {
        coded,
        window: Window::new(window_capacity(coded_width, height, band_rows)),
        width: coded_width,
        height,
        rows_done: 0,
        band_rows,
    };
    let transforms = Transforms {
        steps,
        width,
        coded_width,
        rows_done: 0,
        scratch: Vec::new(),
    };
    Ok((rows, transforms))
}

#[cfg(test)]
mod tests;
