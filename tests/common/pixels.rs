//! How far apart two pictures are, for tests that compare renderings with references. Shared by
//! the integration tests (`mod common;`) and the library's unit tests (through `#[path]`).
#![allow(dead_code, unreachable_pub)]

/// The mean absolute difference of two equally long sample buffers (0 = identical, 255 = opposite).
pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "the pictures differ in size");
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len().max(1) as f64
}

/// The peak signal-to-noise ratio of two equally long 8-bit sample buffers, in dB (higher is
/// closer; identical buffers give a large finite value).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "the pictures differ in size");
    let squared: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = squared / a.len().max(1) as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
}

/// `samples` as they show: colour premultiplied by alpha (rounded), alpha kept. The colour under
/// alpha 0 is invisible and what the division by a small alpha makes of it is noise.
pub fn visible(samples: &[u8], channels: usize) -> Vec<u8> {
    if channels % 2 == 1 {
        return samples.to_vec();
    }
    samples
        .chunks_exact(channels)
        .flat_map(|pixel| {
            let alpha = u32::from(pixel[channels - 1]);
            let colour = pixel[..channels - 1]
                .iter()
                .map(move |&sample| ((u32::from(sample) * alpha + 127) / 255) as u8);
            colour.chain(std::iter::once(alpha as u8))
        })
        .collect()
}
