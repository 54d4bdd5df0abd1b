//! The per-macroblock header of a key frame, in the first partition (RFC 6386 §19.3): the
//! segment, whether coefficients are coded, and the intra prediction modes, whose trees and
//! fixed probabilities are §11's.

use super::bool_decoder::BoolDecoder;
use super::predict::{Intra, SubMode};
use super::tables::{KEY_FRAME_BMODE_PROBS, KEY_FRAME_UV_MODE_PROBS, KEY_FRAME_YMODE_PROBS};

/// How a macroblock's luma is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Luma {
    /// The whole 16×16 block from its edges; its sixteen DCs are coded in a second-order block.
    Whole(Intra),
    /// Each 4×4 subblock by its own mode, in raster order.
    Subblocks([SubMode; 16]),
}

/// A macroblock's header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Modes {
    pub(super) segment: usize,
    /// Whether the macroblock codes no coefficients at all.
    pub(super) skip: bool,
    pub(super) luma: Luma,
    pub(super) chroma: Intra,
}

/// The subblock modes of the row above and of the macroblock to the left, the context each
/// subblock's mode is coded in.
pub(super) struct ModeContext {
    above: Vec<[SubMode; 4]>,
    left: [SubMode; 4],
}

impl ModeContext {
    /// The context at the top of a picture `mb_width` macroblocks wide: outside the picture
    /// counts as DC prediction.
    pub(super) fn new(mb_width: usize) -> Self {
        ModeContext {
            above: vec![[SubMode::Dc; 4]; mb_width],
            left: [SubMode::Dc; 4],
        }
    }

    /// Starts a macroblock row: the left edge counts as DC prediction.
    pub(super) fn start_row(&mut self) {
        self.left = [SubMode::Dc; 4];
    }

    /// Reads the header of the macroblock in column `x`.
    pub(super) fn read(
        &mut self,
        stream: &mut BoolDecoder<'_>,
        x: usize,
        segment_probs: Option<[u8; 3]>,
        skip_prob: Option<u8>,
    ) -> Modes {
        let mut local = stream.clone();
        let modes = self.read_from(&mut local, x, segment_probs, skip_prob);
        *stream = local;
        modes
    }

    /// [`ModeContext::read`] on the decoder's local copy.
    #[inline(always)]
    fn read_from(
        &mut self,
        bits: &mut BoolDecoder<'_>,
        x: usize,
        segment_probs: Option<[u8; 3]>,
        skip_prob: Option<u8>,
    ) -> Modes {
        let segment = match segment_probs {
            Some(probs) if bits.read(probs[0]) => 2 + usize::from(bits.read(probs[2])),
            Some(probs) => usize::from(bits.read(probs[1])),
            None => 0,
        };
        let skip = skip_prob.is_some_and(|prob| bits.read(prob));
        let [p0, p1, p2, p3] = KEY_FRAME_YMODE_PROBS;
        let luma = if !bits.read(p0) {
            let above = &mut self.above[x];
            let mut modes = [SubMode::Dc; 16];
            for (index, mode) in modes.iter_mut().enumerate() {
                let (column, row) = (index % 4, index / 4);
                *mode = read_sub_mode(
                    bits,
                    &KEY_FRAME_BMODE_PROBS[above[column] as usize][self.left[row] as usize],
                );
                above[column] = *mode;
                self.left[row] = *mode;
            }
            Luma::Subblocks(modes)
        } else {
            let mode = if bits.read(p1) {
                if bits.read(p3) {
                    Intra::TrueMotion
                } else {
                    Intra::Horizontal
                }
            } else if bits.read(p2) {
                Intra::Vertical
            } else {
                Intra::Dc
            };
            // Neighbouring subblocks see the whole-block mode as its subblock counterpart.
            let implied = mode.as_sub_mode();
            self.above[x] = [implied; 4];
            self.left = [implied; 4];
            Luma::Whole(mode)
        };
        let [q0, q1, q2] = KEY_FRAME_UV_MODE_PROBS;
        let chroma = if !bits.read(q0) {
            Intra::Dc
        } else if !bits.read(q1) {
            Intra::Vertical
        } else if !bits.read(q2) {
            Intra::Horizontal
        } else {
            Intra::TrueMotion
        };
        Modes {
            segment,
            skip,
            luma,
            chroma,
        }
    }
}

/// Reads a subblock mode through the tree of RFC 6386 §11.2 (`bmode_tree`).
fn read_sub_mode(bits: &mut BoolDecoder<'_>, probs: &[u8; 9]) -> SubMode {
    if !bits.read(probs[0]) {
        return SubMode::Dc;
    }
    if !bits.read(probs[1]) {
        return SubMode::TrueMotion;
    }
    if !bits.read(probs[2]) {
        return SubMode::Vertical;
    }
    if !bits.read(probs[3]) {
        if !bits.read(probs[4]) {
            return SubMode::Horizontal;
        }
        return if bits.read(probs[5]) {
            SubMode::VerticalRight
        } else {
            SubMode::DownRight
        };
    }
    if !bits.read(probs[6]) {
        return SubMode::DownLeft;
    }
    if !bits.read(probs[7]) {
        return SubMode::VerticalLeft;
    }
    if bits.read(probs[8]) {
        SubMode::HorizontalUp
    } else {
        SubMode::HorizontalDown
    }
}
