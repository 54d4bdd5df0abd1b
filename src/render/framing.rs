//! How the output frames the source (SPEC §5 "Geometry", §5.1 "Cover"): the box `w`×`h`, the
//! [`Fit`], and for `fit=cover` the [`FocalPoint`] the crop keeps.

use super::crop::{Crop, Target};
use super::geometry;
use crate::request::{Dimension, Fit};

/// Where a focal box's eyes are, from its top, as a fraction of its height: a face box (from a
/// detector or drawn by hand around a face) has the eyes a little above its middle.
const EYES_IN_BOX: f64 = 0.4;

/// Where a cover crop puts the eyes, from its top, as a fraction of its height: the upper third,
/// the head room portrait photographers leave.
const EYES_IN_CROP: f64 = 1.0 / 3.0;

/// The region of a photo a `fit=cover` crop keeps, typically a face: a box in pixels of the photo
/// as displayed (EXIF orientation applied), at its full size.
///
/// The crop keeps the whole box when it fits, centres it horizontally and puts the box's eye line
/// (2/5 of its height from its top) at the upper third of the crop, as far as the photo's edges
/// allow. Without one, the crop assumes a portrait: [`FocalPoint::upper_centre`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FocalPoint {
    /// Left edge, in pixels.
    pub left: u32,
    /// Top edge, in pixels.
    pub top: u32,
    /// Width, in pixels (0 is a point).
    pub width: u32,
    /// Height, in pixels (0 is a point).
    pub height: u32,
}

impl FocalPoint {
    /// Where the face of a portrait of `width`×`height` usually is, when nothing better is known:
    /// a box a third of the shorter side, centred horizontally, with its eye line at the upper
    /// third of the photo.
    ///
    /// ```
    /// use person_image::render::FocalPoint;
    /// let face = FocalPoint::upper_centre(1200, 1800);
    /// assert_eq!((face.left, face.top, face.width, face.height), (400, 440, 400, 400));
    /// ```
    pub fn upper_centre(width: u32, height: u32) -> FocalPoint {
        let side = (width.min(height) / 3).max(1);
        let eyes = f64::from(height) / 3.0;
        FocalPoint {
            left: (width - side.min(width)) / 2,
            top: (eyes - f64::from(side) * EYES_IN_BOX).round().max(0.0) as u32,
            width: side,
            height: side,
        }
    }

    /// This box cut to a photo of `source` size (a box from elsewhere may overhang it).
    fn within(self, source: (u32, u32)) -> FocalPoint {
        let left = self.left.min(source.0.saturating_sub(1));
        let top = self.top.min(source.1.saturating_sub(1));
        FocalPoint {
            left,
            top,
            width: self.width.min(source.0 - left),
            height: self.height.min(source.1 - top),
        }
    }
}

/// Where a photo's focal point comes from, in order of authority (`FocalPointSource` in
/// `ImageInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FocalSource {
    /// Set through the API (`PUT …/ImageInfo`) and kept by the store with the photo.
    Api,
    /// The largest face a detector found in the photo.
    Face,
    /// The most salient region (detail, skin tones, saturation).
    Saliency,
    /// Nothing better known: [`FocalPoint::upper_centre`].
    Default,
}

impl FocalSource {
    /// The name in `ImageInfo`: `Api`, `Face`, `Saliency` or `Default`.
    pub fn as_str(self) -> &'static str {
        match self {
            FocalSource::Api => "Api",
            FocalSource::Face => "Face",
            FocalSource::Saliency => "Saliency",
            FocalSource::Default => "Default",
        }
    }
}

impl FocalPoint {
    /// Whether this box lies inside a photo of `size` (as displayed), with at least one pixel.
    pub fn fits_in(&self, size: (u32, u32)) -> bool {
        self.width > 0
            && self.height > 0
            && self
                .left
                .checked_add(self.width)
                .is_some_and(|right| right <= size.0)
            && self
                .top
                .checked_add(self.height)
                .is_some_and(|bottom| bottom <= size.1)
    }
}

/// What a request asks of the output's geometry: the box and how to fill it, and the point to
/// keep when cropping. Two framings that mean the same compare equal (`fit=cover` with one side
/// is [`Fit::Contain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Framing {
    /// `w`.
    pub(crate) width: Option<Dimension>,
    /// `h`.
    pub(crate) height: Option<Dimension>,
    /// `fit`, as it applies to these sides.
    pub(crate) fit: Fit,
    /// The region a cover crop keeps; `None` for [`FocalPoint::upper_centre`].
    pub(crate) focal_point: Option<FocalPoint>,
}

impl Framing {
    /// The framing of `w`, `h` and `fit`, with the focal point if one is known.
    pub(crate) fn new(
        width: Option<Dimension>,
        height: Option<Dimension>,
        fit: Fit,
        focal_point: Option<FocalPoint>,
    ) -> Self {
        Framing {
            width,
            height,
            fit: fit.for_sides(width, height),
            focal_point,
        }
    }

    /// Whether any size is asked (else a photo in the negotiated format goes out as stored).
    pub(crate) fn asks_size(&self) -> bool {
        self.width.is_some() || self.height.is_some()
    }

    /// What to make of a source of `source` size (as displayed).
    pub(crate) fn target(&self, source: (u32, u32)) -> Target {
        match (self.fit, self.width, self.height) {
            (Fit::Cover, Some(width), Some(height)) => {
                cover(source, (width.get(), height.get()), self.focal_point)
            }
            _ => Target::whole(geometry::fit(
                source,
                self.width.map(Dimension::get),
                self.height.map(Dimension::get),
            )),
        }
    }
}

/// `fit=cover`: the largest crop of `size`'s aspect ratio inside `source`, placed around `focal`
/// (see [`FocalPoint`]), scaled to exactly `size`, or kept at its own size when that would
/// enlarge it.
pub(crate) fn cover(source: (u32, u32), size: (u32, u32), focal: Option<FocalPoint>) -> Target {
    let (source_width, source_height) = (source.0.max(1), source.1.max(1));
    let (width, height) = (size.0.max(1), size.1.max(1));
    let (crop_width, crop_height) = crop_size((source_width, source_height), (width, height));
    let output = if width <= crop_width && height <= crop_height {
        (width, height)
    } else {
        (crop_width, crop_height)
    };
    if (crop_width, crop_height) == (source_width, source_height) {
        return Target::whole(output);
    }
    let focal = focal
        .map(|focal| focal.within((source_width, source_height)))
        .unwrap_or_else(|| FocalPoint::upper_centre(source_width, source_height));
    let centre = f64::from(focal.left) + f64::from(focal.width) / 2.0;
    let left = place(
        centre - f64::from(crop_width) / 2.0,
        (focal.left, focal.width),
        crop_width,
        source_width,
    );
    let eyes = f64::from(focal.top) + f64::from(focal.height) * EYES_IN_BOX;
    let top = place(
        eyes - f64::from(crop_height) * EYES_IN_CROP,
        (focal.top, focal.height),
        crop_height,
        source_height,
    );
    Target {
        size: output,
        crop: Some(Crop {
            source: (source_width, source_height),
            left,
            top,
            width: crop_width,
            height: crop_height,
        }),
    }
}

/// The largest `width:height` box inside `source`, rounded to whole pixels, at least 1×1.
fn crop_size(source: (u32, u32), (width, height): (u32, u32)) -> (u32, u32) {
    let (source_width, source_height) = (u64::from(source.0), u64::from(source.1));
    let (width, height) = (u64::from(width), u64::from(height));
    let rounded = |numerator: u64, denominator: u64, limit: u64| {
        ((numerator * 2 + denominator) / (denominator * 2)).clamp(1, limit) as u32
    };
    // Wider than the source (width/height >= source_width/source_height): full width.
    if width * source_height >= height * source_width {
        (
            source.0,
            rounded(source_width * height, width, source_height),
        )
    } else {
        (
            rounded(source_height * width, height, source_width),
            source.1,
        )
    }
}

/// Where a crop of `length` starts along a side of `total`: at `wanted`, moved as little as needed
/// to hold the whole focal span `(start, length)` when it fits, then kept inside the side.
fn place(wanted: f64, (span_start, span): (u32, u32), length: u32, total: u32) -> u32 {
    let mut start = wanted.round() as i64;
    if span <= length {
        let (span_start, span, length) =
            (i64::from(span_start), i64::from(span), i64::from(length));
        start = start.clamp(span_start + span - length, span_start);
    }
    start.clamp(0, i64::from(total - length)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crop(target: Target) -> (u32, u32, u32, u32) {
        let crop = target.crop.expect("a crop");
        (crop.left, crop.top, crop.width, crop.height)
    }

    #[test]
    fn output_is_exactly_the_box_for_portrait_landscape_and_square() {
        let cases = [
            // (source, box, output, crop left, top, width, height)
            ((1200, 1800), (64, 64), (64, 64), Some((0, 200, 1200, 1200))),
            ((1800, 1200), (64, 64), (64, 64), Some((300, 0, 1200, 1200))),
            ((1000, 1000), (64, 64), (64, 64), None),
            (
                (1000, 1000),
                (100, 50),
                (100, 50),
                Some((0, 167, 1000, 500)),
            ),
            (
                (1000, 1000),
                (50, 100),
                (50, 100),
                Some((250, 0, 500, 1000)),
            ),
            (
                (1200, 1800),
                (160, 90),
                (160, 90),
                Some((0, 375, 1200, 675)),
            ),
            (
                (1800, 1200),
                (90, 160),
                (90, 160),
                Some((563, 0, 675, 1200)),
            ),
            ((1200, 1800), (1200, 1800), (1200, 1800), None),
        ];
        for (source, size, output, expected) in cases {
            let target = cover(source, size, None);
            assert_eq!(target.size, output, "{source:?} {size:?}");
            assert_eq!(
                target.crop.map(|_| crop(target)),
                expected,
                "{source:?} {size:?}"
            );
        }
    }

    #[test]
    fn never_enlarges_past_the_source() {
        // A 100×200 photo asked at 400×400: its largest square, at its own scale.
        let target = cover((100, 200), (400, 400), None);
        assert_eq!(target.size, (100, 100));
        assert_eq!(crop(target).2, 100);
        // Asked at 300×100 from 200×200: a 200×67 crop, not enlarged.
        assert_eq!(cover((200, 200), (300, 100), None).size, (200, 67));
        // A one-pixel-high strip asked square.
        assert_eq!(cover((1000, 1), (64, 64), None).size, (1, 1));
    }

    #[test]
    fn keeps_the_focal_box_with_its_eyes_at_the_upper_third() {
        // A face low in a portrait: the crop moves down to hold it.
        let face = FocalPoint {
            left: 100,
            top: 1300,
            width: 300,
            height: 300,
        };
        let (left, top, width, height) = crop(cover((1200, 1800), (64, 64), Some(face)));
        assert_eq!((left, width, height), (0, 1200, 1200));
        assert!(top <= 1300 && top + height >= 1600, "top {top}");
        // Eyes at 1300 + 120 = 1420; a third of 1200 above them is 1020; the source ends first.
        assert_eq!(top, 600);
        // Horizontally: a face at the right of a landscape photo.
        let face = FocalPoint {
            left: 1500,
            top: 300,
            width: 200,
            height: 200,
        };
        let (left, _, width, _) = crop(cover((1800, 1200), (100, 100), Some(face)));
        assert_eq!((left, width), (600, 1200));
        // Eyes at the upper third where the photo allows: face at 800..1000 in a tall photo.
        let face = FocalPoint {
            left: 500,
            top: 800,
            width: 200,
            height: 200,
        };
        let (_, top, _, height) = crop(cover((1200, 3000), (300, 300), Some(face)));
        assert_eq!(height, 1200);
        assert_eq!(top, 880 - 400);
    }

    #[test]
    fn a_box_larger_than_the_crop_keeps_its_eye_line() {
        let face = FocalPoint {
            left: 0,
            top: 0,
            width: 1200,
            height: 1500,
        };
        let (_, top, _, height) = crop(cover((1200, 1800), (400, 100), Some(face)));
        assert_eq!(height, 300);
        // Eyes at 600, a third of 300 above them.
        assert_eq!(top, 500);
    }

    #[test]
    fn focal_boxes_outside_the_photo_are_cut_to_it() {
        let outside = FocalPoint {
            left: u32::MAX,
            top: u32::MAX,
            width: u32::MAX,
            height: u32::MAX,
        };
        let (left, top, width, height) = crop(cover((300, 600), (10, 10), Some(outside)));
        assert_eq!((left, width, height), (0, 300, 300));
        assert_eq!(top, 300);
    }

    #[test]
    fn every_crop_lies_inside_its_source() {
        for source in [(1, 1), (2, 3), (7, 1), (640, 480), (480, 640), (4000, 3)] {
            for size in [(1, 1), (3, 2), (64, 64), (100, 1), (1, 100), (5000, 4000)] {
                let target = cover(source, size, None);
                assert!(target.size.0 >= 1 && target.size.1 >= 1);
                assert!(target.size.0 <= size.0 && target.size.1 <= size.1);
                if let Some(crop) = target.crop {
                    assert!(crop.width >= 1 && crop.height >= 1, "{source:?} {size:?}");
                    assert!(crop.left + crop.width <= source.0, "{source:?} {size:?}");
                    assert!(crop.top + crop.height <= source.1, "{source:?} {size:?}");
                    assert!(target.size.0 <= crop.width && target.size.1 <= crop.height);
                }
            }
        }
    }

    #[test]
    fn framing_applies_cover_only_with_both_sides() {
        let side = Dimension::new(64);
        let framing = Framing::new(side, None, Fit::Cover, None);
        assert_eq!(framing.fit, Fit::Contain);
        assert_eq!(framing.target((1200, 1800)), Target::whole((64, 96)));
        let framing = Framing::new(side, side, Fit::Cover, None);
        assert_eq!(framing.target((1200, 1800)).size, (64, 64));
        let framing = Framing::new(side, side, Fit::Contain, None);
        assert_eq!(framing.target((1200, 1800)), Target::whole((43, 64)));
    }
}
