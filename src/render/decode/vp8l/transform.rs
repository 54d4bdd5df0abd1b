//! The inverse transforms of VP8L, applied band by band to the decoded pixels (ARGB words):
//! predictor, cross-colour, subtract-green and colour indexing (a palette, several indices packed
//! in a pixel when it has at most 16 colours). They run in the reverse of the order the stream
//! lists them; only the predictor carries state from one band to the next (the row above).

use super::bits::Bits;
use super::coded::sub_image;
use super::huffman::corrupt;
use crate::Result;

/// Opaque black: the prediction of the first pixel, and of predictor modes 0, 14 and 15.
const BLACK: u32 = 0xff00_0000;

/// One transform as the stream declares it.
pub(super) enum Transform {
    /// Each pixel is predicted from its neighbours by a mode chosen per block.
    Predictor {
        block_bits: u32,
        /// Each block's pixel, the mode in its green byte.
        modes: Vec<u32>,
        /// The row above the band's first row, as predicted (empty before the first band).
        above: Vec<u32>,
    },
    /// Red and blue are predicted from green (and blue from red) by multipliers per block.
    CrossColour {
        block_bits: u32,
        /// Each block's multipliers: green-to-red lowest byte, green-to-blue, red-to-blue.
        multipliers: Vec<u32>,
    },
    /// Green was subtracted from red and blue.
    SubtractGreen,
    /// Pixels are palette indices, `1 << pack_bits` of them per coded pixel.
    ColourIndexing {
        pack_bits: u32,
        /// 256 colours: those past the palette's size are transparent black.
        palette: Vec<u32>,
    },
}

/// A transform and the width of the picture it produces.
pub(super) struct Step {
    pub(super) transform: Transform,
    pub(super) width: usize,
}

impl Step {
    /// Reads a transform of the given kind (the stream's two bits) for a picture `width` pixels
    /// wide (`height` high); returns it, the width the data under it is coded at, and the reader.
    pub(super) fn read(
        bits: Bits<'_>,
        kind: u32,
        width: usize,
        height: usize,
    ) -> Result<(Step, usize, Bits<'_>)> {
        let mut bits = bits;
        let mut coded_width = width;
        let transform = match kind {
            0 | 1 => {
                let block_bits = bits.read(3) + 2;
                let (data, rest) = sub_image(
                    bits,
                    width.div_ceil(1 << block_bits),
                    height.div_ceil(1 << block_bits),
                )?;
                bits = rest;
                if kind == 0 {
                    Transform::Predictor {
                        block_bits,
                        modes: data,
                        above: Vec::new(),
                    }
                } else {
                    Transform::CrossColour {
                        block_bits,
                        multipliers: data,
                    }
                }
            }
            2 => Transform::SubtractGreen,
            _ => {
                let colours = bits.read(8) as usize + 1;
                let pack_bits = match colours {
                    0..=2 => 3,
                    3..=4 => 2,
                    5..=16 => 1,
                    _ => 0,
                };
                let (mut palette, rest) = sub_image(bits, colours, 1)?;
                bits = rest;
                // Each entry is stored as its difference from the one before.
                for at in 1..palette.len() {
                    palette[at] = add(palette[at], palette[at - 1]);
                }
                palette.resize(256, 0);
                coded_width = width.div_ceil(1 << pack_bits);
                Transform::ColourIndexing { pack_bits, palette }
            }
        };
        Ok((Step { transform, width }, coded_width, bits))
    }

    /// Inverts this transform on `rows` rows: `input` holds them at the width the stream codes
    /// them under this transform, `output` (the same slice unless it widens them) receives them
    /// at [`Step::width`]. `first_row` is the picture row of the first.
    fn apply(&mut self, rows: usize, first_row: usize, pixels: &mut [u32], widened: &mut [u32]) {
        let width = self.width;
        match &mut self.transform {
            Transform::Predictor {
                block_bits,
                modes,
                above,
            } => {
                let across = width.div_ceil(1 << *block_bits);
                for k in 0..rows {
                    let y = first_row + k;
                    let (done, rest) = pixels.split_at_mut(k * width);
                    let row = &mut rest[..width];
                    if y == 0 {
                        predict_first_row(row);
                        continue;
                    }
                    let above = if k == 0 {
                        &above[..]
                    } else {
                        &done[(k - 1) * width..]
                    };
                    let start = (y >> *block_bits) * across;
                    predict_row(row, above, &modes[start..start + across], *block_bits);
                }
                if rows > 0 {
                    above.clear();
                    above.extend_from_slice(&pixels[(rows - 1) * width..rows * width]);
                }
            }
            Transform::CrossColour {
                block_bits,
                multipliers,
            } => {
                let across = width.div_ceil(1 << *block_bits);
                for (k, row) in pixels[..rows * width].chunks_exact_mut(width).enumerate() {
                    let start = ((first_row + k) >> *block_bits) * across;
                    let blocks = &multipliers[start..start + across];
                    for (block, &multiplier) in row.chunks_mut(1 << *block_bits).zip(blocks.iter())
                    {
                        uncross_colour(block, multiplier);
                    }
                }
            }
            Transform::SubtractGreen => {
                for argb in &mut pixels[..rows * width] {
                    let green = (*argb >> 8) & 0xff;
                    *argb = add(*argb, green << 16 | green);
                }
            }
            Transform::ColourIndexing { pack_bits, palette } => {
                let coded_width = width.div_ceil(1 << *pack_bits);
                let per_index = 8 >> *pack_bits;
                let mask = (1u32 << per_index) - 1;
                let lanes = (1usize << *pack_bits) - 1;
                for (coded, row) in pixels[..rows * coded_width]
                    .chunks_exact(coded_width)
                    .zip(widened[..rows * width].chunks_exact_mut(width))
                {
                    for (x, out) in row.iter_mut().enumerate() {
                        let packed = (coded[x >> *pack_bits] >> 8) & 0xff;
                        let index = (packed >> ((x & lanes) as u32 * per_index)) & mask;
                        *out = palette[index as usize];
                    }
                }
            }
        }
    }
}

/// The inverse transforms of a picture, in stream order, applied band by band.
pub(crate) struct Transforms {
    pub(super) steps: Vec<Step>,
    /// The picture's width and the width its pixels are coded at.
    pub(super) width: usize,
    pub(super) coded_width: usize,
    /// Rows done so far.
    pub(super) rows_done: usize,
    /// Where a widening transform puts its rows.
    pub(super) scratch: Vec<u32>,
}

impl Transforms {
    /// Inverts every transform on the next `rows` rows, coded in `band` (at the coded width);
    /// returns them as ARGB at the picture's width.
    pub(crate) fn apply<'b>(&'b mut self, band: &'b mut [u32], rows: usize) -> Result<&'b [u32]> {
        if band.len() < rows * self.coded_width {
            return Err(corrupt("a band of partial rows"));
        }
        let needed = rows * self.width;
        let mut in_scratch = false;
        for step in self.steps.iter_mut().rev() {
            let widens = matches!(step.transform, Transform::ColourIndexing { .. });
            if widens {
                if self.scratch.len() < needed {
                    self.scratch.resize(needed, 0);
                }
                // Only one colour-indexing transform is allowed, so the input is the band.
                step.apply(rows, self.rows_done, band, &mut self.scratch);
                in_scratch = true;
            } else if in_scratch {
                step.apply(rows, self.rows_done, &mut self.scratch, &mut []);
            } else {
                step.apply(rows, self.rows_done, band, &mut []);
            }
        }
        self.rows_done += rows;
        Ok(if in_scratch {
            &self.scratch[..needed]
        } else {
            &band[..needed]
        })
    }
}

/// Adds two pixels channel by channel, modulo 256.
#[inline(always)]
fn add(a: u32, b: u32) -> u32 {
    let alpha_green = (a & 0xff00_ff00).wrapping_add(b & 0xff00_ff00) & 0xff00_ff00;
    let red_blue = (a & 0x00ff_00ff).wrapping_add(b & 0x00ff_00ff) & 0x00ff_00ff;
    alpha_green | red_blue
}

/// The mean of two pixels channel by channel, rounded down.
#[inline(always)]
fn average(a: u32, b: u32) -> u32 {
    (((a ^ b) & 0xfefe_fefe) >> 1) + (a & b)
}

/// Channel `shift` (0, 8, 16 or 24) of a pixel.
#[inline(always)]
fn channel(argb: u32, shift: u32) -> i32 {
    ((argb >> shift) & 0xff) as i32
}

/// Left or top, whichever is nearer (in summed channel distances) to left + top − top-left.
#[inline(always)]
fn select(left: u32, top: u32, top_left: u32) -> u32 {
    let mut towards_top = 0;
    for shift in [0, 8, 16, 24] {
        let (l, t, tl) = (
            channel(left, shift),
            channel(top, shift),
            channel(top_left, shift),
        );
        towards_top += (l - tl).abs() - (t - tl).abs();
    }
    if towards_top <= 0 {
        top
    } else {
        left
    }
}

/// `a + b − c` channel by channel, clamped to 0–255.
#[inline(always)]
fn clamped_gradient(a: u32, b: u32, c: u32) -> u32 {
    let mut out = 0;
    for shift in [0, 8, 16, 24] {
        let value = channel(a, shift) + channel(b, shift) - channel(c, shift);
        out |= (value.clamp(0, 255) as u32) << shift;
    }
    out
}

/// `a + (a − b) / 2` channel by channel (the division truncating), clamped to 0–255.
#[inline(always)]
fn clamped_half_gradient(a: u32, b: u32) -> u32 {
    let mut out = 0;
    for shift in [0, 8, 16, 24] {
        let (a, b) = (channel(a, shift), channel(b, shift));
        out |= ((a + (a - b) / 2).clamp(0, 255) as u32) << shift;
    }
    out
}

/// The first row: black predicts the first pixel, then each pixel its left neighbour.
fn predict_first_row(row: &mut [u32]) {
    let mut left = BLACK;
    for argb in row.iter_mut() {
        *argb = add(*argb, left);
        left = *argb;
    }
}

/// A later row: the top neighbour predicts the first pixel, then each block's mode the rest.
fn predict_row(row: &mut [u32], above: &[u32], modes: &[u32], block_bits: u32) {
    let width = row.len();
    if width == 0 || above.len() != width {
        return;
    }
    row[0] = add(row[0], above[0]);
    for (block, &mode) in modes.iter().enumerate() {
        let start = (block << block_bits).max(1);
        let end = ((block + 1) << block_bits).min(width);
        if start >= end {
            continue;
        }
        let mode = (mode >> 8) & 0xf;
        match mode {
            1 => run(row, above, start, end, |l, _, _, _| l),
            2 => run(row, above, start, end, |_, t, _, _| t),
            3 => run(row, above, start, end, |_, _, _, tr| tr),
            4 => run(row, above, start, end, |_, _, tl, _| tl),
            5 => run(row, above, start, end, |l, t, _, tr| {
                average(average(l, tr), t)
            }),
            6 => run(row, above, start, end, |l, _, tl, _| average(l, tl)),
            7 => run(row, above, start, end, |l, t, _, _| average(l, t)),
            8 => run(row, above, start, end, |_, t, tl, _| average(tl, t)),
            9 => run(row, above, start, end, |_, t, _, tr| average(t, tr)),
            10 => run(row, above, start, end, |l, t, tl, tr| {
                average(average(l, tl), average(t, tr))
            }),
            11 => run(row, above, start, end, |l, t, tl, _| select(l, t, tl)),
            12 => run(row, above, start, end, |l, t, tl, _| {
                clamped_gradient(l, t, tl)
            }),
            13 => run(row, above, start, end, |l, t, tl, _| {
                clamped_half_gradient(average(l, t), tl)
            }),
            _ => run(row, above, start, end, |_, _, _, _| BLACK),
        }
    }
}

/// Adds `predict(left, top, top-left, top-right)` to pixels `start..end` (`start` ≥ 1) of `row`.
/// The last pixel's top-right is the first pixel of its own row.
#[inline(always)]
fn run(
    row: &mut [u32],
    above: &[u32],
    start: usize,
    end: usize,
    predict: impl Fn(u32, u32, u32, u32) -> u32,
) {
    let width = row.len();
    let inner = end.min(width - 1);
    let mut left = row[start - 1];
    for x in start..inner {
        let argb = add(row[x], predict(left, above[x], above[x - 1], above[x + 1]));
        row[x] = argb;
        left = argb;
    }
    if end == width && inner < end {
        let x = width - 1;
        row[x] = add(row[x], predict(left, above[x], above[x - 1], row[0]));
    }
}

/// Undoes the cross-colour transform of a block of pixels.
fn uncross_colour(pixels: &mut [u32], multipliers: u32) {
    let green_to_red = i32::from(multipliers as u8 as i8);
    let green_to_blue = i32::from((multipliers >> 8) as u8 as i8);
    let red_to_blue = i32::from((multipliers >> 16) as u8 as i8);
    for argb in pixels {
        let green = i32::from((*argb >> 8) as u8 as i8);
        let red = ((*argb >> 16) & 0xff) as i32 + ((green_to_red * green) >> 5);
        let red_signed = i32::from(red as u8 as i8);
        let blue = (*argb & 0xff) as i32
            + ((green_to_blue * green) >> 5)
            + ((red_to_blue * red_signed) >> 5);
        *argb = (*argb & 0xff00_ff00) | ((red as u32 & 0xff) << 16) | (blue as u32 & 0xff);
    }
}
