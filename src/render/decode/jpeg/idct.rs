//! Inverse DCTs producing 1×1, 2×2, 4×4 or 8×8 pixels from a block's coefficients.
//!
//! A reduced `n×n` output is the exact box average of the full 8×8 IDCT over `8/n × 8/n` pixels
//! (what libjpeg's scaled IDCTs compute): the 8-point basis averaged over each output pixel.
//! Frequencies whose averaged basis vanishes are not read at all: at 2×2 only frequencies
//! 0, 1, 3, 5, 7 in each direction count, at 4×4 all but 4, at 1×1 only the DC. The arithmetic
//! is 13-bit fixed point with two extra bits between the passes, like libjpeg's "islow" IDCT.
//!
//! Inputs are dequantised and clamped to ±8192 by the caller, which bounds every intermediate
//! below 2^31 (worst case 8192 · 21641 / 2^11 · 21641 < 1.9 · 10^9).
//!
//! Each transform splits into an even part (symmetric about the centre) and an odd part
//! (antisymmetric), so half the multiplications give both mirrored outputs.

/// `round(8192 · C(u) · cos((2x + 1)uπ / 16) / 2)` for x = 0..4, u = 0..8, `C(0) = 1/√2`.
const K8: [[i32; 8]; 4] = [
    [2896, 4017, 3784, 3406, 2896, 2276, 1567, 799],
    [2896, 3406, 1567, -799, -2896, -4017, -3784, -2276],
    [2896, 2276, -1567, -4017, -2896, 799, 3784, 3406],
    [2896, 799, -3784, -2276, 2896, 3406, -1567, -4017],
];
/// The 8-point basis averaged over pairs of pixels: x = 0..2 of a 4-point output, u = 0..8.
const K4: [[i32; 8]; 2] = [
    [2896, 3711, 2676, 1303, 0, -871, -1108, -738],
    [2896, 1537, -2676, -3146, 0, 2102, 1108, -306],
];
/// And over four pixels: output 0 of a 2-point output (output 1 mirrors it).
const K2: [i32; 8] = [2896, 2624, 0, -922, 0, 616, 0, -522];

/// The frequencies a 2×2 output reads in each direction.
const USED2: [usize; 5] = [0, 1, 3, 5, 7];
/// The frequencies a 4×4 output reads in each direction.
const USED4: [usize; 7] = [0, 1, 2, 3, 5, 6, 7];

/// Fraction bits dropped after the first (column) pass.
const PASS1_SHIFT: u32 = 11;
/// Rounding for [`PASS1_SHIFT`].
const PASS1_ROUND: i32 = 1 << (PASS1_SHIFT - 1);
/// Fraction bits dropped after the second (row) pass.
const PASS2_SHIFT: u32 = 15;
/// Rounding for [`PASS2_SHIFT`], with the level shift of +128 folded in.
const PASS2_ROUND: i32 = (1 << (PASS2_SHIFT - 1)) + (128 << PASS2_SHIFT);

/// A second-pass sum to a pixel.
#[inline(always)]
fn clamp_pixel(value: i32) -> u8 {
    (value >> PASS2_SHIFT).clamp(0, 255) as u8
}

/// One pixel: the DC coefficient (dequantised) scaled by 1/8, rounded, level-shifted.
#[inline(always)]
pub(super) fn idct1(dc: i32) -> u8 {
    ((dc + 4) >> 3).saturating_add(128).clamp(0, 255) as u8
}

/// The pixel value of a block whose only non-zero coefficient is the DC, at any size (the same
/// arithmetic as the full transforms, so flat blocks match their neighbours).
#[inline(always)]
pub(super) fn dc_only(dc: i32) -> u8 {
    let column = (dc * K2[0] + PASS1_ROUND) >> PASS1_SHIFT;
    clamp_pixel(column * K2[0] + PASS2_ROUND)
}

/// 2×2 pixels from the coefficients (natural order) of frequencies 0, 1, 3, 5, 7.
pub(super) fn idct2(c: &[i32; 64], out: &mut [u8], stride: usize) {
    // Pass 1, down each used column: output rows 0 and 1.
    let mut work = [[0i32; 8]; 2];
    for u in USED2 {
        if c[8 + u] == 0 && c[24 + u] == 0 && c[40 + u] == 0 && c[56 + u] == 0 {
            let value = (c[u] * K2[0] + PASS1_ROUND) >> PASS1_SHIFT;
            work[0][u] = value;
            work[1][u] = value;
            continue;
        }
        let even = c[u] * K2[0];
        let odd = c[8 + u] * K2[1] + c[24 + u] * K2[3] + c[40 + u] * K2[5] + c[56 + u] * K2[7];
        work[0][u] = (even + odd + PASS1_ROUND) >> PASS1_SHIFT;
        work[1][u] = (even - odd + PASS1_ROUND) >> PASS1_SHIFT;
    }
    for (y, w) in work.iter().enumerate() {
        let even = w[0] * K2[0] + PASS2_ROUND;
        let odd = w[1] * K2[1] + w[3] * K2[3] + w[5] * K2[5] + w[7] * K2[7];
        let row = &mut out[y * stride..y * stride + 2];
        row[0] = clamp_pixel(even + odd);
        row[1] = clamp_pixel(even - odd);
    }
}

/// 4×4 pixels from the coefficients (natural order) of every frequency but 4.
pub(super) fn idct4(c: &[i32; 64], out: &mut [u8], stride: usize) {
    let mut work = [[0i32; 8]; 4];
    for u in USED4 {
        let (c0, c1, c2, c3) = (c[u], c[8 + u], c[16 + u], c[24 + u]);
        let (c5, c6, c7) = (c[40 + u], c[48 + u], c[56 + u]);
        if c1 == 0 && c2 == 0 && c3 == 0 && c5 == 0 && c6 == 0 && c7 == 0 {
            let value = (c0 * K4[0][0] + PASS1_ROUND) >> PASS1_SHIFT;
            for row in work.iter_mut() {
                row[u] = value;
            }
            continue;
        }
        for x in 0..2 {
            let k = &K4[x];
            let even = c0 * k[0] + c2 * k[2] + c6 * k[6];
            let odd = c1 * k[1] + c3 * k[3] + c5 * k[5] + c7 * k[7];
            work[x][u] = (even + odd + PASS1_ROUND) >> PASS1_SHIFT;
            work[3 - x][u] = (even - odd + PASS1_ROUND) >> PASS1_SHIFT;
        }
    }
    for (y, w) in work.iter().enumerate() {
        let row = &mut out[y * stride..y * stride + 4];
        for x in 0..2 {
            let k = &K4[x];
            let even = w[0] * k[0] + w[2] * k[2] + w[6] * k[6] + PASS2_ROUND;
            let odd = w[1] * k[1] + w[3] * k[3] + w[5] * k[5] + w[7] * k[7];
            row[x] = clamp_pixel(even + odd);
            row[3 - x] = clamp_pixel(even - odd);
        }
    }
}

/// 8×8 pixels from all 64 coefficients (natural order).
pub(super) fn idct8(c: &[i32; 64], out: &mut [u8], stride: usize) {
    let mut work = [0i32; 64];
    for u in 0..8 {
        // Columns with only a DC term are common: one value down the column.
        if (1..8).all(|v| c[v * 8 + u] == 0) {
            let value = (c[u] * K2[0] + PASS1_ROUND) >> PASS1_SHIFT;
            for y in 0..8 {
                work[y * 8 + u] = value;
            }
            continue;
        }
        for x in 0..4 {
            let k = &K8[x];
            let even = c[u] * k[0] + c[16 + u] * k[2] + c[32 + u] * k[4] + c[48 + u] * k[6];
            let odd = c[8 + u] * k[1] + c[24 + u] * k[3] + c[40 + u] * k[5] + c[56 + u] * k[7];
            work[x * 8 + u] = (even + odd + PASS1_ROUND) >> PASS1_SHIFT;
            work[(7 - x) * 8 + u] = (even - odd + PASS1_ROUND) >> PASS1_SHIFT;
        }
    }
    for y in 0..8 {
        let w = &work[y * 8..y * 8 + 8];
        let row = &mut out[y * stride..y * stride + 8];
        for x in 0..4 {
            let k = &K8[x];
            let even = w[0] * k[0] + w[2] * k[2] + w[4] * k[4] + w[6] * k[6] + PASS2_ROUND;
            let odd = w[1] * k[1] + w[3] * k[3] + w[5] * k[5] + w[7] * k[7];
            row[x] = clamp_pixel(even + odd);
            row[7 - x] = clamp_pixel(even - odd);
        }
    }
}

/// Accumulator lanes of a direct transform (see [`Direct`]).
pub(super) type Accumulators = [[i64; 4]; 4];

/// A 2×2 or 4×4 reduced IDCT done as the coefficients are decoded, for sequential scans: each
/// coefficient adds its dequantised, basis-weighted share to accumulators, so a block needs no
/// coefficient buffer, no clearing and no separate transform pass (the profile showed those
/// costing as much as a third of the entropy decoding at 1/4).
///
/// The output is split by symmetry: output x and its mirror `n − 1 − x` see the same basis
/// value, negated for odd frequencies. So the coefficients fall in four classes by the parity of
/// their frequencies (bit 0 horizontal, bit 1 vertical), each accumulating one quarter of the
/// block (1 lane at 2×2, 2×2 lanes at 4×4); [`direct2`] and [`direct4`] combine the classes with
/// the mirror signs. One pass in 64-bit arithmetic: no rounding between passes, and no input can
/// overflow (|value| < 2^16, weight < 2^40, 64 terms).
pub(super) struct Direct {
    /// Per zigzag position: what a coefficient of 1 adds to each lane of its class.
    pub(super) weights: [[i64; 4]; 64],
    /// Per zigzag position: the parity class.
    pub(super) class: [u8; 64],
}

impl Direct {
    /// The transform to `n×n` (2 or 4) pixels for a quantisation table in zigzag order;
    /// `zigzag` maps zigzag positions to natural ones.
    pub(super) fn new(n: usize, quant: &[u16; 64], zigzag: &[u8; 64]) -> Self {
        // The basis averaged over each output pixel of the first half, per frequency.
        let basis = |x: usize, u: usize| -> i64 {
            if n == 2 {
                i64::from(K2[u])
            } else {
                i64::from(K4[x][u])
            }
        };
        let mut direct = Direct {
            weights: [[0; 4]; 64],
            class: [0; 64],
        };
        for k in 0..64 {
            let natural = usize::from(zigzag[k]);
            let (v, u) = (natural / 8, natural % 8);
            direct.class[k] = ((v & 1) << 1 | (u & 1)) as u8;
            let half = n / 2;
            for y in 0..half {
                for x in 0..half {
                    direct.weights[k][y * half + x] =
                        i64::from(quant[k]) * basis(y, v) * basis(x, u);
                }
            }
        }
        direct
    }

    /// The accumulators of a block whose DC (before dequantisation) is `dc`, with `LANES` lanes
    /// per class (1 for 2×2, 4 for 4×4); clamped like [`dequantise`], since a corrupt file's
    /// predictor may drift anywhere.
    #[inline(always)]
    pub(super) fn start<const LANES: usize>(&self, dc: i32) -> Accumulators {
        let mut acc: Accumulators = [[0; 4]; 4];
        let dc = i64::from(dc.clamp(-32768, 32767));
        for (sum, weight) in acc[0].iter_mut().zip(&self.weights[0]).take(LANES) {
            *sum = dc * weight;
        }
        acc
    }

    /// Adds the AC coefficient `value` (before dequantisation) of zigzag position `k`.
    #[inline(always)]
    pub(super) fn add<const LANES: usize>(&self, acc: &mut Accumulators, k: usize, value: i32) {
        let class = &mut acc[usize::from(self.class[k] & 3)];
        for (sum, weight) in class.iter_mut().zip(&self.weights[k]).take(LANES) {
            *sum += i64::from(value) * weight;
        }
    }
}

/// Fraction bits of the direct transform's accumulators.
const DIRECT_SHIFT: u32 = 26;
/// Rounding for [`DIRECT_SHIFT`], with the level shift of +128 folded in.
const DIRECT_ROUND: i64 = (1 << (DIRECT_SHIFT - 1)) + (128 << DIRECT_SHIFT);

/// A direct-transform accumulator to a pixel.
#[inline(always)]
fn direct_pixel(sum: i64) -> u8 {
    ((sum + DIRECT_ROUND) >> DIRECT_SHIFT).clamp(0, 255) as u8
}

/// 2×2 pixels from [`Direct`] accumulators.
#[inline(always)]
pub(super) fn direct2(acc: &Accumulators, out: &mut [u8], stride: usize) {
    let [even, odd_x, odd_y, odd_xy] = [acc[0][0], acc[1][0], acc[2][0], acc[3][0]];
    let (p, q) = (even + odd_x, even - odd_x);
    let (r, t) = (odd_y + odd_xy, odd_y - odd_xy);
    out[0] = direct_pixel(p + r);
    out[1] = direct_pixel(q + t);
    out[stride] = direct_pixel(p - r);
    out[stride + 1] = direct_pixel(q - t);
}

/// 4×4 pixels from [`Direct`] accumulators.
#[inline(always)]
pub(super) fn direct4(acc: &Accumulators, out: &mut [u8], stride: usize) {
    for y in 0..2 {
        for x in 0..2 {
            let i = y * 2 + x;
            let (p, q) = (acc[0][i] + acc[1][i], acc[0][i] - acc[1][i]);
            let (r, t) = (acc[2][i] + acc[3][i], acc[2][i] - acc[3][i]);
            let (top, bottom) = (y * stride, (3 - y) * stride);
            out[top + x] = direct_pixel(p + r);
            out[top + 3 - x] = direct_pixel(q + t);
            out[bottom + x] = direct_pixel(p - r);
            out[bottom + 3 - x] = direct_pixel(q - t);
        }
    }
}

/// Fills an `n×n` block with one value.
#[inline(always)]
pub(super) fn fill(value: u8, n: usize, out: &mut [u8], stride: usize) {
    for y in 0..n {
        out[y * stride..y * stride + n].fill(value);
    }
}

/// Dequantises and clamps (see the module notes for why ±8192 is enough).
#[inline(always)]
pub(super) fn dequantise(value: i32, quant: u16) -> i32 {
    (value.clamp(-32768, 32767) * i32::from(quant)).clamp(-8192, 8191)
}

/// Writes one block's pixels: `block` holds the dequantised coefficients in natural order, of
/// which the reduced IDCT reads those it needs; cleared afterwards.
#[inline(always)]
pub(super) fn write_block(
    block: &mut [i32; 64],
    n: usize,
    has_ac: bool,
    out: &mut [u8],
    stride: usize,
) {
    match n {
        1 => out[0] = idct1(block[0]),
        _ if !has_ac => fill(dc_only(block[0]), n, out, stride),
        2 => idct2(block, out, stride),
        4 => idct4(block, out, stride),
        _ => idct8(block, out, stride),
    }
    if has_ac {
        block.fill(0);
    } else {
        block[0] = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::headers::ZIGZAG;
    use super::*;

    /// The transforms against the box average of the floating-point 8×8 IDCT.
    #[test]
    fn integer_transforms_match_the_formula() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |range: i32| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % (2 * range as u64 + 1)) as i32 - range
        };
        let pi = std::f64::consts::PI;
        let basis = |x: usize, u: usize| {
            let cu = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
            0.5 * cu * ((2 * x + 1) as f64 * u as f64 * pi / 16.0).cos()
        };
        for n in [2usize, 4, 8] {
            for _ in 0..200 {
                let c: [i32; 64] =
                    std::array::from_fn(|i| if i == 0 { next(1000) } else { next(120) });
                let mut full = [[0.0f64; 8]; 8];
                for (y, row) in full.iter_mut().enumerate() {
                    for (x, value) in row.iter_mut().enumerate() {
                        for v in 0..8 {
                            for u in 0..8 {
                                *value += basis(x, u) * basis(y, v) * f64::from(c[v * 8 + u]);
                            }
                        }
                    }
                }
                let mut out = [0u8; 64];
                match n {
                    2 => idct2(&c, &mut out, 8),
                    4 => idct4(&c, &mut out, 8),
                    _ => idct8(&c, &mut out, 8),
                }
                // The direct transforms, fed in zigzag order as the decoder does.
                let mut direct_out = [0u8; 64];
                if n < 8 {
                    let direct = Direct::new(n, &[1; 64], &ZIGZAG);
                    let mut acc: Accumulators = [[0; 4]; 4];
                    for k in 0..64 {
                        let value = i64::from(c[usize::from(ZIGZAG[k])]);
                        let class = &mut acc[usize::from(direct.class[k])];
                        for (sum, weight) in class.iter_mut().zip(&direct.weights[k]) {
                            *sum += value * weight;
                        }
                    }
                    if n == 2 {
                        direct2(&acc, &mut direct_out, 8);
                    } else {
                        direct4(&acc, &mut direct_out, 8);
                    }
                }
                let f = 8 / n;
                for y in 0..n {
                    for x in 0..n {
                        let mut sum = 0.0;
                        for yy in 0..f {
                            for xx in 0..f {
                                sum += full[y * f + yy][x * f + xx];
                            }
                        }
                        let expected = (sum / (f * f) as f64 + 128.0).round().clamp(0.0, 255.0);
                        let got = f64::from(out[y * 8 + x]);
                        assert!((expected - got).abs() <= 1.0, "n={n} {expected} {got}");
                        if n < 8 {
                            let got = f64::from(direct_out[y * 8 + x]);
                            assert!((expected - got).abs() <= 1.0, "direct n={n}");
                        }
                    }
                }
            }
        }
        assert_eq!(idct1(-1024), 0);
        assert_eq!(idct1(0), 128);
        assert_eq!(dc_only(80), 138);
    }
}
