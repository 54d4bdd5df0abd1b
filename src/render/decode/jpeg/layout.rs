//! The frame's layout at the reduced size: each component's block grid and reduced block size,
//! and which coefficients (slots) each reduced block size reads.

use super::headers::{Frame, ZIGZAG};

/// No slot in a reduced block.
pub(super) const NONE: u8 = 0xFF;

/// For each reduced block size (index 0: 1×1, 1: 2×2, 2: 4×4, 3: 8×8): the index of each
/// frequency among those the reduced IDCT reads ([`idct`](super::idct): 2×2 reads 0, 1, 3, 5, 7; 4×4 all but
/// 4), or [`NONE`].
const FREQUENCY_INDEX: [[u8; 8]; 4] = [
    [0, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
    [0, 1, NONE, 2, NONE, 3, NONE, 4],
    [0, 1, 2, 3, NONE, 4, 5, 6],
    [0, 1, 2, 3, 4, 5, 6, 7],
];

/// How many frequencies per direction each size reads.
const USED: [usize; 4] = [1, 5, 7, 8];

/// For each size: the compact slot (in a progressive coefficient store) of each zigzag position,
/// or [`NONE`] for the coefficients that size does not read.
const SLOTS: [[u8; 64]; 4] = {
    let mut slots = [[NONE; 64]; 4];
    let mut size = 0;
    while size < 4 {
        let mut k = 0;
        while k < 64 {
            let (row, col) = (ZIGZAG[k] as usize / 8, ZIGZAG[k] as usize % 8);
            let (r, c) = (FREQUENCY_INDEX[size][row], FREQUENCY_INDEX[size][col]);
            if r != NONE && c != NONE {
                slots[size][k] = (r as usize * USED[size] + c as usize) as u8;
            }
            k += 1;
        }
        size += 1;
    }
    slots
};

/// For each size: the natural (row-major 8×8) position of each compact slot.
pub(super) const NATURAL_OF_SLOT: [[u8; 64]; 4] = {
    let mut naturals = [[0; 64]; 4];
    let mut size = 0;
    while size < 4 {
        let mut k = 0;
        while k < 64 {
            if SLOTS[size][k] != NONE {
                naturals[size][SLOTS[size][k] as usize] = ZIGZAG[k];
            }
            k += 1;
        }
        size += 1;
    }
    naturals
};

/// The last zigzag position each size reads.
const KMAX: [usize; 4] = [0, 63, 63, 63];

/// The index of a reduced block size `n` (1, 2, 4 or 8) in the tables above.
pub(super) fn size_index(n: usize) -> usize {
    n.trailing_zeros() as usize
}

/// One frame component, with its geometry at the reduced size.
pub(super) struct Component {
    /// The component identifier scans refer to.
    pub(super) id: u8,
    /// Horizontal sampling factor.
    pub(super) h: usize,
    /// Vertical sampling factor.
    pub(super) v: usize,
    /// Its quantisation table.
    pub(super) quant_id: usize,
    /// Latched when the component's first scan starts.
    pub(super) quant: Option<[u16; 64]>,
    /// Pixels per block side in its plane (1, 2, 4 or 8).
    pub(super) n: usize,
    /// Blocks per line, padded to whole MCUs.
    pub(super) bw: usize,
    /// Blocks per column, padded to whole MCUs.
    pub(super) bh: usize,
    /// Blocks per line that hold the component's samples (a non-interleaved scan covers only
    /// these).
    pub(super) real_bw: usize,
    /// Blocks per column that hold the component's samples.
    pub(super) real_bh: usize,
    /// Width of its plane: `bw · n`.
    pub(super) stride: usize,
    /// First scan positions whose scans were skipped (progressive, bit k = zigzag k).
    pub(super) skipped: u64,
}

impl Component {
    /// The compact slot of each zigzag position in this component's reduced blocks.
    pub(super) fn slots(&self) -> &'static [u8; 64] {
        &SLOTS[size_index(self.n)]
    }

    /// The last zigzag position this component's reduced blocks read.
    pub(super) fn kmax(&self) -> usize {
        KMAX[size_index(self.n)]
    }

    /// Coefficients kept per block in a progressive store.
    pub(super) fn kept(&self) -> usize {
        USED[size_index(self.n)] * USED[size_index(self.n)]
    }
}

/// Frame-wide geometry.
pub(super) struct Geometry {
    /// Output scale in eighths (1, 2, 4, 8).
    pub(super) n: usize,
    /// MCUs per line.
    pub(super) mcus_x: usize,
    /// MCUs per column.
    pub(super) mcus_y: usize,
    /// The largest horizontal sampling factor.
    pub(super) hmax: usize,
    /// The largest vertical sampling factor.
    pub(super) vmax: usize,
    /// Every component keeps DC only ([`Chroma::DcAtOneEighth`] in a progressive file at 1/8):
    /// subsampled chroma is then upsampled with the triangle filter.
    pub(super) dc_only: bool,
}

/// The detail a decode keeps in subsampled chroma where the two choices differ: progressive files
/// at 1/8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chroma {
    /// libjpeg's: chroma subsampled in both directions is decoded at a larger block size (2×2 for
    /// 4:2:0 at 1/8), so a progressive file's chroma AC scans are decoded. What a decode that is
    /// shown as it is needs: a tiny 4:2:0 file at 1/8 keeps its colour.
    Libjpeg,
    /// In a progressive file at 1/8, every component keeps DC only and the chroma AC scans are
    /// skipped without decoding (half the time of such a decode): for a decode that a resample
    /// reduces by at least two afterwards, where the chroma lost costs a few dB against a
    /// full-size decode (48.1 dB against 52.1 on the 22 MP bench photo at 256 px).
    DcAtOneEighth,
}

/// The components' block grids and reduced block sizes. Chroma is decoded at a larger block
/// size when subsampled by a power of two in both directions (as libjpeg does), so that no
/// upsampling is needed, unless `chroma` keeps DC only (progressive files at 1/8).
pub(super) fn layout(frame: &Frame, n: usize, chroma: Chroma) -> (Vec<Component>, Geometry) {
    let hmax = frame.components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = frame.components.iter().map(|c| c.v).max().unwrap_or(1);
    let mcus_x = frame.width.div_ceil(8 * hmax);
    let mcus_y = frame.height.div_ceil(8 * vmax);
    let dc_only = frame.progressive && n == 1 && chroma == Chroma::DcAtOneEighth;
    let components = frame
        .components
        .iter()
        .map(|c| {
            let size = if dc_only {
                1
            } else {
                block_size(n, (hmax, vmax), (c.h, c.v))
            };
            let (bw, bh) = (mcus_x * c.h, mcus_y * c.v);
            Component {
                id: c.id,
                h: c.h,
                v: c.v,
                quant_id: c.quant,
                quant: None,
                n: size,
                bw,
                bh,
                real_bw: (frame.width * c.h).div_ceil(hmax).div_ceil(8),
                real_bh: (frame.height * c.v).div_ceil(vmax).div_ceil(8),
                stride: bw * size,
                skipped: 0,
            }
        })
        .collect();
    let geometry = Geometry {
        n,
        mcus_x,
        mcus_y,
        hmax,
        vmax,
        dc_only,
    };
    (components, geometry)
}

/// The block size of a component sampled `(h, v)` in a frame of largest factors `max` at scale
/// `n`: `n`, doubled while the component stays an integer number of times smaller than the
/// largest in both directions (libjpeg's rule, so that 4:2:0 chroma needs no upsampling below
/// full size).
fn block_size(n: usize, max: (usize, usize), (h, v): (usize, usize)) -> usize {
    let mut size = n;
    while size < 8
        && (max.0 * n).is_multiple_of(h * size * 2)
        && (max.1 * n).is_multiple_of(v * size * 2)
    {
        size *= 2;
    }
    size
}
