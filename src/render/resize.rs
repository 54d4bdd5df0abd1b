//! SIMD resampling with `fast_image_resize`: Lanczos3, premultiplied alpha, one `Resizer` (and its
//! scratch buffers) per thread, its buffers dropped after a job that grew them past
//! [`KEEP_SCRATCH_BYTES`].

use std::cell::RefCell;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageBuffer, Pixel};

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

/// Resamples `pixels` to exactly `target`; returns them untouched when the size already matches.
pub(super) fn resize(pixels: Pixels, target: (u32, u32)) -> Result<Pixels> {
    let (width, height) = pixels.dimensions();
    resize_extent(pixels, (f64::from(width), f64::from(height)), target)
}

/// Resamples the top-left `extent` (in pixels, possibly fractional, at most the picture) of
/// `pixels` to exactly `target`. A decoder that shrinks on load by `k` makes `⌈side / k⌉`
/// pixels of which the last holds only `side / k − ⌊side / k⌋` of the picture: resampling the
/// exact extent keeps the picture's geometry (stretching the partial pixel shifts the far edge
/// by up to a pixel, which costs several dB on detailed photos at small sizes).
pub(super) fn resize_extent(
    pixels: Pixels,
    extent: (f64, f64),
    target: (u32, u32),
) -> Result<Pixels> {
    let (width, height) = pixels.dimensions();
    let extent = (
        extent.0.clamp(1.0, f64::from(width)),
        extent.1.clamp(1.0, f64::from(height)),
    );
    let whole = extent == (f64::from(width), f64::from(height));
    if whole && (width, height) == target {
        return Ok(pixels);
    }
    Ok(match pixels {
        Pixels::Gray(image) => Pixels::Gray(resize_buffer(&image, extent, target, PixelType::U8)?),
        Pixels::GrayAlpha(image) => {
            Pixels::GrayAlpha(resize_buffer(&image, extent, target, PixelType::U8x2)?)
        }
        Pixels::Rgb(image) => Pixels::Rgb(resize_buffer(&image, extent, target, PixelType::U8x3)?),
        Pixels::Rgba(image) => {
            Pixels::Rgba(resize_buffer(&image, extent, target, PixelType::U8x4)?)
        }
    })
}

fn resize_buffer<P: Pixel<Subpixel = u8>>(
    source: &ImageBuffer<P, Vec<u8>>,
    extent: (f64, f64),
    target: (u32, u32),
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
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(0.0, 0.0, extent.0, extent.1)
        .use_alpha(P::HAS_ALPHA);
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
    fn same_size_is_untouched_and_tiny_targets_work() {
        let image = image::GrayImage::from_pixel(5, 1, image::Luma([7]));
        let same = resize(Pixels::Gray(image.clone()), (5, 1)).unwrap();
        assert_eq!(same.dimensions(), (5, 1));
        let tiny = resize(Pixels::Gray(image), (1, 1)).unwrap();
        assert_eq!(tiny.dimensions(), (1, 1));
    }
}
