//! SIMD resampling with `fast_image_resize`: Lanczos3, premultiplied alpha, an optional crop box on
//! the source (`fit=cover`), one `Resizer` (and its scratch buffers) per thread, its buffers dropped after a job that grew them past
//! [`KEEP_SCRATCH_BYTES`].

use std::cell::RefCell;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageBuffer, Pixel};

use super::crop::Target;
use super::picture::Pixels;
use crate::{Error, Result};

thread_local! {
    /// The resizer keeps its convolution and alpha buffers between calls on the same thread.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// The most scratch a thread's resizer keeps between jobs. Its alpha buffer holds a premultiplied
/// copy of the whole source and its convolution buffer a source-tall intermediate, so one large
/// photo would otherwise pin tens of MB on every blocking thread that ever resized one. Thumbnail-
/// sized jobs stay under this and keep reusing their buffers.
const KEEP_SCRATCH_BYTES: usize = 4 << 20;

/// Resamples `pixels` (the whole source, at any scale) to exactly `target`'s size, showing its
/// crop; returns them untouched when there is no crop and the size already matches.
pub(super) fn resize(pixels: Pixels, target: impl Into<Target>) -> Result<Pixels> {
    let target: Target = target.into();
    if target.is_identity(pixels.dimensions()) {
        return Ok(pixels);
    }
    let crop = target.crop.map(|crop| crop.on(pixels.dimensions()));
    let size = target.size;
    Ok(match pixels {
        Pixels::Gray(image) => Pixels::Gray(resize_buffer(&image, size, crop, PixelType::U8)?),
        Pixels::GrayAlpha(image) => {
            Pixels::GrayAlpha(resize_buffer(&image, size, crop, PixelType::U8x2)?)
        }
        Pixels::Rgb(image) => Pixels::Rgb(resize_buffer(&image, size, crop, PixelType::U8x3)?),
        Pixels::Rgba(image) => Pixels::Rgba(resize_buffer(&image, size, crop, PixelType::U8x4)?),
    })
}

fn resize_buffer<P: Pixel<Subpixel = u8>>(
    source: &ImageBuffer<P, Vec<u8>>,
    target: (u32, u32),
    crop: Option<(f64, f64, f64, f64)>,
    pixel_type: PixelType,
) -> Result<ImageBuffer<P, Vec<u8>>> {
    let (width, height) = (target.0.max(1), target.1.max(1));
    let src = ImageRef::new(source.width(), source.height(), source.as_raw(), pixel_type)
        .map_err(|error| Error::internal("resizing", error))?;
    let len = usize::try_from(u64::from(width) * u64::from(height))
        .ok()
        .and_then(|pixels| pixels.checked_mul(pixel_type.size()))
        .ok_or_else(|| Error::internal("resizing", "the target does not fit in memory"))?;
    let mut buffer = vec![0u8; len];
    let mut dst = Image::from_slice_u8(width, height, &mut buffer, pixel_type)
        .map_err(|error| Error::internal("resizing", error))?;
    let mut options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(P::HAS_ALPHA);
    if let Some((left, top, crop_width, crop_height)) = crop {
        options = options.crop(left, top, crop_width, crop_height);
    }
    RESIZER
        .with(|resizer| {
            let mut resizer = resizer.borrow_mut();
            let resized = resizer.resize(&src, &mut dst, &options);
            if resizer.size_of_internal_buffers() > KEEP_SCRATCH_BYTES {
                resizer.reset_internal_buffers();
            }
            resized
        })
        .map_err(|error| Error::internal("resizing", error))?;
    ImageBuffer::from_raw(width, height, buffer)
        .ok_or_else(|| Error::internal("resizing", "the resized buffer has the wrong size"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn transparent_pixels_do_not_bleed_their_colour() {
        // Left half opaque red, right half fully transparent green: with premultiplied alpha no
        // green may appear in the result.
        let image = RgbaImage::from_fn(64, 8, |x, _| {
            if x < 32 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 255, 0, 0])
            }
        });
        let Pixels::Rgba(small) = resize(Pixels::Rgba(image), (16, 2)).unwrap() else {
            panic!("RGBA stays RGBA");
        };
        assert_eq!(small.dimensions(), (16, 2));
        for pixel in small.pixels().filter(|pixel| pixel[3] > 16) {
            assert!(pixel[1] < 16, "{pixel:?}");
        }
    }

    #[test]
    fn a_large_job_leaves_no_large_scratch_on_the_thread() {
        // 1200×1000 RGBA: a 4.8 MB premultiplied copy alone exceeds what a thread may keep.
        let image = RgbaImage::from_pixel(1200, 1000, Rgba([9, 9, 9, 128]));
        resize(Pixels::Rgba(image), (60, 50)).unwrap();
        let kept = RESIZER.with(|resizer| resizer.borrow().size_of_internal_buffers());
        assert!(kept <= KEEP_SCRATCH_BYTES, "{kept} bytes kept");
    }

    #[test]
    fn a_crop_box_shows_only_its_part_of_the_source() {
        // Left half black, right half white; a crop of the right half, decoded at half scale.
        let image =
            image::GrayImage::from_fn(40, 20, |x, _| image::Luma([if x < 20 { 0 } else { 255 }]));
        let target = Target {
            size: (10, 10),
            crop: Some(crate::render::crop::Crop {
                source: (80, 40),
                left: 40,
                top: 0,
                width: 40,
                height: 40,
            }),
        };
        let Pixels::Gray(right) = resize(Pixels::Gray(image.clone()), target).unwrap() else {
            panic!("grey stays grey");
        };
        assert_eq!(right.dimensions(), (10, 10));
        // The filter reads a little past the box's edge (the source goes on there), so the first
        // column may take a touch of the black half; nothing more of it shows.
        assert!(right.pixels().all(|pixel| pixel[0] > 230), "{right:?}");
        assert!(right
            .pixels()
            .skip(1)
            .step_by(10)
            .all(|pixel| pixel[0] > 250));
        // A crop at the source's own scale is still a crop, not the source untouched.
        let target = Target {
            size: (20, 20),
            crop: Some(crate::render::crop::Crop {
                source: (40, 20),
                left: 0,
                top: 0,
                width: 20,
                height: 20,
            }),
        };
        let Pixels::Gray(left) = resize(Pixels::Gray(image), target).unwrap() else {
            panic!("grey stays grey");
        };
        assert_eq!(left.dimensions(), (20, 20));
        assert!(left.pixels().all(|pixel| pixel[0] < 5), "{left:?}");
    }

    #[test]
    fn same_size_is_untouched_and_tiny_targets_work() {
        let image = image::GrayImage::from_pixel(5, 1, image::Luma([7]));
        let same = resize(Pixels::Gray(image.clone()), (5, 1)).unwrap();
        assert_eq!(same.dimensions(), (5, 1));
        let tiny = resize(Pixels::Gray(image), (1, 1)).unwrap();
        assert_eq!(tiny.dimensions(), (1, 1));
    }
}
