//! Chroma upsampling and colour conversion, one output row at a time, at the reduced size.
//!
//! Upsampling by two (horizontally, vertically or both) uses the triangle filter ("fancy"
//! upsampling: each output sample is ¾ of its nearer input and ¼ of the next one) unless the
//! scale is 1/8, where libjpeg replicates; other ratios replicate.

/// YCbCr to RGB in 16-bit fixed point (JFIF / ITU-R BT.601 full range).
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    for (((&y, &cb), &cr), rgb) in y.iter().zip(cb).zip(cr).zip(out.chunks_exact_mut(3)) {
        let [r, g, b] = ycc_pixel(y, cb, cr);
        rgb[0] = r;
        rgb[1] = g;
        rgb[2] = b;
    }
}

/// One YCbCr pixel to RGB (JFIF's equations, 16-bit fixed point).
#[inline(always)]
fn ycc_pixel(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
    const HALF: i32 = 1 << 15;
    let r = y + ((91_881 * cr + HALF) >> 16);
    let g = y + ((-22_554 * cb - 46_802 * cr + HALF) >> 16);
    let b = y + ((116_130 * cb + HALF) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

/// Interleaves three planes' rows (RGB stored as is).
pub(super) fn interleave3(a: &[u8], b: &[u8], c: &[u8], out: &mut [u8]) {
    for (((&a, &b), &c), px) in a.iter().zip(b).zip(c).zip(out.chunks_exact_mut(3)) {
        px[0] = a;
        px[1] = b;
        px[2] = c;
    }
}

/// Four planes to CMYK ink (0 = none). `inverted`: samples store 255 − ink (Adobe files).
/// `ycck`: the first three are YCbCr of the inverted CMY.
pub(super) fn to_cmyk(rows: [&[u8]; 4], inverted: bool, ycck: bool, out: &mut [u8]) {
    let [c0, c1, c2, k] = rows;
    for ((((&c0, &c1), &c2), &k), px) in c0
        .iter()
        .zip(c1)
        .zip(c2)
        .zip(k)
        .zip(out.chunks_exact_mut(4))
    {
        // YCCK: YCbCr gives R, G, B of the stored (255 − C, …) values' complement.
        let stored = if ycck {
            let [r, g, b] = ycc_pixel(c0, c1, c2);
            [255 - r, 255 - g, 255 - b, k]
        } else {
            [c0, c1, c2, k]
        };
        for (dst, src) in px.iter_mut().zip(stored) {
            *dst = if inverted { 255 - src } else { src };
        }
    }
}

/// How a component's plane becomes full-resolution rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Upsampler {
    /// Horizontal ratio to the full-resolution rows.
    pub(super) rx: usize,
    /// Vertical ratio to the full-resolution rows.
    pub(super) ry: usize,
    /// Triangle filter (only for ratios of 1 or 2).
    pub(super) fancy: bool,
    /// Valid width of the component's plane (beyond it lies block padding).
    pub(super) width: usize,
    /// Valid height of the component's plane.
    pub(super) height: usize,
}

impl Upsampler {
    /// Writes full-resolution row `y` (`out.len()` samples) from `plane` (`stride` wide), which
    /// holds the component's rows from row `top` down: at least the rows [`Upsampler::reads`]
    /// names. `scratch` holds at least `width` u16 values.
    pub(super) fn row(
        &self,
        plane: &[u8],
        top: usize,
        stride: usize,
        y: usize,
        out: &mut [u8],
        scratch: &mut [u16],
    ) {
        let last_row = self.height.saturating_sub(1);
        let row = |i: usize| &plane[i.min(last_row).saturating_sub(top) * stride..][..self.width];
        let source_y = y / self.ry;
        match (self.rx, self.ry, self.fancy) {
            (1, 1, _) => out.copy_from_slice(&plane[y.saturating_sub(top) * stride..][..out.len()]),
            (2, 1, true) => h2_fancy(row(source_y), out),
            (1, 2, true) => {
                let near = row(source_y);
                let far = row(neighbour(y, source_y, last_row));
                let bias = if y.is_multiple_of(2) { 1 } else { 2 };
                for ((o, &n), &f) in out.iter_mut().zip(near).zip(far) {
                    *o = ((3 * u16::from(n) + u16::from(f) + bias) >> 2) as u8;
                }
            }
            (2, 2, true) => {
                let near = row(source_y);
                let far = row(neighbour(y, source_y, last_row));
                let sums = &mut scratch[..self.width];
                for ((s, &n), &f) in sums.iter_mut().zip(near).zip(far) {
                    *s = 3 * u16::from(n) + u16::from(f);
                }
                h2_fancy_sums(sums, out);
            }
            (rx, _, _) => {
                let src = row(source_y);
                for (x, o) in out.iter_mut().enumerate() {
                    *o = src[(x / rx).min(self.width - 1)];
                }
            }
        }
    }
}

impl Upsampler {
    /// The component rows, `(first, last)` inclusive, that full-resolution row `y` reads.
    pub(super) fn reads(&self, y: usize) -> (usize, usize) {
        let last_row = self.height.saturating_sub(1);
        let source_y = (y / self.ry).min(last_row);
        if self.fancy && self.ry == 2 {
            let other = neighbour(y, y / self.ry, last_row).min(last_row);
            (source_y.min(other), source_y.max(other))
        } else {
            (source_y, source_y)
        }
    }
}

/// The other input row for the vertical triangle filter: above for even output rows, below for
/// odd ones, clamped to the plane.
fn neighbour(y: usize, source_y: usize, last_row: usize) -> usize {
    if y.is_multiple_of(2) {
        source_y.saturating_sub(1)
    } else {
        (source_y + 1).min(last_row)
    }
}

/// Horizontal triangle filter: `out` has twice `input`'s samples (or one fewer).
fn h2_fancy(input: &[u8], out: &mut [u8]) {
    let n = input.len();
    for (x, pair) in out.chunks_mut(2).enumerate() {
        let centre = 3 * u16::from(input[x.min(n - 1)]);
        let left = u16::from(input[x.saturating_sub(1).min(n - 1)]);
        let right = u16::from(input[(x + 1).min(n - 1)]);
        pair[0] = ((centre + left + 1) >> 2) as u8;
        if let Some(second) = pair.get_mut(1) {
            *second = ((centre + right + 2) >> 2) as u8;
        }
    }
}

/// Horizontal triangle filter over column sums `3·near + far` (×4 scale): the h2v2 filter.
fn h2_fancy_sums(sums: &[u16], out: &mut [u8]) {
    let n = sums.len();
    for (x, pair) in out.chunks_mut(2).enumerate() {
        let centre = 3 * sums[x.min(n - 1)];
        let left = sums[x.saturating_sub(1).min(n - 1)];
        let right = sums[(x + 1).min(n - 1)];
        pair[0] = ((centre + left + 8) >> 4) as u8;
        if let Some(second) = pair.get_mut(1) {
            *second = ((centre + right + 7) >> 4) as u8;
        }
    }
}
