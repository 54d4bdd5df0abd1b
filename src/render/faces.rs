//! Face detection (feature `faces`): where the faces are in a decoded picture, so a cover crop
//! can keep the largest one.
//!
//! The detector is SeetaFace's funnel-structured cascade (LAB boosted classifiers, then SURF
//! multilayer perceptrons) through the pure-Rust `rustface` crate, with SeetaFace's frontal
//! model committed in `models/` (BSD-2-Clause, see `models/README.md`) and compiled into the
//! library: nothing is read or downloaded at run time.
//!
//! Rules that bound its work whatever the input:
//! - the picture is first reduced, by area averaging straight into grey, to fit
//!   [`FaceSearch::input_long_side`] on its long side, so the cascade's time and memory depend on
//!   that size, not on the picture's, and the only buffer sized by the picture is that reduced
//!   one;
//! - a picture whose reduced short side is under the cascade's 40-pixel window (1×1, or a
//!   10:1 strip) has no face to find and returns none, without running the cascade;
//! - boxes come back in the picture's own pixels, clamped inside it.
//!
//! With [`FaceSearch::coarse_long_side`] the search runs twice at most: first on a smaller
//! reduction, and again at [`FaceSearch::input_long_side`] only when the coarse pass found no
//! face at least 1.5 times the cascade's window wide in its reduced pixels (smaller ones sit at
//! the window's size, where a coarse grid finds them unreliably).

use std::cell::RefCell;

use image::RgbImage;
use rustface::{Detector, ImageData};

/// SeetaFace's frontal face model (`seeta_fd_frontal_v1.0.bin`), compiled in.
const MODEL: &[u8] = include_bytes!("../../models/seeta_fd_frontal_v1.0.bin");

/// The cascade's window at the pyramid's first level: no face smaller than this is found, in
/// reduced pixels, and a reduced picture with a shorter side is not searched.
const SMALLEST_WINDOW: u32 = 40;

/// The width, in coarse-pass pixels, a face found by the coarse pass needs for its result to
/// stand without the full-size pass: 1.5 times the cascade's window.
const COARSE_TRUSTED_FACE: u32 = SMALLEST_WINDOW * 3 / 2;

/// The smallest value `rustface` accepts for its minimum face size (it panics under it).
const RUSTFACE_MIN_FACE: u32 = 20;

/// The largest reduced side [`FaceSearch`] accepts: past it the cascade's time is no longer
/// an upload-time cost.
const LARGEST_INPUT: u32 = 2048;

/// A face found in a picture, in the picture's pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Column of the box's left edge.
    pub left: u32,
    /// Row of the box's top edge.
    pub top: u32,
    /// Width of the box, at least 1.
    pub width: u32,
    /// Height of the box, at least 1.
    pub height: u32,
    /// The detector's confidence: higher is surer. Boxes under [`FaceSearch::min_score`] are
    /// not reported.
    pub score: f32,
}

impl Face {
    /// The box's area in pixels.
    #[must_use]
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The faces in `picture`, largest first, with the default [`FaceSearch`].
#[must_use]
pub fn find_faces(picture: &RgbImage) -> Vec<Face> {
    FaceSearch::default().find(picture)
}

/// How [`find_faces`] searches: the size the picture is reduced to and how sure a face must be.
///
/// The defaults are the settings measured on the labelled set in `tests/corpus/faces/`
/// (README, "Faces"); out-of-range values are brought into range, never rejected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceSearch {
    /// The picture is reduced to fit this many pixels on its long side before the search (never
    /// enlarged). Between 40 and 2048.
    pub input_long_side: u32,
    /// The score a box needs to be reported (SeetaFace's scale: about 0.5 to 40).
    pub min_score: f32,
    /// Each level of the image pyramid is this fraction of the one before (between 0.5 and
    /// 0.95): larger finds more faces in between sizes and costs more levels. The smallest face
    /// found is the cascade's 40-pixel window at the reduced size.
    pub pyramid_factor: f32,
    /// The first stage's sliding-window step, in pixels (1 to 16): larger is faster and coarser.
    pub window_step: u32,
    /// When set (and smaller than [`Self::input_long_side`]), a first, cheaper pass at this long
    /// side (clamped like it); its faces are the result when one of them is at least 1.5 times
    /// the cascade's 40-pixel window at this size, else the search runs again at
    /// [`Self::input_long_side`] on the whole picture.
    pub coarse_long_side: Option<u32>,
    /// The score a box of the coarse pass needs (same scale as [`Self::min_score`]).
    pub coarse_min_score: f32,
}

impl Default for FaceSearch {
    fn default() -> Self {
        Self {
            input_long_side: 320,
            min_score: 1.0,
            pyramid_factor: 0.8,
            window_step: 4,
            coarse_long_side: None,
            coarse_min_score: 1.0,
        }
    }
}

thread_local! {
    /// One cascade per thread, parsed from [`MODEL`] on its first search (the detector keeps
    /// scratch state, so it is not shared); `None` when the model does not parse.
    static DETECTOR: RefCell<Option<Box<dyn Detector>>> = RefCell::new(
        rustface::read_model(MODEL).ok().map(rustface::create_detector_with_model)
    );
}

impl FaceSearch {
    /// The faces in `picture`, largest first.
    #[must_use]
    pub fn find(&self, picture: &RgbImage) -> Vec<Face> {
        let long_side = self.input_long_side.clamp(SMALLEST_WINDOW, LARGEST_INPUT);
        if let Some(coarse_side) = self.coarse_long_side {
            let coarse_side = coarse_side.clamp(SMALLEST_WINDOW, LARGEST_INPUT);
            if coarse_side < long_side {
                let Some(grey) = Grey::reduced(picture, coarse_side) else {
                    return Vec::new();
                };
                let (faces, widest) = self.detect(picture, &grey, self.coarse_min_score);
                if widest >= COARSE_TRUSTED_FACE {
                    return faces;
                }
            }
        }
        let Some(grey) = Grey::reduced(picture, long_side) else {
            return Vec::new();
        };
        self.detect(picture, &grey, self.min_score).0
    }

    /// The faces the cascade finds in `grey` (reduced from `picture`) scoring at least
    /// `min_score`, largest first in the picture's pixels, and the widest box in `grey`'s pixels
    /// (0 when none).
    fn detect(&self, picture: &RgbImage, grey: &Grey, min_score: f32) -> (Vec<Face>, u32) {
        let boxes = DETECTOR.with(|cell| {
            let mut detector = cell.borrow_mut();
            let Some(detector) = detector.as_mut() else {
                return Vec::new();
            };
            detector.set_min_face_size(RUSTFACE_MIN_FACE);
            detector.set_score_thresh(f64::from(min_score).max(f64::EPSILON));
            let factor = if self.pyramid_factor.is_finite() {
                self.pyramid_factor.clamp(0.5, 0.95)
            } else {
                Self::default().pyramid_factor
            };
            detector.set_pyramid_scale_factor(factor);
            let step = self.window_step.clamp(1, 16);
            detector.set_slide_window_step(step, step);
            detector.detect(&ImageData::new(&grey.pixels, grey.width, grey.height))
        });
        let widest = boxes
            .iter()
            .map(|info| info.bbox().width())
            .max()
            .unwrap_or(0);
        let mut faces: Vec<Face> = boxes
            .iter()
            .filter_map(|info| {
                let bbox = info.bbox();
                grey.to_picture(
                    (picture.width(), picture.height()),
                    (bbox.x(), bbox.y(), bbox.width(), bbox.height()),
                    info.score() as f32,
                )
            })
            .collect();
        faces.sort_by(|a, b| b.area().cmp(&a.area()).then(b.score.total_cmp(&a.score)));
        (faces, widest)
    }
}

/// A picture reduced to grey for the cascade, with the factor back to the picture's pixels.
struct Grey {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    /// Picture pixels per reduced pixel, horizontally and vertically.
    scale: (f64, f64),
}

impl Grey {
    /// `picture` reduced by area averaging to fit `long_side` (never enlarged), in BT.601 luma;
    /// `None` when the reduced short side is under the cascade's smallest window.
    fn reduced(picture: &RgbImage, long_side: u32) -> Option<Self> {
        let (width, height) = picture.dimensions();
        let longest = width.max(height);
        if longest == 0 {
            return None;
        }
        let shrink = (f64::from(long_side) / f64::from(longest)).min(1.0);
        let to = |side: u32| ((f64::from(side) * shrink).round() as u32).clamp(1, side);
        let (out_width, out_height) = (to(width), to(height));
        if out_width.min(out_height) < SMALLEST_WINDOW {
            return None;
        }
        let mut pixels = Vec::with_capacity(out_width as usize * out_height as usize);
        let mut sums = vec![0u64; out_width as usize];
        let mut counts = vec![0u64; out_width as usize];
        // Source column span of each output column, computed once.
        let column_of: Vec<(u32, u32)> =
            (0..out_width).map(|x| span(x, out_width, width)).collect();
        for y in 0..out_height {
            let (top, bottom) = span(y, out_height, height);
            sums.iter_mut().for_each(|sum| *sum = 0);
            counts.iter_mut().for_each(|count| *count = 0);
            for row in top..bottom {
                for (x, &(left, right)) in column_of.iter().enumerate() {
                    for column in left..right {
                        let [r, g, b] = picture.get_pixel(column, row).0;
                        sums[x] += 299 * u64::from(r) + 587 * u64::from(g) + 114 * u64::from(b);
                        counts[x] += 1000;
                    }
                }
            }
            pixels.extend(
                sums.iter()
                    .zip(&counts)
                    .map(|(&sum, &count)| ((sum + count / 2) / count.max(1)).min(255) as u8),
            );
        }
        Some(Self {
            pixels,
            width: out_width,
            height: out_height,
            scale: (
                f64::from(width) / f64::from(out_width),
                f64::from(height) / f64::from(out_height),
            ),
        })
    }

    /// A box in reduced pixels as a [`Face`] in the picture's, clamped inside the picture;
    /// `None` when nothing of it lies inside.
    fn to_picture(
        &self,
        (width, height): (u32, u32),
        (x, y, box_width, box_height): (i32, i32, u32, u32),
        score: f32,
    ) -> Option<Face> {
        let (sx, sy) = self.scale;
        let left = (f64::from(x) * sx).round().clamp(0.0, f64::from(width));
        let top = (f64::from(y) * sy).round().clamp(0.0, f64::from(height));
        let right = ((f64::from(x) + f64::from(box_width)) * sx)
            .round()
            .clamp(0.0, f64::from(width));
        let bottom = ((f64::from(y) + f64::from(box_height)) * sy)
            .round()
            .clamp(0.0, f64::from(height));
        (right > left && bottom > top).then_some(Face {
            left: left as u32,
            top: top as u32,
            width: (right - left) as u32,
            height: (bottom - top) as u32,
            score,
        })
    }
}

/// The source span `[start, end)` that output index `index` of `out` covers in `source`
/// (never empty: `out <= source`).
fn span(index: u32, out: u32, source: u32) -> (u32, u32) {
    let start = (u64::from(index) * u64::from(source) / u64::from(out)) as u32;
    let end = (u64::from(index + 1) * u64::from(source) / u64::from(out)) as u32;
    (start, end.max(start + 1).min(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_model_parses() {
        assert!(rustface::read_model(MODEL).is_ok());
    }

    #[test]
    fn spans_tile_the_source_without_gaps() {
        for (out, source) in [(1, 1), (3, 10), (320, 4000), (7, 7), (20, 21)] {
            let mut next = 0;
            for index in 0..out {
                let (start, end) = span(index, out, source);
                assert_eq!(start, next, "out {out} source {source} index {index}");
                assert!(end > start);
                next = end;
            }
            assert_eq!(next, source);
        }
    }

    #[test]
    fn reduction_fits_the_long_side_and_keeps_grey_levels() {
        let picture = RgbImage::from_pixel(1000, 500, image::Rgb([200, 200, 200]));
        let grey = Grey::reduced(&picture, 320).unwrap();
        assert_eq!((grey.width, grey.height), (320, 160));
        assert!(grey.pixels.iter().all(|&value| value == 200));
        assert!(Grey::reduced(&RgbImage::new(1, 1), 320).is_none());
        assert!(Grey::reduced(&RgbImage::new(4000, 10), 320).is_none());
    }

    #[test]
    fn boxes_map_back_to_the_picture_and_are_clamped() {
        let picture = RgbImage::new(640, 480);
        let grey = Grey::reduced(&picture, 320).unwrap();
        let face = grey.to_picture((640, 480), (10, 20, 30, 40), 3.0).unwrap();
        assert_eq!(
            (face.left, face.top, face.width, face.height),
            (20, 40, 60, 80)
        );
        let clamped = grey.to_picture((640, 480), (-5, 230, 30, 40), 3.0).unwrap();
        assert_eq!((clamped.left, clamped.top), (0, 460));
        assert_eq!(clamped.top + clamped.height, 480);
        assert!(grey.to_picture((640, 480), (400, 0, 30, 40), 3.0).is_none());
    }
}
