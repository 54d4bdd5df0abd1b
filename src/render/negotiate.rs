//! Choosing what to send (SPEC §4): `type`, then `Accept`, then the stored format.

use crate::format::{ImageFormat, OutputFormat};
use crate::headers::AcceptList;
use crate::response::JSON_CONTENT_TYPE;

/// The result of negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Negotiated {
    /// The image format to produce. May be a stored-only format (BMP, WebP) when the stored bytes
    /// are sent as they are.
    pub(crate) format: ImageFormat,
    /// Wrap the image in a JSON string of its base64 (only `application/json` was acceptable).
    pub(crate) json: bool,
    /// The answer depends on `Accept`, so the response carries `Vary: Accept`.
    pub(crate) vary_accept: bool,
}

/// Picks the output for a request.
///
/// `requested` is the `type` parameter; `stored` the true format of the source (for a placeholder,
/// PNG); `has_alpha` whether the source may be transparent, which breaks q-value ties toward PNG.
pub(crate) fn negotiate(
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
    if accept.quality(JSON_CONTENT_TYPE) > 0 {
        return chosen(stored, true);
    }
    // Nothing fits: RFC 9110 lets us disregard Accept and send the stored format.
    chosen(stored, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(header: &str) -> AcceptList {
        AcceptList::parse([header.as_bytes()])
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn spec_section_4_table() {
        use ImageFormat::{Gif, Jpeg, Png, Tiff, WebP};
        // (type, Accept, stored, has_alpha) -> (format, json, vary)
        let cases: Vec<(
            Option<OutputFormat>,
            Option<&str>,
            ImageFormat,
            bool,
            (ImageFormat, bool, bool),
        )> = vec![
            (
                Some(OutputFormat::Gif),
                Some("image/png"),
                Jpeg,
                false,
                (Gif, false, false),
            ),
            (
                Some(OutputFormat::Tiff),
                None,
                Png,
                true,
                (Tiff, false, false),
            ),
            (None, None, Jpeg, false, (Jpeg, false, true)),
            (None, None, WebP, false, (WebP, false, true)),
            (None, Some("image/jpeg"), Jpeg, false, (Jpeg, false, true)),
            (None, Some("image/png"), Jpeg, false, (Png, false, true)),
            (None, Some("*/*"), Png, true, (Png, false, true)),
            (None, Some("image/*"), Gif, false, (Gif, false, true)),
            // The stored format wins when acceptable, even at a lower q.
            (
                None,
                Some("image/png, image/gif;q=0.1"),
                Gif,
                false,
                (Gif, false, true),
            ),
            // Otherwise the highest q among the outputs.
            (
                None,
                Some("image/gif;q=0.9, image/png;q=0.5"),
                WebP,
                true,
                (Gif, false, true),
            ),
            // Ties: PNG first for alpha, JPEG first otherwise.
            (
                None,
                Some("image/png, image/jpeg, image/gif"),
                WebP,
                true,
                (Png, false, true),
            ),
            (
                None,
                Some("image/png, image/jpeg, image/gif"),
                WebP,
                false,
                (Jpeg, false, true),
            ),
            (
                None,
                Some("image/tiff, image/gif"),
                WebP,
                false,
                (Gif, false, true),
            ),
            // q=0 excludes.
            (
                None,
                Some("image/*, image/jpeg;q=0"),
                Jpeg,
                false,
                (Png, false, true),
            ),
            // Only JSON acceptable: the stored format, base64 in a JSON string.
            (
                None,
                Some("application/json"),
                Png,
                false,
                (Png, true, true),
            ),
            (
                None,
                Some("application/json; charset=utf-8"),
                Jpeg,
                false,
                (Jpeg, true, true),
            ),
            (None, Some("application/*"), Jpeg, false, (Jpeg, true, true)),
            // Nothing acceptable: Accept disregarded, stored format.
            (
                None,
                Some("aplication/json"),
                Jpeg,
                false,
                (Jpeg, false, true),
            ),
            (None, Some("text/html"), Gif, false, (Gif, false, true)),
            (None, Some(""), Png, false, (Png, false, true)),
        ];
        for (requested, header, stored, alpha, (format, json, vary)) in cases {
            let list = header.map(accept);
            let got = negotiate(requested, list.as_ref(), stored, alpha);
            assert_eq!(
                (got.format, got.json, got.vary_accept),
                (format, json, vary),
                "type={requested:?} Accept={header:?} stored={stored:?} alpha={alpha}"
            );
        }
    }
}
