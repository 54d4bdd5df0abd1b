//! Saliency: where the interesting part of a photo is, when no one said and no face was found.
//! In the spirit of smartcrop: each pixel of a small thumbnail scores for detail (edges of the
//! luma), skin tones and saturation; the square a third of the shorter side across with the
//! highest total, weighed towards the upper centre where portraits put the face, is the box.

use image::RgbImage;

use super::crop::Target;
use super::decode::{self, SourceInfo};
use super::framing::FocalPoint;
use super::picture::Pixels;
use crate::limits::Limits;
use crate::Result;

/// The thumbnail's longer side: enough for a box within a few percent of the photo, small
/// enough to score in well under a millisecond.
pub(crate) const THUMBNAIL_SIDE: u32 = 128;

/// How much each cue counts in a pixel's score.
const EDGE_WEIGHT: f64 = 1.0;
const SKIN_WEIGHT: f64 = 1.8;
const SATURATION_WEIGHT: f64 = 0.2;

/// How far a box's score follows it away from the upper centre (where portraits put the face):
/// it is weighed by a Gaussian of its distance, this fraction of the thumbnail's diagonal being
/// one standard deviation. A salient region well off centre still wins over an even centre, a
/// large colourful one at the bottom edge does not win over detail near the top.
const CENTRE_PULL: f64 = 0.35;

/// A box must score this many times the average box for saliency to name it; below, the photo
/// is too even (a plain background, a blur) and the upper centre is as good a guess.
const DISTINCT: f64 = 1.15;

/// The thumbnail size [`thumbnail`] decodes `info` to, at most `side` a side.
fn thumbnail_size(info: &SourceInfo, side: u32) -> (u32, u32) {
    super::geometry::fit((info.width, info.height), Some(side), Some(side))
}

/// About the most memory [`thumbnail`] holds at once for a photo of `info`.
pub(crate) fn peak_bytes(info: &SourceInfo, side: u32) -> u64 {
    decode::peak_bytes(info, Target::whole(thumbnail_size(info, side)), false)
}

/// The photo `bytes` (probed as `info`) as displayed, at most `side` a side, in RGB
/// (transparency over white): what saliency ([`THUMBNAIL_SIDE`]) and a face detector look at.
pub(crate) fn thumbnail(
    bytes: &[u8],
    info: &SourceInfo,
    side: u32,
    limits: &Limits,
) -> Result<RgbImage> {
    let picture = decode::decode(bytes, info, thumbnail_size(info, side), false, limits)?;
    let frame = picture
        .frames
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::decode("the photo has no frame"))?;
    Ok(to_rgb(frame.pixels))
}

/// Any pixels as RGB, alpha composited over white.
fn to_rgb(pixels: Pixels) -> RgbImage {
    let (width, height) = pixels.dimensions();
    let over_white = |value: u8, alpha: u8| {
        let (value, alpha) = (u32::from(value), u32::from(alpha));
        ((value * alpha + 255 * (255 - alpha) + 127) / 255) as u8
    };
    match pixels {
        Pixels::Rgb(image) => image,
        Pixels::Gray(image) => RgbImage::from_fn(width, height, |x, y| {
            let v = image.get_pixel(x, y)[0];
            image::Rgb([v, v, v])
        }),
        Pixels::GrayAlpha(image) => RgbImage::from_fn(width, height, |x, y| {
            let [v, a] = image.get_pixel(x, y).0;
            let v = over_white(v, a);
            image::Rgb([v, v, v])
        }),
        Pixels::Rgba(image) => RgbImage::from_fn(width, height, |x, y| {
            let [r, g, b, a] = image.get_pixel(x, y).0;
            image::Rgb([over_white(r, a), over_white(g, a), over_white(b, a)])
        }),
    }
}

/// The most salient square of `thumbnail`, in its pixels; `None` when nothing stands out.
pub(crate) fn salient_box(thumbnail: &RgbImage) -> Option<FocalPoint> {
    let (width, height) = thumbnail.dimensions();
    if width < 3 || height < 3 {
        return None;
    }
    let scores = pixel_scores(thumbnail);
    let integral = Integral::new(&scores, width, height);
    let side = (width.min(height) / 3).max(1);
    let (centre_x, centre_y) = (f64::from(width) / 2.0, f64::from(height) / 3.0);
    let diagonal = f64::from(width).hypot(f64::from(height));
    let mut best: Option<(f64, u32, u32)> = None;
    let (mut total, mut count) = (0.0, 0u32);
    for top in 0..=height - side {
        for left in 0..=width - side {
            let sum = integral.sum(left, top, side, side);
            total += sum;
            count += 1;
            let box_x = f64::from(left) + f64::from(side) / 2.0;
            let box_y = f64::from(top) + f64::from(side) / 2.0;
            let off = (box_x - centre_x).hypot(box_y - centre_y) / diagonal;
            let weighed = sum * (-(off / CENTRE_PULL).powi(2)).exp();
            if best.is_none_or(|(score, _, _)| weighed > score) {
                best = Some((weighed, left, top));
            }
        }
    }
    let (_, left, top) = best?;
    let average = total / f64::from(count.max(1));
    let raw = integral.sum(left, top, side, side);
    (average > 0.0 && raw >= average * DISTINCT).then_some(FocalPoint {
        left,
        top,
        width: side,
        height: side,
    })
}

/// `point`, in pixels of a `thumbnail`-sized picture, in pixels of the `photo`-sized one.
pub(crate) fn to_photo(point: FocalPoint, thumbnail: (u32, u32), photo: (u32, u32)) -> FocalPoint {
    let scale = |value: u32, from: u32, to: u32| {
        let scaled = u64::from(value) * u64::from(to) / u64::from(from.max(1));
        u32::try_from(scaled).unwrap_or(u32::MAX).min(to)
    };
    let left = scale(point.left, thumbnail.0, photo.0);
    let top = scale(point.top, thumbnail.1, photo.1);
    FocalPoint {
        left,
        top,
        width: scale(point.width, thumbnail.0, photo.0)
            .max(1)
            .min(photo.0 - left.min(photo.0)),
        height: scale(point.height, thumbnail.1, photo.1)
            .max(1)
            .min(photo.1 - top.min(photo.1)),
    }
}

/// Each pixel's score: detail, skin and saturation, row by row.
fn pixel_scores(thumbnail: &RgbImage) -> Vec<f64> {
    let (width, height) = thumbnail.dimensions();
    let luma: Vec<f64> = thumbnail
        .pixels()
        .map(|pixel| {
            let [r, g, b] = pixel.0.map(f64::from);
            (0.299 * r + 0.587 * g + 0.114 * b) / 255.0
        })
        .collect();
    let at = |x: u32, y: u32| luma[(y * width + x) as usize];
    let mut scores = Vec::with_capacity(luma.len());
    for y in 0..height {
        for x in 0..width {
            let centre = at(x, y);
            let neighbours = [
                at(x.saturating_sub(1), y),
                at((x + 1).min(width - 1), y),
                at(x, y.saturating_sub(1)),
                at(x, (y + 1).min(height - 1)),
            ];
            let edge = (4.0 * centre - neighbours.iter().sum::<f64>())
                .abs()
                .min(1.0);
            let [r, g, b] = thumbnail.get_pixel(x, y).0.map(f64::from);
            scores.push(
                EDGE_WEIGHT * edge
                    + SKIN_WEIGHT * skin(r, g, b)
                    + SATURATION_WEIGHT * saturation(r, g, b),
            );
        }
    }
    scores
}

/// How much an sRGB colour looks like skin, 0 to 1: its chromaticity close to the skin tones
/// (all of which share one hue and differ mostly in brightness), not too dark or bright.
fn skin(r: f64, g: f64, b: f64) -> f64 {
    let length = (r * r + g * g + b * b).sqrt();
    if length < 1.0 {
        return 0.0;
    }
    // The direction of a typical skin tone in RGB, normalised.
    const SKIN: [f64; 3] = [0.78, 0.57, 0.44];
    let skin_length = (SKIN[0] * SKIN[0] + SKIN[1] * SKIN[1] + SKIN[2] * SKIN[2]).sqrt();
    let distance = ((r / length - SKIN[0] / skin_length).powi(2)
        + (g / length - SKIN[1] / skin_length).powi(2)
        + (b / length - SKIN[2] / skin_length).powi(2))
    .sqrt();
    let closeness = (1.0 - distance / 0.15).max(0.0);
    let brightness = (r + g + b) / (3.0 * 255.0);
    if (0.2..=0.95).contains(&brightness) {
        closeness
    } else {
        0.0
    }
}

/// HSV saturation, weighted down for very dark pixels (whose hue is noise).
fn saturation(r: f64, g: f64, b: f64) -> f64 {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max < 1.0 {
        return 0.0;
    }
    (max - min) / max * (max / 255.0).min(0.5) * 2.0
}

/// Sums of scores over any rectangle in constant time.
struct Integral {
    width: u32,
    sums: Vec<f64>,
}

impl Integral {
    fn new(scores: &[f64], width: u32, height: u32) -> Self {
        let stride = width as usize + 1;
        let mut sums = vec![0.0; stride * (height as usize + 1)];
        for y in 0..height as usize {
            let mut row = 0.0;
            for x in 0..width as usize {
                row += scores[y * width as usize + x];
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
        Integral { width, sums }
    }

    fn sum(&self, left: u32, top: u32, width: u32, height: u32) -> f64 {
        let stride = self.width as usize + 1;
        let (x0, y0) = (left as usize, top as usize);
        let (x1, y1) = (x0 + width as usize, y0 + height as usize);
        self.sums[y1 * stride + x1] - self.sums[y0 * stride + x1] - self.sums[y1 * stride + x0]
            + self.sums[y0 * stride + x0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skin_toned_detail_in_a_corner_is_found() {
        // A flat grey picture with a textured skin-coloured patch in its lower right.
        let picture = RgbImage::from_fn(120, 90, |x, y| {
            if (80..110).contains(&x) && (50..80).contains(&y) {
                let shade = if (x + y) % 4 < 2 { 0 } else { 30 };
                image::Rgb([210 - shade, 160 - shade, 130 - shade])
            } else {
                image::Rgb([128, 128, 128])
            }
        });
        let found = salient_box(&picture).expect("the patch stands out");
        let (x, y) = (found.left + found.width / 2, found.top + found.height / 2);
        assert!((80..110).contains(&x) && (50..80).contains(&y), "{found:?}");
    }

    #[test]
    fn an_even_picture_has_no_salient_box() {
        let flat = RgbImage::from_pixel(100, 100, image::Rgb([40, 90, 200]));
        assert_eq!(salient_box(&flat), None);
        assert_eq!(salient_box(&RgbImage::new(2, 2)), None);
    }

    #[test]
    fn boxes_scale_to_the_photo_and_stay_inside() {
        let point = FocalPoint {
            left: 100,
            top: 60,
            width: 28,
            height: 28,
        };
        let scaled = to_photo(point, (128, 96), (1280, 960));
        assert_eq!(
            (scaled.left, scaled.top, scaled.width, scaled.height),
            (1000, 600, 280, 280)
        );
        let edge = to_photo(point, (128, 96), (129, 97));
        assert!(edge.left + edge.width <= 129 && edge.top + edge.height <= 97);
    }

    #[test]
    fn skin_tones_score_and_other_colours_do_not() {
        assert!(skin(224.0, 172.0, 140.0) > 0.5);
        assert!(skin(120.0, 85.0, 62.0) > 0.5);
        assert_eq!(skin(40.0, 90.0, 200.0), 0.0);
        assert_eq!(skin(128.0, 128.0, 128.0), 0.0);
    }
}
