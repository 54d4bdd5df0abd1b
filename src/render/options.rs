//! [`RenderOptions`]: output quality and safety settings, fixed for a service's lifetime.

use crate::limits::Limits;

/// How much effort PNG compression spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PngCompression {
    /// Fast compression with good results on photos (the default).
    #[default]
    Fast,
    /// The codec's default balance.
    Balanced,
    /// Smallest output, slowest.
    Best,
}

/// Output quality and safety settings of the renderer, set with by-value setters.
///
/// Every value a setter accepts is valid (out-of-range numbers are clamped, as documented on each
/// setter), so neither [`render`](super::render) nor the service builder has anything to reject.
///
/// ```
/// use person_image::render::{PngCompression, RenderOptions};
/// use person_image::Limits;
/// let options = RenderOptions::default()
///     .jpeg_quality(90)
///     .png_compression(PngCompression::Best)
///     .limits(Limits::default().max_side(2048));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    pub(crate) limits: Limits,
    pub(crate) jpeg_quality: u8,
    pub(crate) png_compression: PngCompression,
    pub(crate) background: [u8; 3],
    pub(crate) gif_speed: u8,
    pub(crate) webp_quality: u8,
}

/// libwebp's quality 80 on the bench photos is a little smaller than JPEG at 85 (README: "WebP")
/// and keeps skin and hair free of visible blocking at thumbnail sizes; it is also the default
/// most image servers ship for WebP.
const DEFAULT_WEBP_QUALITY: u8 = 80;

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            limits: Limits::default(),
            jpeg_quality: 85,
            png_compression: PngCompression::Fast,
            background: [255, 255, 255],
            gif_speed: 10,
            webp_quality: DEFAULT_WEBP_QUALITY,
        }
    }
}

impl RenderOptions {
    /// Decode limits, and the largest `w`/`h` (default [`Limits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// JPEG quality, clamped to 1–100 (default 85; 4:2:0 subsampling).
    #[must_use]
    pub fn jpeg_quality(mut self, quality: u8) -> Self {
        self.jpeg_quality = quality.clamp(1, 100);
        self
    }

    /// PNG compression effort (default [`PngCompression::Fast`]).
    #[must_use]
    pub fn png_compression(mut self, compression: PngCompression) -> Self {
        self.png_compression = compression;
        self
    }

    /// The colour transparent pixels are composited on for JPEG (default white).
    #[must_use]
    pub fn background(mut self, rgb: [u8; 3]) -> Self {
        self.background = rgb;
        self
    }

    /// WebP quality for photos, clamped to 1–100 (default 80). Placeholders are encoded
    /// losslessly whatever this says, and alpha is always kept. Read only by builds with the
    /// `webp` feature, the ones that encode WebP.
    #[must_use]
    pub fn webp_quality(mut self, quality: u8) -> Self {
        self.webp_quality = quality.clamp(1, 100);
        self
    }

    /// NeuQuant speed for GIF palettes, clamped to 1 (best, slowest) – 30 (default 10).
    #[must_use]
    pub fn gif_speed(mut self, speed: u8) -> Self {
        self.gif_speed = speed.clamp(1, 30);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_clamp_to_valid_values() {
        let options = RenderOptions::default().jpeg_quality(0).gif_speed(200);
        assert_eq!((options.jpeg_quality, options.gif_speed), (1, 30));
        let options = RenderOptions::default().jpeg_quality(101).gif_speed(0);
        assert_eq!((options.jpeg_quality, options.gif_speed), (100, 1));
    }

    #[test]
    fn webp_quality_defaults_to_80_and_clamps() {
        assert_eq!(RenderOptions::default().webp_quality, 80);
        assert_eq!(RenderOptions::default().webp_quality(0).webp_quality, 1);
        assert_eq!(RenderOptions::default().webp_quality(255).webp_quality, 100);
        assert_eq!(RenderOptions::default().webp_quality(62).webp_quality, 62);
    }
}
