//! The rendering engine: from stored bytes (or a placeholder) and what the caller asked for to
//! the bytes to send. Pure and synchronous: no I/O, no framework.
//!
//! [`render`] is the one entry point. Inside, a request flows through one stage per module:
//! negotiation (`negotiate`) and the plan (`plan`: passthrough, conversion or placeholder,
//! decided from the header alone), then `decode` (header probe with limits, shrink-on-load,
//! colour), `resize` (SIMD Lanczos3, after an integer box for large shrinks: `box_shrink`),
//! orientation, and `encode`; `placeholder` draws the "no photo" artwork and `caption` its
//! localized text.

mod box_shrink;
mod caption;
mod crop;
mod decode;
#[cfg(fuzzing)]
pub use decode::fuzz_jpeg_decode;
mod encode;
#[cfg(feature = "faces")]
mod faces;
mod framing;
mod geometry;
mod negotiate;
mod options;
mod picture;
mod placeholder;
mod plan;
mod request;
mod resize;
pub(crate) mod saliency;
pub(crate) mod thumb_hash;
mod variant;
mod webp_chunks;

/// The `resize` stage inside its own span: the decode stage calls [`resize::resize`] through
/// this module (shrink-on-load decoders resize right after decoding).
mod traced_resize {
    use super::crop::Target;
    use super::picture::Pixels;
    use crate::observe::stage_span;
    use crate::Result;

    pub(super) use super::resize::Plane;

    /// The `resize` span of a resample of a `(width, height)` source to `target`, recording both
    /// sizes; entered until the returned guard is dropped.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn resize_span((width, height): (u32, u32), target: &Target) -> impl Sized {
        stage_span!(
            "resize",
            width,
            height,
            target_width = target.size.0,
            target_height = target.size.1,
        )
    }

    /// [`super::resize::resize`] in a `resize` span recording both sizes.
    pub(super) fn resize(pixels: Pixels, target: impl Into<Target>) -> Result<Pixels> {
        let target: Target = target.into();
        let _span = resize_span(pixels.dimensions(), &target);
        super::resize::resize(pixels, target)
    }

    /// [`super::resize::resize_borrowed`] in a `resize` span recording both sizes.
    #[cfg(feature = "webp")]
    pub(super) fn resize_borrowed(
        raw: &[u8],
        size: (u32, u32),
        channels: usize,
        target: impl Into<Target>,
    ) -> Result<Pixels> {
        let target: Target = target.into();
        let _span = resize_span(size, &target);
        super::resize::resize_borrowed(raw, size, channels, target)
    }

    /// [`super::resize::resize_planes`] in a `resize` span recording the first plane's extent
    /// and the target size.
    #[cfg_attr(feature = "webp", allow(dead_code))]
    pub(super) fn resize_planes<const N: usize>(
        planes: [super::resize::Plane<'_>; N],
        target: impl Into<Target>,
    ) -> Result<[Vec<u8>; N]> {
        let target: Target = target.into();
        let extent = planes.first().map_or((0, 0), |plane| {
            (plane.extent.0 as u32, plane.extent.1 as u32)
        });
        let _span = resize_span(extent, &target);
        super::resize::resize_planes(planes, target)
    }

    /// [`super::resize::resize_extent`] in a `resize` span recording both sizes.
    pub(super) fn resize_extent(
        pixels: Pixels,
        extent: (f64, f64),
        target: impl Into<Target>,
    ) -> Result<Pixels> {
        let target: Target = target.into();
        let _span = resize_span(pixels.dimensions(), &target);
        super::resize::resize_extent(pixels, extent, target)
    }
}

use crate::response::ImageResponse;
use crate::Result;

pub use crate::format::ImageFormat;
pub use caption::CaptionLanguage;
pub(crate) use decode::{decode, jpeg_marker, peak_bytes, probe, SourceInfo};
#[cfg(feature = "faces")]
pub use faces::{find_faces, Face, FaceSearch};
pub(crate) use framing::Framing;
pub use framing::{FocalPoint, FocalSource};
pub(crate) use geometry::fit;
pub(crate) use negotiate::Preference;
pub use options::{PngCompression, RenderOptions};
pub use placeholder::PlaceholderKind;
pub(crate) use plan::{Plan, Rendered};
pub use request::{RenderRequest, Source};
pub use thumb_hash::{thumb_hash, thumb_hash_of_rgba};
pub(crate) use variant::{info_representation, photo_representation, version_digest, Variant};

/// Renders `request`: the stored bytes as they are, converted, or a placeholder, as negotiated.
///
/// The response carries the body, `Content-Type`, `Content-Length` and `Vary`: `Accept` when the
/// answer depends on `Accept`, the language headers when it is a captioned placeholder; caching
/// headers are the service's business.
///
/// ```
/// use person_image::render::RenderRequest;
/// use person_image::OutputFormat;
/// let png = std::fs::read("fixtures/persons/2.png")?;
/// let response = person_image::render(&RenderRequest::stored(png.clone()))?;
/// assert_eq!(response.content_type.unwrap(), "image/png");
/// assert_eq!(&response.body[..], &png[..]); // passthrough: byte for byte
///
/// let thumbnail = person_image::render(
///     &RenderRequest::stored(png).width(32).format(OutputFormat::Jpeg),
/// )?;
/// assert_eq!(thumbnail.content_type.unwrap(), "image/jpeg");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render(request: &RenderRequest) -> Result<ImageResponse> {
    let plan = Plan::new(
        request,
        &Preference::new(request.format, request.accept.as_ref()),
    )?;
    let rendered = plan.execute()?;
    let mut response = ImageResponse::ok(rendered.content_type, rendered.body);
    response.vary = plan.vary();
    Ok(response)
}
