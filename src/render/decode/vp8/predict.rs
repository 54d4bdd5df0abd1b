//! Intra prediction (RFC 6386 §12): a block is predicted from the reconstructed pixels along its
//! top and left edges, then its residual is added. Outside the picture the row above reads 127
//! and the column to the left 129.

/// How a 16×16 luma block or an 8×8 chroma block is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Intra {
    /// The mean of the edges there are (128 with neither).
    Dc,
    /// Each column repeats the pixel above it.
    Vertical,
    /// Each row repeats the pixel to its left.
    Horizontal,
    /// Above plus left minus the corner ("TrueMotion").
    TrueMotion,
}

impl Intra {
    /// The subblock mode a neighbouring subblock's mode is coded against.
    pub(super) fn as_sub_mode(self) -> SubMode {
        match self {
            Intra::Dc => SubMode::Dc,
            Intra::Vertical => SubMode::Vertical,
            Intra::Horizontal => SubMode::Horizontal,
            Intra::TrueMotion => SubMode::TrueMotion,
        }
    }
}

/// How a 4×4 luma subblock is predicted, numbered as RFC 6386 numbers them (the probability
/// tables are indexed by these numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum SubMode {
    Dc = 0,
    TrueMotion = 1,
    /// Vertical, from the row above smoothed.
    Vertical = 2,
    /// Horizontal, from the column to the left smoothed.
    Horizontal = 3,
    DownLeft = 4,
    DownRight = 5,
    VerticalRight = 6,
    VerticalLeft = 7,
    HorizontalDown = 8,
    HorizontalUp = 9,
}

/// The pixels around a square block of side `N`: the corner above-left, the row above, the
/// column to the left.
pub(super) struct Edges<const N: usize> {
    pub(super) corner: u8,
    pub(super) above: [u8; N],
    pub(super) left: [u8; N],
}

/// Writes the prediction of an `N`×`N` block (16 luma, 8 chroma) into `pixels` at `offset`,
/// rows `stride` apart. DC prediction averages only the edges that lie inside the picture
/// (`has_above`, `has_left`); the other modes read the edges as they are.
pub(super) fn predict_block<const N: usize>(
    mode: Intra,
    edges: &Edges<N>,
    has_above: bool,
    has_left: bool,
    pixels: &mut [u8],
    offset: usize,
    stride: usize,
) {
    let rows = pixels[offset..]
        .chunks_mut(stride)
        .take(N)
        .map(|row| &mut row[..N]);
    match mode {
        Intra::Dc => {
            let sum = |side: &[u8; N]| side.iter().map(|&pixel| u32::from(pixel)).sum::<u32>();
            let shift = N.trailing_zeros();
            let value = match (has_above, has_left) {
                (true, true) => (sum(&edges.above) + sum(&edges.left) + N as u32) >> (shift + 1),
                (true, false) => (sum(&edges.above) + N as u32 / 2) >> shift,
                (false, true) => (sum(&edges.left) + N as u32 / 2) >> shift,
                (false, false) => 128,
            } as u8;
            rows.for_each(|row| row.fill(value));
        }
        Intra::Vertical => rows.for_each(|row| row.copy_from_slice(&edges.above)),
        Intra::Horizontal => rows.zip(edges.left).for_each(|(row, left)| row.fill(left)),
        Intra::TrueMotion => {
            for (row, left) in rows.zip(edges.left) {
                let base = i32::from(left) - i32::from(edges.corner);
                for (pixel, &above) in row.iter_mut().zip(&edges.above) {
                    *pixel = (base + i32::from(above)).clamp(0, 255) as u8;
                }
            }
        }
    }
}

/// The pixels around a 4×4 subblock, as RFC 6386 §12.3 lists them: the column to the left from
/// the bottom up (L, K, J, I), the corner (P), the row above (A–D) and the four after it (E–H).
pub(super) type SubEdges = [u8; 13];

/// `(a + 2b + c + 2) / 4`, the smoothing most subblock modes use.
fn average3(a: u8, b: u8, c: u8) -> u8 {
    ((u16::from(a) + 2 * u16::from(b) + u16::from(c) + 2) >> 2) as u8
}

/// `(a + b + 1) / 2`.
fn average2(a: u8, b: u8) -> u8 {
    ((u16::from(a) + u16::from(b) + 1) >> 1) as u8
}

/// The prediction of a 4×4 subblock, row by row.
pub(super) fn predict_subblock(mode: SubMode, e: &SubEdges) -> [[u8; 4]; 4] {
    let [l, k, j, i, p, a, b, c, d, e4, f, g, h] = *e;
    let above = [a, b, c, d, e4, f, g, h];
    let left = [i, j, k, l];
    match mode {
        SubMode::Dc => {
            let sum: u32 = above[..4]
                .iter()
                .chain(&left)
                .map(|&pixel| u32::from(pixel))
                .sum();
            [[((sum + 4) >> 3) as u8; 4]; 4]
        }
        SubMode::TrueMotion => std::array::from_fn(|row| {
            std::array::from_fn(|column| {
                (i32::from(left[row]) + i32::from(above[column]) - i32::from(p)).clamp(0, 255) as u8
            })
        }),
        SubMode::Vertical => {
            let row = [
                average3(p, a, b),
                average3(a, b, c),
                average3(b, c, d),
                average3(c, d, e4),
            ];
            [row; 4]
        }
        SubMode::Horizontal => [
            [average3(p, i, j); 4],
            [average3(i, j, k); 4],
            [average3(j, k, l); 4],
            [average3(k, l, l); 4],
        ],
        SubMode::DownLeft => std::array::from_fn(|row| {
            std::array::from_fn(|column| {
                let n = row + column;
                if n < 6 {
                    average3(above[n], above[n + 1], above[n + 2])
                } else {
                    average3(g, h, h)
                }
            })
        }),
        SubMode::DownRight => std::array::from_fn(|row| {
            std::array::from_fn(|column| {
                let n = 3 + column - row;
                average3(e[n], e[n + 1], e[n + 2])
            })
        }),
        SubMode::VerticalRight => [
            [
                average2(p, a),
                average2(a, b),
                average2(b, c),
                average2(c, d),
            ],
            [
                average3(i, p, a),
                average3(p, a, b),
                average3(a, b, c),
                average3(b, c, d),
            ],
            [
                average3(j, i, p),
                average2(p, a),
                average2(a, b),
                average2(b, c),
            ],
            [
                average3(k, j, i),
                average3(i, p, a),
                average3(p, a, b),
                average3(a, b, c),
            ],
        ],
        SubMode::VerticalLeft => [
            [
                average2(a, b),
                average2(b, c),
                average2(c, d),
                average2(d, e4),
            ],
            [
                average3(a, b, c),
                average3(b, c, d),
                average3(c, d, e4),
                average3(d, e4, f),
            ],
            [
                average2(b, c),
                average2(c, d),
                average2(d, e4),
                average3(e4, f, g),
            ],
            [
                average3(b, c, d),
                average3(c, d, e4),
                average3(d, e4, f),
                average3(f, g, h),
            ],
        ],
        SubMode::HorizontalDown => [
            [
                average2(i, p),
                average3(i, p, a),
                average3(p, a, b),
                average3(a, b, c),
            ],
            [
                average2(j, i),
                average3(j, i, p),
                average2(i, p),
                average3(i, p, a),
            ],
            [
                average2(k, j),
                average3(k, j, i),
                average2(j, i),
                average3(j, i, p),
            ],
            [
                average2(l, k),
                average3(l, k, j),
                average2(k, j),
                average3(k, j, i),
            ],
        ],
        SubMode::HorizontalUp => [
            [
                average2(i, j),
                average3(i, j, k),
                average2(j, k),
                average3(j, k, l),
            ],
            [
                average2(j, k),
                average3(j, k, l),
                average2(k, l),
                average3(k, l, l),
            ],
            [average2(k, l), average3(k, l, l), l, l],
            [l; 4],
        ],
    }
}
