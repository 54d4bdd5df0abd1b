//! Colour: everything to 8-bit sRGB. 16-bit and float samples are narrowed, grey stays grey,
//! embedded non-sRGB ICC profiles (RGB and CMYK) are converted with `moxcms`, and CMYK without a
//! profile gets the naive conversion. A profile that cannot be parsed or used is ignored.

use std::cell::RefCell;
use std::sync::Arc;

use image::{DynamicImage, RgbImage, RgbaImage};
use moxcms::{
    ColorProfile, DataColorSpace, Layout, ProfileText, RenderingIntent, Transform8BitExecutor,
    TransformOptions,
};

use crate::render::picture::Pixels;

/// Narrows a decoded image to 8 bits and converts RGB(A) with a non-sRGB `icc` profile to sRGB.
pub(super) fn to_srgb8(image: DynamicImage, icc: Option<&[u8]>) -> Pixels {
    match image {
        DynamicImage::ImageLuma8(image) => Pixels::Gray(image),
        DynamicImage::ImageLumaA8(image) => Pixels::GrayAlpha(image),
        DynamicImage::ImageLuma16(_) => Pixels::Gray(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => Pixels::GrayAlpha(image.to_luma_alpha8()),
        DynamicImage::ImageRgb8(mut image) => {
            if let Some(icc) = icc {
                rgb_to_srgb(icc, &mut image);
            }
            Pixels::Rgb(image)
        }
        DynamicImage::ImageRgba8(mut image) => {
            if let Some(icc) = icc {
                rgba_to_srgb(icc, &mut image);
            }
            Pixels::Rgba(image)
        }
        other if other.color().has_alpha() => {
            to_srgb8(DynamicImage::ImageRgba8(other.into_rgba8()), icc)
        }
        other => to_srgb8(DynamicImage::ImageRgb8(other.into_rgb8()), icc),
    }
}

/// Converts `image` from the RGB profile `icc` to sRGB in place, unless the profile is sRGB,
/// not RGB, or unusable.
pub(super) fn rgb_to_srgb(icc: &[u8], image: &mut RgbImage) {
    if let Some(converted) = transform(icc, DataColorSpace::Rgb, Layout::Rgb, image.as_raw(), 3) {
        if let Some(converted) = RgbImage::from_raw(image.width(), image.height(), converted) {
            *image = converted;
        }
    }
}

/// Converts `image` from the RGB profile `icc` to sRGB in place, keeping alpha.
pub(super) fn rgba_to_srgb(icc: &[u8], image: &mut RgbaImage) {
    if let Some(converted) = transform(icc, DataColorSpace::Rgb, Layout::Rgba, image.as_raw(), 4) {
        if let Some(converted) = RgbaImage::from_raw(image.width(), image.height(), converted) {
            *image = converted;
        }
    }
}

/// A conversion from an RGB(A) profile to sRGB applied to a band of rows at a time, for the
/// streaming decoders: the same transform [`to_srgb8`] applies to a whole picture.
pub(super) struct BandTransform {
    executor: Arc<Transform8BitExecutor>,
    scratch: Vec<u8>,
}

impl BandTransform {
    /// The transform for 8-bit samples with `channels` channels (3 = RGB, 4 = RGBA, alpha kept)
    /// from `icc`; `None` when there is nothing to convert (sRGB, not RGB, unusable, grey).
    pub(super) fn new(icc: &[u8], channels: usize) -> Option<Self> {
        let layout = match channels {
            3 => Layout::Rgb,
            4 => Layout::Rgba,
            _ => return None,
        };
        let executor = cached_executor(icc, DataColorSpace::Rgb, layout, layout)?;
        Some(BandTransform {
            executor,
            scratch: Vec::new(),
        })
    }

    /// Converts `band` (whole pixels) in place; a failing transform leaves it as it is, like a
    /// profile that cannot be used.
    pub(super) fn apply(&mut self, band: &mut [u8]) {
        self.scratch.resize(band.len(), 0);
        if self.executor.transform(band, &mut self.scratch).is_ok() {
            band.copy_from_slice(&self.scratch);
        }
    }
}

/// Converts CMYK samples (0 = no ink, 255 = full ink) to sRGB: through the CMYK `icc` profile when
/// there is a usable one, else naively. `None` when `cmyk` is shorter than `width × height`.
pub(super) fn cmyk_to_srgb(
    cmyk: &[u8],
    width: u32,
    height: u32,
    icc: Option<&[u8]>,
) -> Option<RgbImage> {
    let pixels = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
    let cmyk = cmyk.get(..pixels.checked_mul(4)?)?;
    let rgb = icc
        .and_then(|icc| transform(icc, DataColorSpace::Cmyk, Layout::Rgba, cmyk, 3))
        .unwrap_or_else(|| naive_cmyk_to_rgb(cmyk));
    RgbImage::from_raw(width, height, rgb)
}

/// `R = (255 − C)(255 − K) / 255`, and so on: pure K stays black, no ink stays white.
fn naive_cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for pixel in cmyk.chunks_exact(4) {
        let white = 255 - u32::from(pixel[3]);
        for &ink in &pixel[..3] {
            let value = (255 - u32::from(ink)) * white;
            // Rounded division by 255.
            rgb.push(((value + 128 + ((value + 128) >> 8)) >> 8) as u8);
        }
    }
    rgb
}

/// Runs `src` (laid out as `src_layout`) through the profile `icc` into sRGB with
/// `dst_channels` channels (3 = RGB, 4 = RGBA). `None` when the profile is sRGB already, of another
/// colour space than `space`, or unusable.
fn transform(
    icc: &[u8],
    space: DataColorSpace,
    src_layout: Layout,
    src: &[u8],
    dst_channels: usize,
) -> Option<Vec<u8>> {
    let dst_layout = if dst_channels == 4 {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let executor = cached_executor(icc, space, src_layout, dst_layout)?;
    let src_channels = if src_layout == Layout::Rgb { 3 } else { 4 };
    let mut dst = vec![0u8; src.len() / src_channels * dst_channels];
    executor.transform(src, &mut dst).ok()?;
    Some(dst)
}

/// A cached transform: the profile bytes and layouts it was built for, and the outcome.
type CacheEntry = (Vec<u8>, Layout, Layout, Option<Arc<Transform8BitExecutor>>);

/// How many profiles each thread remembers; photos from one camera or one workflow share a few.
const CACHE_SIZE: usize = 8;

thread_local! {
    /// Building a transform (a CMYK LUT above all) costs far more than applying it to a thumbnail,
    /// so each thread keeps the last few, most recent first.
    static TRANSFORMS: RefCell<Vec<CacheEntry>> = const { RefCell::new(Vec::new()) };
}

/// The transform from `icc` to sRGB, built once per thread and profile.
fn cached_executor(
    icc: &[u8],
    space: DataColorSpace,
    src_layout: Layout,
    dst_layout: Layout,
) -> Option<Arc<Transform8BitExecutor>> {
    TRANSFORMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hit = cache.iter().position(|(bytes, src, dst, _)| {
            *src == src_layout && *dst == dst_layout && bytes == icc
        });
        let entry = match hit {
            Some(index) => cache.remove(index),
            None => (
                icc.to_vec(),
                src_layout,
                dst_layout,
                build_executor(icc, space, src_layout, dst_layout),
            ),
        };
        let executor = entry.3.clone();
        cache.insert(0, entry);
        cache.truncate(CACHE_SIZE);
        executor
    })
}

fn build_executor(
    icc: &[u8],
    space: DataColorSpace,
    src_layout: Layout,
    dst_layout: Layout,
) -> Option<Arc<Transform8BitExecutor>> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    if profile.color_space != space || (space == DataColorSpace::Rgb && is_srgb(&profile)) {
        return None;
    }
    let options = TransformOptions {
        rendering_intent: RenderingIntent::Perceptual,
        ..TransformOptions::default()
    };
    profile
        .create_transform_8bit(src_layout, &ColorProfile::new_srgb(), dst_layout, options)
        .ok()
}

/// Whether the profile describes itself as sRGB (`sRGB IEC61966-2.1`, `sRGB2014`, …), which is
/// the common case and needs no transform.
fn is_srgb(profile: &ColorProfile) -> bool {
    let description = match &profile.description {
        Some(ProfileText::PlainString(text)) => text.as_str(),
        Some(ProfileText::Localizable(texts)) => {
            texts.first().map_or("", |text| text.value.as_str())
        }
        Some(ProfileText::Description(text)) => text.ascii_string.as_str(),
        None => "",
    };
    description.contains("sRGB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_cmyk_keeps_black_and_white() {
        let rgb = naive_cmyk_to_rgb(&[0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 0]);
        assert_eq!(rgb, vec![0, 0, 0, 255, 255, 255, 0, 255, 255]);
    }

    #[test]
    fn invalid_profiles_are_ignored() {
        let mut image = RgbImage::from_pixel(2, 2, image::Rgb([10, 20, 30]));
        rgb_to_srgb(b"not a profile", &mut image);
        assert_eq!(image.get_pixel(1, 1), &image::Rgb([10, 20, 30]));
        assert!(cmyk_to_srgb(&[0; 16], 2, 2, Some(b"junk")).is_some());
        assert!(cmyk_to_srgb(&[0; 15], 2, 2, None).is_none());
    }
}
