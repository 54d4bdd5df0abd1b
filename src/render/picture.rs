//! Decoded pixels travelling between the decoder, the resizer and the encoders.

use image::{GrayAlphaImage, GrayImage, RgbImage, RgbaImage};

/// One frame's pixels: 8-bit, sRGB, already oriented. Grey stays grey so grey outputs stay small.
#[derive(Debug, Clone)]
pub(crate) enum Pixels {
    Gray(GrayImage),
    GrayAlpha(GrayAlphaImage),
    Rgb(RgbImage),
    Rgba(RgbaImage),
}

impl Pixels {
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        match self {
            Pixels::Gray(image) => image.dimensions(),
            Pixels::GrayAlpha(image) => image.dimensions(),
            Pixels::Rgb(image) => image.dimensions(),
            Pixels::Rgba(image) => image.dimensions(),
        }
    }

    /// Samples a pixel: 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA.
    pub(crate) fn channels(&self) -> usize {
        match self {
            Pixels::Gray(_) => 1,
            Pixels::GrayAlpha(_) => 2,
            Pixels::Rgb(_) => 3,
            Pixels::Rgba(_) => 4,
        }
    }

    /// The samples, row after row, tightly packed.
    pub(crate) fn into_raw(self) -> Vec<u8> {
        match self {
            Pixels::Gray(image) => image.into_raw(),
            Pixels::GrayAlpha(image) => image.into_raw(),
            Pixels::Rgb(image) => image.into_raw(),
            Pixels::Rgba(image) => image.into_raw(),
        }
    }
}

/// A full-canvas frame of an animation (or the only frame of a still image).
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) pixels: Pixels,
    /// How long the frame shows, in milliseconds (0 for stills).
    pub(crate) delay_ms: u32,
}

/// How often an animation plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Infinite,
    Finite(u16),
}

/// A decoded image: one frame for stills, every composited frame for animations.
#[derive(Debug, Clone)]
pub(crate) struct Picture {
    pub(crate) frames: Vec<Frame>,
    pub(crate) repeat: Repeat,
}

impl Picture {
    pub(crate) fn still(pixels: Pixels) -> Self {
        Picture {
            frames: vec![Frame {
                pixels,
                delay_ms: 0,
            }],
            repeat: Repeat::Infinite,
        }
    }

    /// The size of the canvas (every frame has the same size).
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        self.frames
            .first()
            .map_or((0, 0), |frame| frame.pixels.dimensions())
    }

    pub(crate) fn is_animated(&self) -> bool {
        self.frames.len() > 1
    }
}
