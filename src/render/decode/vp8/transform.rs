//! The inverse transforms of RFC 6386 §14: the Walsh–Hadamard transform of the second-order block
//! into the luma DCs, and the 4×4 inverse DCT added to the prediction.

/// The DCT's constants in 16-bit fixed point: √2·cos(π/8) − 1 and √2·sin(π/8).
const COS_MINUS_ONE: i32 = 20091;
const SIN: i32 = 35468;

/// Inverts the second-order block `y2` into the DC coefficient of each of the sixteen luma
/// blocks of `blocks`.
pub(super) fn inverse_walsh_hadamard(y2: &[i16; 16], blocks: &mut [[i16; 16]; 24]) {
    let mut columns = [0i32; 16];
    for i in 0..4 {
        let (a, b, c, d) = (
            i32::from(y2[i]),
            i32::from(y2[4 + i]),
            i32::from(y2[8 + i]),
            i32::from(y2[12 + i]),
        );
        let (sum_outer, sum_inner) = (a + d, b + c);
        let (diff_inner, diff_outer) = (b - c, a - d);
        columns[i] = sum_outer + sum_inner;
        columns[4 + i] = diff_inner + diff_outer;
        columns[8 + i] = sum_outer - sum_inner;
        columns[12 + i] = diff_outer - diff_inner;
    }
    for row in 0..4 {
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| columns[row * 4 + i]);
        let (sum_outer, sum_inner) = (a + d, b + c);
        let (diff_inner, diff_outer) = (b - c, a - d);
        let out = [
            sum_outer + sum_inner,
            diff_inner + diff_outer,
            sum_outer - sum_inner,
            diff_outer - diff_inner,
        ];
        for (column, value) in out.into_iter().enumerate() {
            // 16-bit as in libwebp: a hostile stream wraps, it does not overflow.
            blocks[row * 4 + column][0] = ((value + 3) >> 3) as i16;
        }
    }
}

/// Adds the inverse DCT of `coefficients` (raster order) to the 4×4 block of `pixels` at
/// `offset`, rows `stride` apart, clamping to 0–255. `ac` says whether any coefficient besides
/// the DC may be set; without, the transform is a flat offset, and nothing at all when the DC
/// rounds to 0 (most blocks of a photo).
#[inline(always)]
pub(super) fn add_inverse_dct(
    coefficients: &[i16; 16],
    ac: bool,
    pixels: &mut [u8],
    offset: usize,
    stride: usize,
) {
    if ac {
        add_full_inverse_dct(coefficients, pixels, offset, stride);
        return;
    }
    let dc = (i32::from(coefficients[0]) + 4) >> 3;
    if dc != 0 {
        add_flat(dc, pixels, offset, stride);
    }
}

/// Adds `dc` to the 4×4 block at `offset`, clamping.
fn add_flat(dc: i32, pixels: &mut [u8], offset: usize, stride: usize) {
    for row in pixels[offset..].chunks_mut(stride).take(4) {
        for pixel in &mut row[..4] {
            *pixel = (i32::from(*pixel) + dc).clamp(0, 255) as u8;
        }
    }
}

/// [`add_inverse_dct`] with coefficients besides the DC.
fn add_full_inverse_dct(coefficients: &[i16; 16], pixels: &mut [u8], offset: usize, stride: usize) {
    // 32-bit products that wrap: the first pass reads 16-bit coefficients, where they fit; the
    // second reads its sums, which fit on any picture an encoder makes (within ±60,000) and
    // wrap, as in libwebp, on a hostile stream.
    let multiply_cos = |x: i32| x.wrapping_add(x.wrapping_mul(COS_MINUS_ONE) >> 16);
    let multiply_sin = |x: i32| x.wrapping_mul(SIN) >> 16;
    // Vertical pass, column by column.
    let mut columns = [0i32; 16];
    for i in 0..4 {
        let [x0, x1, x2, x3] = [0, 4, 8, 12].map(|row| i32::from(coefficients[row + i]));
        let a = x0 + x2;
        let b = x0 - x2;
        let c = multiply_sin(x1) - multiply_cos(x3);
        let d = multiply_cos(x1) + multiply_sin(x3);
        columns[i] = a + d;
        columns[4 + i] = b + c;
        columns[8 + i] = b - c;
        columns[12 + i] = a - d;
    }
    // Horizontal pass, row by row, with the final rounding.
    for row in 0..4 {
        let [x0, x1, x2, x3] = [0, 1, 2, 3].map(|i| columns[row * 4 + i]);
        let a = x0 + x2;
        let b = x0 - x2;
        let c = multiply_sin(x1).wrapping_sub(multiply_cos(x3));
        let d = multiply_cos(x1).wrapping_add(multiply_sin(x3));
        let residual = [
            a.wrapping_add(d).wrapping_add(4) >> 3,
            b.wrapping_add(c).wrapping_add(4) >> 3,
            b.wrapping_sub(c).wrapping_add(4) >> 3,
            a.wrapping_sub(d).wrapping_add(4) >> 3,
        ];
        let start = offset + row * stride;
        for (pixel, residual) in pixels[start..start + 4].iter_mut().zip(residual) {
            *pixel = (i32::from(*pixel) + residual).clamp(0, 255) as u8;
        }
    }
}
