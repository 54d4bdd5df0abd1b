//! How TIFF samples become colours where the `image` crate's reading is not enough: YCbCr
//! photometric (converted to RGB with the file's `YCbCrCoefficients` and
//! `ReferenceBlackWhite`, TIFF 6.0 §21; subsampled chroma through [`tiff_ycbcr`]), and associated (premultiplied) alpha, which is
//! un-premultiplied so that the rest of the pipeline, which takes alpha as straight, sees what
//! the file means. Everything else in a TIFF is read by `image` as before.

use std::io::Cursor;

use ::tiff::decoder::ifd::Value;
use ::tiff::decoder::{Decoder, DecodingResult};
use ::tiff::tags::Tag;
use ::tiff::ColorType;
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};

use super::check_area;
use super::tiff_ycbcr::{self, SubsampledStrips};
use crate::limits::Limits;
use crate::Result;

/// `YCbCrCoefficients` (TIFF 6.0 §21): the luma weights of red, green and blue.
const YCBCR_COEFFICIENTS: Tag = Tag::Unknown(529);
/// `ReferenceBlackWhite` (TIFF 6.0 §20): footroom and headroom of each component.
const REFERENCE_BLACK_WHITE: Tag = Tag::Unknown(532);
/// `ExtraSamples` value of associated (premultiplied) alpha.
const ASSOCIATED_ALPHA: u16 = 1;

/// What the first image of a TIFF file says about its samples, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Interpretation {
    /// The photometric interpretation is YCbCr (6).
    pub(super) ycbcr: bool,
    /// The first extra sample is associated alpha: colours are premultiplied by it.
    pub(super) associated_alpha: bool,
}

impl Interpretation {
    /// Reads the first image file directory of `bytes`; the default (nothing special) when the
    /// header cannot be read, so that `image` reports what is wrong with the file.
    pub(super) fn read(bytes: &[u8]) -> Interpretation {
        let Ok(mut decoder) = Decoder::new(Cursor::new(bytes)) else {
            return Interpretation::default();
        };
        let ycbcr = matches!(decoder.colortype(), Ok(ColorType::YCbCr(_)));
        let associated_alpha = associated_alpha(&mut decoder);
        Interpretation {
            ycbcr,
            associated_alpha,
        }
    }
}

/// Whether the first extra sample of the current image is associated alpha.
pub(super) fn associated_alpha<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> bool {
    decoder
        .find_tag_unsigned_vec::<u16>(Tag::ExtraSamples)
        .ok()
        .flatten()
        .is_some_and(|extra| extra.first() == Some(&ASSOCIATED_ALPHA))
}

/// A TIFF read by the `tiff` crate: its RGB pixels, ICC profile and orientation.
pub(super) struct Decoded {
    /// The pixels, RGB.
    pub(super) image: DynamicImage,
    /// The embedded ICC profile, if any.
    pub(super) icc: Option<Vec<u8>>,
    /// The `Orientation` tag.
    pub(super) orientation: Orientation,
}

/// The stored size and orientation of a YCbCr TIFF (which has no alpha), from its header.
pub(super) fn probe_ycbcr(bytes: &[u8], limits: &Limits) -> Result<((u32, u32), Orientation)> {
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(tiff_limits(limits));
    let size = decoder.dimensions().map_err(tiff_error)?;
    Ok((size, orientation(&mut decoder)))
}

/// The `Orientation` tag of the current image (none when it is missing or unusable).
pub(super) fn orientation<R: std::io::Read + std::io::Seek>(
    decoder: &mut Decoder<R>,
) -> Orientation {
    decoder
        .find_tag_unsigned::<u8>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

/// Decodes an 8-bit YCbCr TIFF to RGB. Subsampled chroma is upsampled by the JPEG decoder for
/// JPEG-compressed data and unpacked from its data units otherwise ([`SubsampledStrips`]).
pub(super) fn decode_ycbcr(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(tiff_limits(limits));
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    check_area(width, height, limits)?;
    let colour = decoder.colortype().map_err(tiff_error)?;
    if colour != ColorType::YCbCr(8) {
        return Err(crate::Error::UnsupportedFormat {
            reason: format!("TIFF YCbCr with {colour:?} samples (8-bit only)"),
        });
    }
    let convert = YCbCr::from_tags(&mut decoder)?;
    let icc = decoder
        .find_tag(Tag::IccProfile)
        .ok()
        .flatten()
        .and_then(|value| value.into_u8_vec().ok());
    let orientation = orientation(&mut decoder);
    let needed = width as usize * height as usize * 3;
    let jpeg = decoder
        .find_tag_unsigned::<u16>(Tag::Compression)
        .ok()
        .flatten()
        .is_some_and(|compression| matches!(compression, 6 | 7));
    let samples = if tiff_ycbcr::subsampled(&mut decoder) && !jpeg {
        let strips = SubsampledStrips::new(&mut decoder, bytes)?;
        let (mut samples, mut units) = (Vec::with_capacity(needed), Vec::new());
        for strip in 0..strips.count() {
            strips.read(strip, &mut units, &mut samples)?;
        }
        samples
    } else {
        let DecodingResult::U8(mut samples) = decoder.read_image().map_err(tiff_error)? else {
            return Err(crate::Error::decode(
                "TIFF YCbCr decoded to other than 8-bit samples",
            ));
        };
        if samples.len() < needed {
            return Err(crate::Error::decode(
                "TIFF YCbCr data is shorter than the image",
            ));
        }
        samples.truncate(needed);
        for pixel in samples.chunks_exact_mut(3) {
            let rgb = convert.rgb([pixel[0], pixel[1], pixel[2]]);
            pixel.copy_from_slice(&rgb);
        }
        samples
    };
    let image = RgbImage::from_raw(width, height, samples)
        .ok_or_else(|| crate::Error::decode("TIFF YCbCr data does not fit the image"))?;
    Ok(Decoded {
        image: DynamicImage::ImageRgb8(image),
        icc,
        orientation,
    })
}

/// YCbCr to RGB with a file's coefficients and reference black and white.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct YCbCr {
    /// Luma weights of red, green, blue.
    luma: [f64; 3],
    /// Footroom and headroom of Y, Cb and Cr.
    reference: [f64; 6],
}

impl YCbCr {
    /// TIFF 6.0's defaults: ITU-R BT.601 weights, full range.
    const DEFAULT: YCbCr = YCbCr {
        luma: [0.299, 0.587, 0.114],
        reference: [0.0, 255.0, 128.0, 255.0, 128.0, 255.0],
    };

    /// The conversion the tags of the current image ask for; an error when they are unusable
    /// (a weight that is not a positive fraction, an empty reference range).
    pub(super) fn from_tags<R: std::io::Read + std::io::Seek>(
        decoder: &mut Decoder<R>,
    ) -> Result<YCbCr> {
        let mut convert = YCbCr::DEFAULT;
        let read = |decoder: &mut Decoder<R>, tag: Tag| -> Option<Vec<f64>> {
            match decoder.find_tag(tag).ok().flatten()? {
                Value::List(values) => values.into_iter().map(number).collect(),
                value => number(value).map(|value| vec![value]),
            }
        };
        if let Some(luma) = read(decoder, YCBCR_COEFFICIENTS) {
            let luma: [f64; 3] = luma.try_into().map_err(|_| bad_tags())?;
            let green = 1.0 - luma[0] - luma[2];
            if !luma
                .iter()
                .chain([&green])
                .all(|w| w.is_finite() && *w > 0.0 && *w < 1.0)
            {
                return Err(bad_tags());
            }
            convert.luma = [luma[0], green, luma[2]];
        }
        if let Some(reference) = read(decoder, REFERENCE_BLACK_WHITE) {
            let reference: [f64; 6] = reference.try_into().map_err(|_| bad_tags())?;
            let usable = reference.iter().all(|v| v.is_finite())
                && (0..3).all(|c| reference[2 * c + 1] != reference[2 * c]);
            if !usable {
                return Err(bad_tags());
            }
            convert.reference = reference;
        }
        Ok(convert)
    }

    /// One pixel.
    pub(super) fn rgb(&self, [y, cb, cr]: [u8; 3]) -> [u8; 3] {
        let r = &self.reference;
        let y = (f64::from(y) - r[0]) * 255.0 / (r[1] - r[0]);
        let cb = (f64::from(cb) - r[2]) * 127.0 / (r[3] - r[2]);
        let cr = (f64::from(cr) - r[4]) * 127.0 / (r[5] - r[4]);
        let [kr, kg, kb] = self.luma;
        let red = y + cr * (2.0 - 2.0 * kr);
        let blue = y + cb * (2.0 - 2.0 * kb);
        let green = (y - kb * blue - kr * red) / kg;
        [red, green, blue].map(|v| v.round().clamp(0.0, 255.0) as u8)
    }
}

/// A numeric tag value as a float (TIFF writes the YCbCr tags as RATIONAL, which the `tiff`
/// crate's `into_f64` does not read); `None` for the non-numeric or a zero denominator.
fn number(value: Value) -> Option<f64> {
    let ratio =
        |numerator: f64, denominator: f64| (denominator != 0.0).then_some(numerator / denominator);
    match value {
        Value::Rational(numerator, denominator) => {
            ratio(f64::from(numerator), f64::from(denominator))
        }
        Value::SRational(numerator, denominator) => {
            ratio(f64::from(numerator), f64::from(denominator))
        }
        Value::Double(value) => Some(value),
        Value::Float(value) => Some(f64::from(value)),
        Value::Short(value) => Some(f64::from(value)),
        Value::Unsigned(value) => Some(f64::from(value)),
        Value::Byte(value) => Some(f64::from(value)),
        _ => None,
    }
}

/// The error for unusable YCbCr tags.
fn bad_tags() -> crate::Error {
    crate::Error::decode("TIFF YCbCrCoefficients or ReferenceBlackWhite are unusable")
}

/// Un-premultiplies associated alpha: each colour sample becomes `colour · max / alpha`
/// (rounded, at most `max`); fully transparent pixels keep colour 0. Pictures without alpha
/// are left as they are.
pub(super) fn unpremultiply(image: &mut DynamicImage) {
    fn straight16<const N: usize>(samples: &mut [u16]) {
        for pixel in samples.chunks_exact_mut(N) {
            let alpha = u64::from(pixel[N - 1]);
            if alpha == 0 || alpha == 65_535 {
                continue;
            }
            for sample in &mut pixel[..N - 1] {
                *sample = ((u64::from(*sample) * 65_535 + alpha / 2) / alpha).min(65_535) as u16;
            }
        }
    }
    match image {
        DynamicImage::ImageRgba8(image) => unpremultiply_samples(image, 4),
        DynamicImage::ImageLumaA8(image) => unpremultiply_samples(image, 2),
        DynamicImage::ImageRgba16(image) => straight16::<4>(image),
        DynamicImage::ImageLumaA16(image) => straight16::<2>(image),
        DynamicImage::ImageRgba32F(image) => {
            for pixel in image.pixels_mut() {
                let alpha = pixel[3];
                if alpha > 0.0 {
                    for sample in &mut pixel.0[..3] {
                        *sample = (*sample / alpha).min(1.0);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Un-premultiplies 8-bit `samples` of `channels` channels, alpha last (see [`unpremultiply`]).
pub(super) fn unpremultiply_samples(samples: &mut [u8], channels: usize) {
    for pixel in samples.chunks_exact_mut(channels) {
        let alpha = u32::from(pixel[channels - 1]);
        if alpha == 0 || alpha == 255 {
            continue;
        }
        for sample in &mut pixel[..channels - 1] {
            *sample = ((u32::from(*sample) * 255 + alpha / 2) / alpha).min(255) as u8;
        }
    }
}

/// The `tiff` crate's limits matching ours: the decoded image may hold the pixel budget at the
/// widest sample the crate produces.
pub(super) fn tiff_limits(limits: &Limits) -> ::tiff::decoder::Limits {
    let bytes = usize::try_from(limits.max_source_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut tiff_limits = ::tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = bytes.max(1 << 20);
    tiff_limits.intermediate_buffer_size = bytes.max(1 << 20);
    tiff_limits
}

/// Maps the `tiff` crate's error: what it does not support stays unsupported, limits are
/// limits, the rest are decode errors.
pub(super) fn tiff_error(error: ::tiff::TiffError) -> crate::Error {
    match error {
        ::tiff::TiffError::UnsupportedError(unsupported) => crate::Error::UnsupportedFormat {
            reason: format!("TIFF: {unsupported}"),
        },
        other => crate::Error::decode(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_conversion_is_jfif() {
        let convert = YCbCr::DEFAULT;
        assert_eq!(convert.rgb([128, 128, 128]), [128, 128, 128]);
        assert_eq!(convert.rgb([255, 128, 128]), [255, 255, 255]);
        // Pure red in JFIF: Y 76, Cb 85, Cr 255.
        let [r, g, b] = convert.rgb([76, 85, 255]);
        assert!(r >= 253 && g <= 2 && b <= 2, "{r} {g} {b}");
    }

    #[test]
    fn rational_tags_are_read() {
        assert_eq!(number(Value::Rational(2126, 10_000)), Some(0.2126));
        assert_eq!(number(Value::Rational(1, 0)), None);
        assert_eq!(number(Value::Ascii("1".into())), None);
    }

    #[test]
    fn unpremultiply_restores_straight_colour() {
        let mut image = DynamicImage::ImageRgba8(
            image::RgbaImage::from_raw(
                3,
                1,
                vec![64, 32, 0, 128, 10, 10, 10, 0, 200, 100, 50, 255],
            )
            .unwrap(),
        );
        unpremultiply(&mut image);
        assert_eq!(
            image.as_rgba8().unwrap().as_raw(),
            &[128, 64, 0, 128, 10, 10, 10, 0, 200, 100, 50, 255]
        );
    }
}
