//! Choosing what to send (SPEC §4): `type`, then `Accept`, then the stored format.

use crate::accept::AcceptList;
use crate::format::{ImageFormat, OutputFormat};

/// The media type of the JSON body (base64 of the image in a JSON string).
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The result of negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Negotiated {
    /// The image format to produce. May be a stored-only format (BMP, WebP) when the stored bytes
    /// are sent as they are.
    pub format: ImageFormat,
    /// Wrap the image in a JSON string of its base64 (only `application/json` was acceptable).
    pub json: bool,
    /// The answer depends on `Accept`, so the response carries `Vary: Accept`.
    pub vary_accept: bool,
}

/// Picks the output for a request.
///
/// `requested` is the `type` parameter; `stored` the true format of the source (for a placeholder,
/// PNG); `has_alpha` whether the source may be transparent, which breaks q-value ties toward PNG.
pub fn negotiate(
    requested: Option<OutputFormat>,
    accept: Option<&AcceptList>,
    stored: ImageFormat,
    has_alpha: bool,
) -> Negotiated {
    if let Some(format) = requested {
        return Negotiated {
            format: format.as_image_format(),
            json: false,
            vary_accept: false,
        };
    }
    // Without `type` the answer would change if an Accept header were sent: caches must know.
    let chosen = |format, json| Negotiated {
        format,
        json,
        vary_accept: true,
    };
    let Some(accept) = accept else {
        return chosen(stored, false);
    };
    if accept.quality(stored.mime_type()) > 0 {
        return chosen(stored, false);
    }
    let tie_order: [OutputFormat; 4] = if has_alpha {
        [
            OutputFormat::Png,
            OutputFormat::Jpeg,
            OutputFormat::Gif,
            OutputFormat::Tiff,
        ]
    } else {
        [
            OutputFormat::Jpeg,
            OutputFormat::Png,
            OutputFormat::Gif,
            OutputFormat::Tiff,
        ]
    };
    let mut best: Option<(u16, OutputFormat)> = None;
    for format in tie_order {
        let quality = accept.quality(format.mime_type());
        if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    if let Some((_, format)) = best {
        return chosen(format.as_image_format(), false);
    }
    if accept.quality("application/json") > 0 {
        return chosen(stored, true);
    }
    // Nothing fits: RFC 9110 lets us disregard Accept and send the stored format.
    chosen(stored, false)
}
