//! Still images through the `image` crate (interlaced PNG, GIF, a TIFF that does not stream,
//! WebP, and the first frame of an animation): limits on the reader, ICC and orientation from
//! the decoder, then resize and orient.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::{
    check_area, colour, image_error, image_format, image_limits, orientation, resize, tiff,
};
use crate::format::ImageFormat;
use crate::limits::Limits;
use crate::render::crop::Target;
use crate::render::picture::Picture;
use crate::Result;

/// Decodes the first frame of `bytes` to an oriented sRGB picture of exactly `target`'s size.
pub(super) fn decode(
    bytes: &[u8],
    format: ImageFormat,
    target: impl Into<Target>,
    limits: &Limits,
) -> Result<Picture> {
    let target: Target = target.into();
    let tiff = match format {
        ImageFormat::Tiff => tiff::Interpretation::read(bytes),
        _ => tiff::Interpretation::default(),
    };
    let (image, icc, orientation) = if tiff.ycbcr {
        let decoded = tiff::decode_ycbcr(bytes, limits)?;
        (decoded.image, decoded.icc, decoded.orientation)
    } else {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
        reader.limits(image_limits(limits));
        let mut decoder = reader.into_decoder().map_err(image_error)?;
        let (width, height) = decoder.dimensions();
        check_area(width, height, limits)?;
        // Broken metadata never stops the pixels from being shown.
        let icc = decoder.icc_profile().ok().flatten();
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
        if tiff.associated_alpha {
            tiff::unpremultiply(&mut image);
        }
        (image, icc, orientation)
    };
    let pixels = colour::to_srgb8(image, icc.as_deref());
    let pixels = resize::resize(pixels, orientation::stored_target(target, orientation))?;
    Ok(Picture::still(orientation::apply(pixels, orientation)))
}
