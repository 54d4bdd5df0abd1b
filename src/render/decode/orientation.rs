//! EXIF orientation: displayed sizes and applying the rotation/flip to decoded pixels.
//!
//! Flips and quarter turns commute with resampling, so the pipeline resizes the stored picture to
//! the stored-orientation target first and orients the small result.

use image::metadata::Orientation;
use image::DynamicImage;

use crate::render::picture::Pixels;

/// Whether `orientation` turns the picture a quarter, swapping width and height (EXIF 5–8).
pub(super) fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The size as displayed of a picture stored as `size` with `orientation`. The mapping is its own
/// inverse, so it also gives the stored size of a displayed size.
pub(super) fn oriented(size: (u32, u32), orientation: Orientation) -> (u32, u32) {
    if swaps_sides(orientation) {
        (size.1, size.0)
    } else {
        size
    }
}

/// The orientation stored in a raw EXIF block (starting at the TIFF header); normal when absent
/// or invalid.
pub(super) fn from_exif(exif: &[u8]) -> Orientation {
    Orientation::from_exif_chunk(exif).unwrap_or(Orientation::NoTransforms)
}

/// Applies `orientation` to `pixels`.
pub(super) fn apply(pixels: Pixels, orientation: Orientation) -> Pixels {
    if orientation == Orientation::NoTransforms {
        return pixels;
    }
    let mut image = match pixels {
        Pixels::Gray(image) => DynamicImage::ImageLuma8(image),
        Pixels::GrayAlpha(image) => DynamicImage::ImageLumaA8(image),
        Pixels::Rgb(image) => DynamicImage::ImageRgb8(image),
        Pixels::Rgba(image) => DynamicImage::ImageRgba8(image),
    };
    image.apply_orientation(orientation);
    match image {
        DynamicImage::ImageLuma8(image) => Pixels::Gray(image),
        DynamicImage::ImageLumaA8(image) => Pixels::GrayAlpha(image),
        DynamicImage::ImageRgb8(image) => Pixels::Rgb(image),
        other => Pixels::Rgba(other.into_rgba8()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    #[test]
    fn quarter_turns_swap_sides() {
        for exif in 1..=8u8 {
            let orientation = Orientation::from_exif(exif).unwrap();
            let expected = if exif >= 5 { (20, 10) } else { (10, 20) };
            assert_eq!(oriented((10, 20), orientation), expected, "exif {exif}");
        }
    }

    #[test]
    fn rotate90_moves_the_top_left_corner_to_the_top_right() {
        let mut image = GrayImage::new(3, 2);
        image.put_pixel(0, 0, Luma([255]));
        let Pixels::Gray(rotated) = apply(Pixels::Gray(image), Orientation::Rotate90) else {
            panic!("grey stays grey");
        };
        assert_eq!(rotated.dimensions(), (2, 3));
        assert_eq!(rotated.get_pixel(1, 0), &Luma([255]));
    }
}
