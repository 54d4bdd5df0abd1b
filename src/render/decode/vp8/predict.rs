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

/// The pixels around a 4×4 subblock, one per byte from the lowest: the column to the left from
/// the bottom up (L, K, J, I), the corner (P), the row above (A–D) and the four after it (E–H),
/// the order RFC 6386 §12.3 lists them in. Held in one word, every subblock mode is a few
/// word-wide averages of this sequence shifted against itself, read back four bytes at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SubEdges(u128);

impl SubEdges {
    /// The edges from the column to the left, top down (I, J, K, L), and the corner and row
    /// above it with the four after it (P, A–H).
    pub(super) fn new(left: [u8; 4], corner_and_above: [u8; 9]) -> Self {
        let left = u128::from(u32::from_be_bytes(left));
        let mut top = [0u8; 16];
        top[..9].copy_from_slice(&corner_and_above);
        SubEdges(left | (u128::from_le_bytes(top) << 32))
    }

    /// Edge `n` in the order of [`SubEdges`] (L = 0 … H = 12).
    fn byte(self, n: u32) -> u8 {
        (self.0 >> (8 * n)) as u8
    }
}

/// A subblock's prediction: its four rows, each four pixels with the leftmost in the low byte.
pub(super) type SubRows = [u32; 4];

/// The low seven bits of every byte: the mask that keeps a byte's halving shift from carrying
/// a bit into the byte below.
const LOW_SEVEN: u128 = u128::from_le_bytes([0x7f; 16]);

/// `(a + b) / 2` rounded down in every byte.
fn floor_average(a: u128, b: u128) -> u128 {
    (a & b) + (((a ^ b) >> 1) & LOW_SEVEN)
}

/// `(a + b + 1) / 2` in every byte.
fn round_average(a: u128, b: u128) -> u128 {
    (a | b) - (((a ^ b) >> 1) & LOW_SEVEN)
}

/// Byte `n`: `(x[n] + x[n + 1] + 1) / 2`, RFC 6386's two-tap average along the sequence.
fn pairs(x: u128) -> u128 {
    round_average(x, x >> 8)
}

/// Byte `n`: `(x[n] + 2·x[n + 1] + x[n + 2] + 2) / 4`, RFC 6386's three-tap smoothing along the
/// sequence. Averaging the outer two rounded down and then that with the middle one rounded up
/// gives the same rounding as the sum.
fn smoothed(x: u128) -> u128 {
    round_average(floor_average(x, x >> 16), x >> 8)
}

/// Bytes `n` to `n + 3` of `x`, the first lowest: a row of four pixels.
fn row_at(x: u128, n: u32) -> u32 {
    (x >> (8 * n)) as u32
}

/// A row of four copies of `value`.
fn fill_row(value: u8) -> u32 {
    u32::from(value) * 0x0101_0101
}

/// The low four bytes of `even` and of `odd` interleaved, `even`'s first: eight bytes.
fn interleave(even: u128, odd: u128) -> u64 {
    let spread = |x: u128| {
        let x = u64::from(x as u32);
        let x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
        (x | (x << 8)) & 0x00ff_00ff_00ff_00ff
    };
    spread(even) | (spread(odd) << 8)
}

/// The prediction of a 4×4 subblock from its edges (RFC 6386 §12.3), row by row.
pub(super) fn predict_subblock(mode: SubMode, edges: SubEdges) -> SubRows {
    let e = edges.0;
    match mode {
        SubMode::Dc => {
            // A–D and I–L side by side, summed in 16-bit lanes and then across them.
            let sides = u64::from(e as u32) | (u64::from((e >> 40) as u32) << 32);
            let lanes = (sides & 0x00ff_00ff_00ff_00ff) + ((sides >> 8) & 0x00ff_00ff_00ff_00ff);
            let sum = lanes.wrapping_mul(0x0001_0001_0001_0001) >> 48;
            [fill_row(((sum + 4) >> 3) as u8); 4]
        }
        SubMode::TrueMotion => {
            let corner = i32::from(edges.byte(4));
            std::array::from_fn(|row| {
                let left = i32::from(edges.byte(3 - row as u32)) - corner;
                let pixels: [u8; 4] = std::array::from_fn(|column| {
                    (left + i32::from(edges.byte(5 + column as u32))).clamp(0, 255) as u8
                });
                u32::from_le_bytes(pixels)
            })
        }
        SubMode::Vertical => [row_at(smoothed(e >> 32), 0); 4],
        SubMode::Horizontal => {
            // L repeated below the sequence: byte 0 smooths L, L, K; byte 3 J, I, P.
            let column = smoothed((e << 8) | (e & 0xff));
            std::array::from_fn(|row| fill_row((column >> (8 * (3 - row))) as u8))
        }
        SubMode::DownLeft => {
            // A–H with H repeated after it.
            let above = (e >> 40) & u128::from(u64::MAX);
            let smooth = smoothed(above | ((above >> 56) << 64));
            std::array::from_fn(|row| row_at(smooth, row as u32))
        }
        SubMode::DownRight => {
            let smooth = smoothed(e);
            std::array::from_fn(|row| row_at(smooth, 3 - row as u32))
        }
        SubMode::VerticalRight => {
            let (pair, smooth) = (pairs(e), smoothed(e));
            [
                row_at(pair, 4),
                row_at(smooth, 3),
                ((smooth >> 16) & 0xff) as u32 | (row_at(pair, 4) << 8),
                ((smooth >> 8) & 0xff) as u32 | (row_at(smooth, 3) << 8),
            ]
        }
        SubMode::VerticalLeft => {
            let above = e >> 40;
            let (pair, smooth) = (pairs(above), smoothed(above));
            [
                row_at(pair, 0),
                row_at(smooth, 0),
                (row_at(pair, 1) & 0x00ff_ffff) | (row_at(smooth, 4) << 24),
                (row_at(smooth, 1) & 0x00ff_ffff) | (row_at(smooth, 5) << 24),
            ]
        }
        SubMode::HorizontalDown => {
            let (pair, smooth) = (pairs(e), smoothed(e));
            let woven = interleave(pair, smooth);
            [
                ((pair >> 24) & 0xff) as u32 | (row_at(smooth, 3) << 8),
                (woven >> 32) as u32,
                (woven >> 16) as u32,
                woven as u32,
            ]
        }
        SubMode::HorizontalUp => {
            // I, J, K, L and L repeated after them.
            let l = e & 0xff;
            let left = u128::from((e as u32).swap_bytes()) | (l * 0x0101_0101_0101_0101_0000_0000);
            let woven = interleave(pairs(left), smoothed(left));
            [
                woven as u32,
                (woven >> 16) as u32,
                (woven >> 32) as u32,
                fill_row(l as u8),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_common::random::Xorshift32;

    /// `(a + 2b + c + 2) / 4`.
    fn average3(a: u8, b: u8, c: u8) -> u8 {
        ((u16::from(a) + 2 * u16::from(b) + u16::from(c) + 2) >> 2) as u8
    }

    /// `(a + b + 1) / 2`.
    fn average2(a: u8, b: u8) -> u8 {
        ((u16::from(a) + u16::from(b) + 1) >> 1) as u8
    }

    /// RFC 6386 §12.3's subblock predictions pixel by pixel, as its reference decoder writes
    /// them: what the word-wide ones must equal.
    fn by_the_rfc(mode: SubMode, e: [u8; 13]) -> [[u8; 4]; 4] {
        let [l, k, j, i, p, a, b, c, d, e4, f, g, h] = e;
        let above = [a, b, c, d, e4, f, g, h];
        let left = [i, j, k, l];
        match mode {
            SubMode::Dc => {
                let sum: u32 = above[..4].iter().chain(&left).map(|&x| u32::from(x)).sum();
                [[((sum + 4) >> 3) as u8; 4]; 4]
            }
            SubMode::TrueMotion => std::array::from_fn(|row| {
                std::array::from_fn(|column| {
                    (i32::from(left[row]) + i32::from(above[column]) - i32::from(p)).clamp(0, 255)
                        as u8
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

    /// Every mode, on random edges and on edges at both ends of the range, predicts the RFC's
    /// pixels.
    #[test]
    fn word_wide_subblock_predictions_are_the_rfcs() {
        let modes = [
            SubMode::Dc,
            SubMode::TrueMotion,
            SubMode::Vertical,
            SubMode::Horizontal,
            SubMode::DownLeft,
            SubMode::DownRight,
            SubMode::VerticalRight,
            SubMode::VerticalLeft,
            SubMode::HorizontalDown,
            SubMode::HorizontalUp,
        ];
        let mut random = Xorshift32(0x9e37_79b9);
        let mut next = move || random.next_u32();
        let mut cases: Vec<[u8; 13]> = vec![[0; 13], [255; 13]];
        cases.extend((0..20_000).map(|_| {
            // Mostly random, sometimes saturated, so the clamps and carries are exercised.
            std::array::from_fn(|_| match next() % 8 {
                0 => 0,
                1 => 255,
                _ => next() as u8,
            })
        }));
        for e in cases {
            let [l, k, j, i, p, a, b, c, d, e4, f, g, h] = e;
            let edges = SubEdges::new([i, j, k, l], [p, a, b, c, d, e4, f, g, h]);
            for mode in modes {
                let expected = by_the_rfc(mode, e).map(u32::from_le_bytes);
                assert_eq!(predict_subblock(mode, edges), expected, "{mode:?} on {e:?}");
            }
        }
    }
}
