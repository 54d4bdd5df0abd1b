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

/// Which coefficients of a block may be set, from how far into its scan its tokens went: what
/// the inverse DCT can skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// The DC only: the transform is a flat offset.
    Dc,
    /// The first three of the scan only: the DC and the first AC of the top row and of the left
    /// column (raster 0, 1 and 4).
    Low,
    /// Any.
    Full,
}

/// Adds the inverse DCT of `coefficients` (raster order, set as `shape` says) to the 4×4 block of
/// `pixels` at `offset`, rows `stride` apart, clamping to 0–255. A DC alone is a flat offset, and
/// nothing at all when it rounds to 0 (most blocks of a photo).
#[inline(always)]
pub(super) fn add_inverse_dct(
    coefficients: &[i16; 16],
    shape: Shape,
    pixels: &mut [u8],
    offset: usize,
    stride: usize,
) {
    match shape {
        Shape::Full => add_full_inverse_dct(coefficients, pixels, offset, stride),
        Shape::Low => add_low_inverse_dct(coefficients, pixels, offset, stride),
        Shape::Dc => {
            let dc = (i32::from(coefficients[0]) + 4) >> 3;
            if dc != 0 {
                add_flat(dc, pixels, offset, stride);
            }
        }
    }
}

/// The DCT's multiply by √2·cos(π/8), in 16-bit fixed point, wrapping in 32 bits.
fn multiply_cos(x: i32) -> i32 {
    x.wrapping_add(x.wrapping_mul(COS_MINUS_ONE) >> 16)
}

/// The DCT's multiply by √2·sin(π/8), in 16-bit fixed point, wrapping in 32 bits.
fn multiply_sin(x: i32) -> i32 {
    x.wrapping_mul(SIN) >> 16
}

/// [`add_full_inverse_dct`] of a block whose only coefficients are raster 0, 1 and 4: the same
/// sums with the zero terms left out, so the same pixels. The vertical pass leaves the first
/// column `dc ± cos·c4, dc ± sin·c4`, the second `c1` on every row, the others zero.
fn add_low_inverse_dct(coefficients: &[i16; 16], pixels: &mut [u8], offset: usize, stride: usize) {
    let [dc, c1, c4] = [0, 1, 4].map(|i| i32::from(coefficients[i]));
    let (cos4, sin4) = (multiply_cos(c4), multiply_sin(c4));
    let (cos1, sin1) = (multiply_cos(c1), multiply_sin(c1));
    for (row, left) in [dc + cos4, dc + sin4, dc - sin4, dc - cos4]
        .into_iter()
        .enumerate()
    {
        let residual = [
            (left + cos1 + 4) >> 3,
            (left + sin1 + 4) >> 3,
            (left - sin1 + 4) >> 3,
            (left - cos1 + 4) >> 3,
        ];
        let start = offset + row * stride;
        for (pixel, residual) in pixels[start..start + 4].iter_mut().zip(residual) {
            *pixel = (i32::from(*pixel) + residual).clamp(0, 255) as u8;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for the first three coefficients gives the full transform's pixels, over the
    /// whole 16-bit range and on pixels near both clamps.
    #[test]
    fn the_low_transform_is_the_full_one_without_its_zero_terms() {
        let values = [
            -32768, -20000, -1234, -64, -5, -1, 0, 1, 3, 77, 999, 15000, 32767,
        ];
        let background: Vec<u8> = (0..64u32).map(|i| (i * 37 % 256) as u8).collect();
        for dc in values {
            for c1 in values {
                for c4 in values {
                    let mut coefficients = [0i16; 16];
                    [coefficients[0], coefficients[1], coefficients[4]] = [dc, c1, c4];
                    let (mut full, mut low) = (background.clone(), background.clone());
                    add_full_inverse_dct(&coefficients, &mut full, 9, 8);
                    add_low_inverse_dct(&coefficients, &mut low, 9, 8);
                    assert_eq!(full, low, "dc {dc}, c1 {c1}, c4 {c4}");
                }
            }
        }
    }
}
