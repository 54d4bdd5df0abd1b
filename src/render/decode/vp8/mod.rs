//! Lossy WebP (the VP8 key frame of RFC 6386), decoded a macroblock row at a time to its YUV
//! 4:2:0 planes, without the loop filter.
//!
//! [`open`] reads the frame header; [`Frame::decode`] then reconstructs the macroblocks row by
//! row (modes from the first partition, coefficients from the row's token partition,
//! prediction plus inverse transform) and hands each row of 16 luma and 8 chroma lines to the
//! caller, who resamples them. A decode holds one such row, the last lines of the row above and
//! the coefficients of two macroblock rows ([`decode_bytes`]), whatever the picture's height.
//!
//! The loop filter is left out: in a key frame it changes only the output, never what later
//! macroblocks are predicted from, and a render that shrinks the picture averages away what it
//! would smooth. libwebp leaves it out likewise when its scaled decode shrinks both sides below
//! three quarters.
//! The planes are then bit-exact with `dwebp -nofilter` (the tests check libwebp's test vectors
//! and the corpus's lossy WebPs against its MD5s).
//!
//! Hostile streams: the size is read first and checked by the caller before anything is
//! allocated; sizes in the header are checked against the data; a partition read past its end
//! is an error, as in libwebp; coefficients are 16-bit and the transforms' 32-bit arithmetic
//! wraps (both as in libwebp), so no input overflows.

mod bool_decoder;
mod header;
mod modes;
mod predict;
mod residuals;
mod tables;
#[cfg(test)]
mod tests;
mod transform;

use header::FrameHeader;
use modes::{Luma, ModeContext, Modes};
use predict::{Edges, SubEdges};
use residuals::{Coefficients, Contexts};

use super::overlap::run_bands;
use crate::{Error, Result};

/// The size a VP8 key frame declares, from its first ten bytes; `None` when `payload` is no key
/// frame.
pub(super) fn size(payload: &[u8]) -> Option<(u32, u32)> {
    header::size(payload)
}

/// A decode error for a broken VP8 stream.
fn corrupt(what: &str) -> Error {
    Error::decode(format!("corrupt lossy WebP: {what}"))
}

/// A key frame whose header is read.
pub(super) struct Frame<'a> {
    header: FrameHeader<'a>,
}

/// One macroblock row of the planes: `luma_rows` rows of `y` (`y_stride` samples each, the
/// picture's width of them showing it) and `chroma_rows` rows of `u` and `v` (`uv_stride` each).
pub(super) struct Rows<'a> {
    pub(super) y: &'a [u8],
    pub(super) u: &'a [u8],
    pub(super) v: &'a [u8],
    pub(super) y_stride: usize,
    pub(super) uv_stride: usize,
    pub(super) luma_rows: usize,
    pub(super) chroma_rows: usize,
}

/// Reads the frame header of `payload`, a VP8 chunk's contents. Allocates nothing the size of
/// the picture.
pub(super) fn open(payload: &[u8]) -> Result<Frame<'_>> {
    Ok(Frame {
        header: header::parse(payload)?,
    })
}

/// The bytes [`Frame::decode`] holds for a picture `width` pixels wide: a macroblock row of
/// planes, the last line of each plane above it, two bands of a row's modes and coefficients
/// (one being read, one reconstructed) and the contexts of a row.
pub(super) fn decode_bytes(width: u32) -> u64 {
    let mb_width = u64::from(width.div_ceil(16));
    let padded = mb_width * 16;
    let planes = padded * 16 * 3 / 2 + padded * 3 / 2;
    let bands = 2 * mb_width * std::mem::size_of::<Macroblock>() as u64;
    planes + bands + mb_width * 64
}

impl<'a> Frame<'a> {
    /// The picture's width and height.
    pub(super) fn size(&self) -> (u32, u32) {
        (self.header.width, self.header.height)
    }

    /// Decodes the macroblocks row by row, handing each row's planes to `rows`. With
    /// `overlap`, a thread of its own reads each row's modes and coefficients while this one
    /// reconstructs the row before ([`run_bands`]).
    pub(super) fn decode(
        self,
        overlap: bool,
        mut rows: impl FnMut(Rows<'_>) -> Result<()>,
    ) -> Result<()> {
        let (mb_width, mb_height) = (self.header.mb_width, self.header.mb_height);
        let height = self.header.height as usize;
        let mut parser = Parser {
            mode_context: ModeContext::new(mb_width),
            contexts: Contexts::new(mb_width),
            header: self.header,
            mb_y: 0,
        };
        let mut planes = RowPlanes::new(mb_width);
        let mut mb_y = 0;
        run_bands(
            mb_width,
            overlap,
            |band: &mut [Macroblock]| parser.fill(band),
            |band, _| {
                for (mb_x, macroblock) in band.iter().enumerate() {
                    planes.reconstruct(mb_x, mb_y, macroblock);
                }
                rows(Rows {
                    y: &planes.y,
                    u: &planes.u,
                    v: &planes.v,
                    y_stride: planes.y_stride,
                    uv_stride: planes.uv_stride,
                    luma_rows: (height - mb_y * 16).min(16),
                    chroma_rows: (height.div_ceil(2) - mb_y * 8).min(8),
                })?;
                planes.finish_row();
                mb_y += 1;
                if mb_y > mb_height {
                    return Err(Error::internal(
                        "decoding",
                        "more macroblock rows than the frame has",
                    ));
                }
                Ok(())
            },
        )
    }
}

/// A macroblock as the first half of a decode leaves it for the second: its modes and its
/// dequantised coefficients.
#[derive(Clone)]
pub(super) struct Macroblock {
    modes: Modes,
    coefficients: Coefficients,
}

impl Default for Macroblock {
    fn default() -> Self {
        Macroblock {
            modes: Modes {
                segment: 0,
                skip: true,
                luma: Luma::Whole(predict::Intra::Dc),
                chroma: predict::Intra::Dc,
            },
            coefficients: Coefficients::new(),
        }
    }
}

/// The first half of a decode: the modes and coefficients of each macroblock row in turn.
struct Parser<'a> {
    header: FrameHeader<'a>,
    mode_context: ModeContext,
    contexts: Contexts,
    /// The next macroblock row.
    mb_y: usize,
}

impl Parser<'_> {
    /// Reads the next macroblock row into `band` (one macroblock per column); returns how many
    /// macroblocks it read, 0 after the last row.
    fn fill(&mut self, band: &mut [Macroblock]) -> Result<usize> {
        let header = &mut self.header;
        if self.mb_y == header.mb_height {
            return Ok(0);
        }
        self.mode_context.start_row();
        self.contexts.start_row();
        let partition_count = header.partitions.len();
        let tokens = &mut header.partitions[self.mb_y % partition_count];
        for (mb_x, macroblock) in band.iter_mut().enumerate().take(header.mb_width) {
            let modes = self.mode_context.read(
                &mut header.modes,
                mb_x,
                header.segment_probs,
                header.skip_prob,
            );
            let has_y2 = matches!(modes.luma, Luma::Whole(_));
            let coefficients = &mut macroblock.coefficients;
            if modes.skip {
                self.contexts.skip(mb_x, has_y2, coefficients);
            } else {
                let quant = &header.quant[modes.segment];
                let probs = &header.coeff_probs;
                self.contexts
                    .read(tokens, probs, quant, mb_x, has_y2, coefficients);
                if tokens.overran() {
                    return Err(corrupt("a token partition ends early"));
                }
            }
            macroblock.modes = modes;
        }
        if header.modes.overran() {
            return Err(corrupt("the first partition ends early"));
        }
        self.mb_y += 1;
        Ok(header.mb_width)
    }
}

/// The macroblock row being reconstructed, and the last pixel row of the one above.
struct RowPlanes {
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    above_y: Vec<u8>,
    above_u: Vec<u8>,
    above_v: Vec<u8>,
    y_stride: usize,
    uv_stride: usize,
}

impl RowPlanes {
    /// The rows of a picture `mb_width` macroblocks wide, at its top: 127 above.
    fn new(mb_width: usize) -> Self {
        let (y_stride, uv_stride) = (mb_width * 16, mb_width * 8);
        RowPlanes {
            y: vec![0; y_stride * 16],
            u: vec![0; uv_stride * 8],
            v: vec![0; uv_stride * 8],
            above_y: vec![127; y_stride],
            above_u: vec![127; uv_stride],
            above_v: vec![127; uv_stride],
            y_stride,
            uv_stride,
        }
    }

    /// Predicts the macroblock in column `mb_x` of row `mb_y` and adds its residual.
    fn reconstruct(&mut self, mb_x: usize, mb_y: usize, macroblock: &Macroblock) {
        let (modes, coefficients) = (&macroblock.modes, &macroblock.coefficients);
        let stride = self.y_stride;
        let x0 = mb_x * 16;
        let edges = block_edges::<16>(&self.y, &self.above_y, stride, mb_x, mb_y);
        match modes.luma {
            Luma::Whole(mode) => {
                predict::predict_block(mode, &edges, mb_y > 0, mb_x > 0, &mut self.y, x0, stride);
                for (index, block) in coefficients.blocks[..16].iter().enumerate() {
                    let offset = (index / 4) * 4 * stride + x0 + (index % 4) * 4;
                    let shape = coefficients.shape(index);
                    transform::add_inverse_dct(block, shape, &mut self.y, offset, stride);
                }
            }
            Luma::Subblocks(sub_modes) => {
                // The four pixels after the macroblock's row above, which every subblock of its
                // right column reads as its own (RFC 6386 §12.3).
                let above_right: [u8; 4] = if mb_y == 0 {
                    [127; 4]
                } else if x0 + 16 < stride {
                    std::array::from_fn(|i| self.above_y[x0 + 16 + i])
                } else {
                    [self.above_y[x0 + 15]; 4]
                };
                let mut work = Workspace::new(&edges, above_right);
                for (index, &mode) in sub_modes.iter().enumerate() {
                    let origin = Workspace::origin(index);
                    let prediction = predict::predict_subblock(mode, work.sub_edges(origin));
                    for (line, predicted) in prediction.into_iter().enumerate() {
                        let start = origin + line * WORK_STRIDE;
                        work.pixels[start..start + 4].copy_from_slice(&predicted.to_le_bytes());
                    }
                    let shape = coefficients.shape(index);
                    let block = &coefficients.blocks[index];
                    transform::add_inverse_dct(block, shape, &mut work.pixels, origin, WORK_STRIDE);
                }
                for (line, out) in self.y[x0..].chunks_mut(stride).take(16).enumerate() {
                    let start = (line + 1) * WORK_STRIDE + 1;
                    out[..16].copy_from_slice(&work.pixels[start..start + 16]);
                }
            }
        }
        let stride = self.uv_stride;
        let x0 = mb_x * 8;
        for (plane, above, first) in [
            (&mut self.u, &self.above_u, 16),
            (&mut self.v, &self.above_v, 20),
        ] {
            let edges = block_edges::<8>(plane, above, stride, mb_x, mb_y);
            predict::predict_block(modes.chroma, &edges, mb_y > 0, mb_x > 0, plane, x0, stride);
            for block in 0..4 {
                let index = first + block;
                let offset = (block / 2) * 4 * stride + x0 + (block % 2) * 4;
                let shape = coefficients.shape(index);
                let block = &coefficients.blocks[index];
                transform::add_inverse_dct(block, shape, plane, offset, stride);
            }
        }
    }

    /// Keeps the last pixel row of each plane for the next macroblock row's predictions.
    fn finish_row(&mut self) {
        self.above_y
            .copy_from_slice(&self.y[15 * self.y_stride..16 * self.y_stride]);
        self.above_u
            .copy_from_slice(&self.u[7 * self.uv_stride..8 * self.uv_stride]);
        self.above_v
            .copy_from_slice(&self.v[7 * self.uv_stride..8 * self.uv_stride]);
    }
}

/// The edges of the `N`×`N` block of macroblock (`mb_x`, `mb_y`): the row above from `above`
/// (127 above the picture), the column to the left from the row being built (129 left of the
/// picture), the corner from whichever is inside the picture.
fn block_edges<const N: usize>(
    plane: &[u8],
    above: &[u8],
    stride: usize,
    mb_x: usize,
    mb_y: usize,
) -> Edges<N> {
    let x0 = mb_x * N;
    let (corner, above) = if mb_y == 0 {
        (127, [127; N])
    } else {
        let row = std::array::from_fn(|i| above[x0 + i]);
        (if mb_x == 0 { 129 } else { above[x0 - 1] }, row)
    };
    let left = if mb_x == 0 {
        [129; N]
    } else {
        std::array::from_fn(|row| plane[row * stride + x0 - 1])
    };
    Edges {
        corner,
        above,
        left,
    }
}

/// Samples a row of [`Workspace`]: the corner column, 16 pixels, 4 past the right edge.
const WORK_STRIDE: usize = 21;

/// A macroblock whose luma is predicted subblock by subblock, with its edges around it (row −1:
/// the corner, the row above and the four pixels after it; column −1: the column to the left),
/// so that every subblock reads its edges at fixed offsets. The four pixels after the row above
/// are repeated past the right edge of pixel rows 3, 7 and 11, where the subblocks of the right
/// column look for the pixels above and to their right (RFC 6386 §12.3).
struct Workspace {
    pixels: [u8; WORK_STRIDE * 17],
}

impl Workspace {
    fn new(edges: &Edges<16>, above_right: [u8; 4]) -> Self {
        let mut pixels = [0u8; WORK_STRIDE * 17];
        pixels[0] = edges.corner;
        pixels[1..17].copy_from_slice(&edges.above);
        for row in [0, 4, 8, 12] {
            let start = row * WORK_STRIDE + 17;
            pixels[start..start + 4].copy_from_slice(&above_right);
        }
        for (row, &left) in edges.left.iter().enumerate() {
            pixels[(row + 1) * WORK_STRIDE] = left;
        }
        Workspace { pixels }
    }

    /// Where subblock `index` (raster order) starts.
    fn origin(index: usize) -> usize {
        (index / 4 * 4 + 1) * WORK_STRIDE + index % 4 * 4 + 1
    }

    /// The edges of the subblock at `origin`.
    fn sub_edges(&self, origin: usize) -> SubEdges {
        let p = &self.pixels;
        let above = origin - WORK_STRIDE;
        let left = std::array::from_fn(|line| p[origin + line * WORK_STRIDE - 1]);
        let mut corner_and_above = [0u8; 9];
        corner_and_above.copy_from_slice(&p[above - 1..above + 8]);
        SubEdges::new(left, corner_and_above)
    }
}
