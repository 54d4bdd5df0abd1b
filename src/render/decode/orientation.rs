//! EXIF orientation: displayed sizes and applying the rotation/flip to decoded pixels.
//!
//! Flips and quarter turns commute with resampling, so the pipeline resizes the stored picture to
//! the stored-orientation target first and orients the small result.

use image::metadata::Orientation;
use image::DynamicImage;

use crate::render::crop::{Crop, Target};
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

/// `target`, which is in displayed pixels, for the stored picture of a source displayed with
/// `orientation`: its size and crop as they are before the decoder orients the resized result.
pub(super) fn stored_target(target: Target, orientation: Orientation) -> Target {
    Target {
        size: oriented(target.size, orientation),
        crop: target.crop.map(|crop| stored_crop(crop, orientation)),
    }
}

/// The box in the stored picture that shows as `crop` once `orientation` is applied.
fn stored_crop(crop: Crop, orientation: Orientation) -> Crop {
    let (width, height) = crop.source;
    // The displayed corners mapped to stored coordinates, as points between pixels, so edges map
    // to edges.
    let corner = |x: u32, y: u32| -> (u32, u32) {
        let (flip_x, flip_y) = (width.saturating_sub(x), height.saturating_sub(y));
        match orientation {
            Orientation::NoTransforms => (x, y),
            Orientation::FlipHorizontal => (flip_x, y),
            Orientation::FlipVertical => (x, flip_y),
            Orientation::Rotate180 => (flip_x, flip_y),
            Orientation::Rotate90 => (y, flip_x),
            Orientation::Rotate270 => (flip_y, x),
            Orientation::Rotate90FlipH => (y, x),
            Orientation::Rotate270FlipH => (flip_y, flip_x),
        }
    };
    let a = corner(crop.left, crop.top);
    let b = corner(
        crop.left.saturating_add(crop.width),
        crop.top.saturating_add(crop.height),
    );
    Crop {
        source: oriented(crop.source, orientation),
        left: a.0.min(b.0),
        top: a.1.min(b.1),
        width: a.0.abs_diff(b.0),
        height: a.1.abs_diff(b.1),
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
    fn a_displayed_crop_maps_onto_the_stored_picture_for_every_orientation() {
        // Every pixel unique, so crops compare exactly.
        let stored = image::RgbImage::from_fn(9, 5, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let cut = |image: &image::RgbImage, crop: Crop| {
            image::imageops::crop_imm(image, crop.left, crop.top, crop.width, crop.height)
                .to_image()
        };
        for exif in 1..=8u8 {
            let orientation = Orientation::from_exif(exif).unwrap();
            let mut displayed = DynamicImage::ImageRgb8(stored.clone());
            displayed.apply_orientation(orientation);
            let displayed = displayed.into_rgb8();
            let crop = Crop {
                source: displayed.dimensions(),
                left: 1,
                top: 2,
                width: 3,
                height: 2,
            };
            let target = Target {
                size: (3, 2),
                crop: Some(crop),
            };
            let on_stored = stored_target(target, orientation);
            let stored_crop = on_stored.crop.unwrap();
            assert_eq!(stored_crop.source, stored.dimensions(), "exif {exif}");
            assert_eq!(
                on_stored.size,
                (stored_crop.width, stored_crop.height),
                "exif {exif}"
            );
            let mut from_stored = DynamicImage::ImageRgb8(cut(&stored, stored_crop));
            from_stored.apply_orientation(orientation);
            assert_eq!(
                from_stored.into_rgb8(),
                cut(&displayed, crop),
                "exif {exif}"
            );
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
