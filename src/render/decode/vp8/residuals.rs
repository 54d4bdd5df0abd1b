//! A macroblock's coefficients, from its token partition (RFC 6386 §13): the token tree with its
//! contexts, the extra bits of the large categories, and the dequantisation.

use super::bool_decoder::BoolDecoder;
use super::header::{CoeffProbs, Quant};
use super::tables::{CATEGORY_BASE, CATEGORY_PROBS, ZIGZAG};
use super::transform::{self, Shape};

/// The block types that index the token probabilities.
const LUMA_AFTER_Y2: usize = 0;
const Y2: usize = 1;
const CHROMA: usize = 2;
const LUMA_WITH_DC: usize = 3;

/// A macroblock's dequantised coefficients: sixteen luma blocks, four U, four V, sixteen each in
/// raster order; and how far into its scan each block has any (which inverse transform it takes).
#[derive(Clone)]
pub(super) struct Coefficients {
    pub(super) blocks: [[i16; 16]; 24],
    /// Bit `i` set: block `i` may have coefficients besides its DC.
    ac: u32,
    /// Bit `i` set: block `i` may have coefficients past the first three of its scan.
    beyond_low: u32,
}

impl Coefficients {
    /// No coefficients.
    pub(super) fn new() -> Self {
        Coefficients {
            blocks: [[0; 16]; 24],
            ac: 0,
            beyond_low: 0,
        }
    }

    /// Back to no coefficients.
    fn clear(&mut self) {
        for block in &mut self.blocks {
            *block = [0; 16];
        }
        self.ac = 0;
        self.beyond_low = 0;
    }

    /// Records that block `index`'s tokens ended at scan position `end`.
    fn ended(&mut self, index: usize, end: usize) {
        self.ac |= u32::from(end > 1) << index;
        self.beyond_low |= u32::from(end > 3) << index;
    }

    /// Which coefficients block `index` may have.
    pub(super) fn shape(&self, index: usize) -> Shape {
        if self.beyond_low & (1 << index) != 0 {
            Shape::Full
        } else if self.ac & (1 << index) != 0 {
            Shape::Low
        } else {
            Shape::Dc
        }
    }
}

/// Whether each 4×4 block along the edges of the macroblocks around has coefficients: the
/// context each block's first token is coded in.
#[derive(Clone, Copy, Default)]
pub(super) struct NonZero {
    luma: [u8; 4],
    u: [u8; 2],
    v: [u8; 2],
    y2: u8,
}

/// The contexts of the row above (one per macroblock column) and of the macroblock to the left.
pub(super) struct Contexts {
    above: Vec<NonZero>,
    left: NonZero,
}

impl Contexts {
    pub(super) fn new(mb_width: usize) -> Self {
        Contexts {
            above: vec![NonZero::default(); mb_width],
            left: NonZero::default(),
        }
    }

    /// Starts a macroblock row: nothing to the left.
    pub(super) fn start_row(&mut self) {
        self.left = NonZero::default();
    }

    /// Records that the macroblock in column `x` codes no coefficients. The second-order
    /// context is left alone when the macroblock has no second-order block.
    pub(super) fn skip(&mut self, x: usize, has_y2: bool, coefficients: &mut Coefficients) {
        let (above, left) = (&mut self.above[x], &mut self.left);
        let (y2_above, y2_left) = (above.y2, left.y2);
        *above = NonZero::default();
        *left = NonZero::default();
        if !has_y2 {
            above.y2 = y2_above;
            left.y2 = y2_left;
        }
        coefficients.clear();
    }

    /// Reads the coefficients of the macroblock in column `x` into `out`, dequantised, with the
    /// second-order block (when `has_y2`) already inverted into the luma DCs.
    pub(super) fn read(
        &mut self,
        bits: &mut BoolDecoder<'_>,
        probs: &CoeffProbs,
        quant: &Quant,
        x: usize,
        has_y2: bool,
        out: &mut Coefficients,
    ) {
        out.clear();
        let (above, left) = (&mut self.above[x], &mut self.left);
        let (luma_type, first) = if has_y2 {
            let mut y2 = [0i16; 16];
            let context = usize::from(above.y2 + left.y2);
            let end = read_block(bits, &probs[Y2], context, quant.y2, 0, &mut y2);
            let nonzero = u8::from(end > 0);
            above.y2 = nonzero;
            left.y2 = nonzero;
            transform::inverse_walsh_hadamard(&y2, &mut out.blocks);
            (LUMA_AFTER_Y2, 1)
        } else {
            (LUMA_WITH_DC, 0)
        };
        for row in 0..4 {
            for column in 0..4 {
                let index = row * 4 + column;
                let context = usize::from(above.luma[column] + left.luma[row]);
                let block = &mut out.blocks[index];
                let end = read_block(bits, &probs[luma_type], context, quant.y, first, block);
                let nonzero = u8::from(end > first);
                above.luma[column] = nonzero;
                left.luma[row] = nonzero;
                out.ended(index, end);
            }
        }
        for (plane, start) in [(0, 16), (1, 20)] {
            let (above, left) = if plane == 0 {
                (&mut above.u, &mut left.u)
            } else {
                (&mut above.v, &mut left.v)
            };
            for block in 0..4 {
                let (row, column) = (block / 2, block % 2);
                let index = start + block;
                let context = usize::from(above[column] + left[row]);
                let end = read_block(
                    bits,
                    &probs[CHROMA],
                    context,
                    quant.uv,
                    0,
                    &mut out.blocks[index],
                );
                let nonzero = u8::from(end > 0);
                above[column] = nonzero;
                left[row] = nonzero;
                out.ended(index, end);
            }
        }
    }
}

/// Reads one block's tokens from scan position `first`, writing the dequantised coefficients
/// (`factors` = [DC, AC]) in raster order. Returns the scan position after the last token read:
/// `first` when the block is empty.
fn read_block(
    stream: &mut BoolDecoder<'_>,
    probs: &[[[u8; 11]; 3]; 16],
    context: usize,
    factors: [i32; 2],
    first: usize,
    out: &mut [i16; 16],
) -> usize {
    let mut bits = stream.clone();
    let end = read_tokens(&mut bits, probs, context, factors, first, out);
    *stream = bits;
    end
}

/// [`read_block`] on the decoder's local copy.
#[inline(always)]
fn read_tokens(
    bits: &mut BoolDecoder<'_>,
    probs: &[[[u8; 11]; 3]; 16],
    context: usize,
    factors: [i32; 2],
    first: usize,
    out: &mut [i16; 16],
) -> usize {
    // The probabilities of a position, masked into range so that no bounds check is left in the
    // loop: position 16, after the last, gets position 0's, which are never read.
    let at = |n: usize| &probs[n & 15];
    let mut n = first;
    let mut p = &at(n)[context];
    while n < 16 {
        if !bits.read(p[0]) {
            // End of block.
            return n;
        }
        // Zeros, after which no end of block can follow.
        while !bits.read(p[1]) {
            n += 1;
            if n == 16 {
                return 16;
            }
            p = &at(n)[0];
        }
        let (magnitude, next_context) = if !bits.read(p[2]) {
            (1, 1)
        } else {
            (read_large(bits, p), 2)
        };
        let value = if bits.read_flag() {
            -magnitude
        } else {
            magnitude
        };
        let factor = factors[usize::from(n > 0)];
        // Coefficients are 16-bit, as in libwebp: a hostile stream wraps, it does not overflow.
        out[usize::from(ZIGZAG[n])] = (value * factor) as i16;
        n += 1;
        p = &at(n)[next_context];
    }
    16
}

/// Reads a magnitude of two or more: the token tree from its fourth node.
fn read_large(bits: &mut BoolDecoder<'_>, p: &[u8; 11]) -> i32 {
    if !bits.read(p[3]) {
        if !bits.read(p[4]) {
            return 2;
        }
        return 3 + i32::from(bits.read(p[5]));
    }
    let category = if !bits.read(p[6]) {
        usize::from(bits.read(p[7]))
    } else if !bits.read(p[8]) {
        2 + usize::from(bits.read(p[9]))
    } else {
        4 + usize::from(bits.read(p[10]))
    };
    read_category(bits, category)
}

/// The base of DCT_CAT`category + 1` plus its extra bits.
fn read_category(bits: &mut BoolDecoder<'_>, category: usize) -> i32 {
    let extra = CATEGORY_PROBS[category]
        .iter()
        .fold(0, |value, &prob| (value << 1) | i32::from(bits.read(prob)));
    i32::from(CATEGORY_BASE[category]) + extra
}
