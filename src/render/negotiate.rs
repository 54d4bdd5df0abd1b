//! Choosing what to send (SPEC §4): `type`, then `Accept`, then the stored format; with the
//! `webp` feature, WebP for clients that name it (SPEC §4.1).

use std::fmt;

use crate::format::{ImageFormat, OutputFormat};
use crate::headers::AcceptList;
use crate::response::JSON_CONTENT_TYPE;

/// The media types whose `Accept` weights negotiation reads: every stored format, then JSON.
const WEIGHED: [&str; 7] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/tiff",
    "image/bmp",
    "image/webp",
    JSON_CONTENT_TYPE,
];

/// What the request says about the output format, reduced to what negotiation reads: `type`, or
/// the `Accept` weights of the formats negotiation weighs, or nothing. Computed once per request;
/// with the stored format and the source's header it decides the output, so it also keys the
/// ETag and the render cache before the photo is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Preference {
    /// `type` was given: it decides alone.
    Type(OutputFormat),
    /// Neither `type` nor `Accept`: the stored format.
    Any,
    /// The `Accept` weights (0–1000) of [`WEIGHED`], in its order, and the weight of a member
    /// naming `image/webp` itself ([`webp_weight`]), which wildcards may match at the same
    /// q-value yet with another answer (SPEC §4.1).
    Accept {
        /// The weights of JPEG, PNG, GIF, TIFF, BMP, WebP and JSON.
        weights: [u16; 7],
        /// [`webp_weight`].
        named_webp: u16,
    },
}

impl Preference {
    /// Reads the request's `type` and `Accept`.
    pub(crate) fn new(format: Option<OutputFormat>, accept: Option<&AcceptList>) -> Self {
        match (format, accept) {
            (Some(format), _) => Preference::Type(format),
            (None, None) => Preference::Any,
            (None, Some(accept)) => Preference::Accept {
                weights: WEIGHED.map(|media_type| accept.quality(media_type)),
                named_webp: webp_weight(accept),
            },
        }
    }
}

/// The weight `Accept` gives `format` (every format is in [`WEIGHED`]).
fn weight(weights: &[u16; 7], format: ImageFormat) -> u16 {
    let index = match format {
        ImageFormat::Jpeg => 0,
        ImageFormat::Png => 1,
        ImageFormat::Gif => 2,
        ImageFormat::Tiff => 3,
        ImageFormat::Bmp => 4,
        ImageFormat::WebP => 5,
    };
    weights[index]
}

/// The normalized form keyed on: `t<type>`, `any`, or `q` and the weights joined by dots, then
/// `w<weight>` when a member names `image/webp`.
impl fmt::Display for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preference::Type(format) => write!(f, "t{format}"),
            Preference::Any => f.write_str("any"),
            Preference::Accept {
                weights,
                named_webp,
            } => {
                f.write_str("q")?;
                for (index, weight) in weights.iter().enumerate() {
                    if index > 0 {
                        f.write_str(".")?;
                    }
                    write!(f, "{weight}")?;
                }
                if *named_webp > 0 {
                    write!(f, "w{named_webp}")?;
                }
                Ok(())
            }
        }
    }
}

/// The result of negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Negotiated {
    /// The image format to send. May be a stored-only format (BMP, or WebP without the `webp`
    /// feature) when the stored bytes are sent as they are.
    pub(crate) format: ImageFormat,
    /// The format to encode when the stored bytes cannot be sent as they are (another format or
    /// size); `None` for the fallback, PNG when the image has alpha, else JPEG. WebP only when
    /// `type` or a member of `Accept` named it (SPEC §4.1): a stored WebP resized for a client that
    /// did not gets the fallback, as without the `webp` feature.
    pub(crate) output: Option<OutputFormat>,
    /// Wrap the image in a JSON string of its base64 (only `application/json` was acceptable).
    pub(crate) json: bool,
    /// The answer depends on `Accept`, so the response carries `Vary: Accept`.
    pub(crate) vary_accept: bool,
}

/// Negotiation's answer for one request and one stored format, before the source header is
/// read: what SPEC §4 chooses for an opaque and for a transparent source (transparency breaks
/// q-value ties toward PNG), and whether §4.1's WebP rule may replace it. The header's two facts
/// pick the answer ([`Negotiation::decide`]), so a request is negotiated once however many of
/// them the plan learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Negotiation {
    /// By transparency (opaque, then transparent): the weight §4 chose at and its choice.
    choices: [(u16, Negotiated); 2],
    /// The weight of a member naming `image/webp` ([`webp_weight`]); 0 when WebP is not named,
    /// not enabled, or `type` decided.
    named_webp: u16,
}

impl Negotiation {
    /// The output for a source that `has_alpha` (may be transparent) and is `animated`, which
    /// WebP never replaces unless `type` asks for it. A caller that has not read the header yet
    /// passes the most a format may be and `animated: false`: that can only make WebP more
    /// likely, so a passthrough decided without the header is still one once it is read.
    pub(crate) fn decide(&self, has_alpha: bool, animated: bool) -> Negotiated {
        let (quality, choice) = self.choices[usize::from(has_alpha)];
        // SPEC §4.1: WebP replaces what §4 chooses at weight `quality` when the client named
        // `image/webp` at a weight at least as high. Ties go to WebP: a browser sends
        // `image/webp,*/*`, where the stored JPEG is as acceptable through `*/*`, and WebP is why
        // it named the type.
        if !animated && self.named_webp > 0 && self.named_webp >= quality {
            Negotiated {
                format: ImageFormat::WebP,
                output: ImageFormat::WebP.as_output(),
                json: false,
                vary_accept: true,
            }
        } else {
            choice
        }
    }
}

/// Negotiates a request: `preference` is what it asked ([`Preference`]), `stored` the true format
/// of the source (for a placeholder, PNG). [`Negotiation::decide`] then answers for the source's
/// transparency and animation.
pub(crate) fn negotiate(preference: &Preference, stored: ImageFormat) -> Negotiation {
    let fixed = |negotiated| Negotiation {
        choices: [(0, negotiated); 2],
        named_webp: 0,
    };
    // Without `type` the answer would change if an Accept header were sent: caches must know.
    let chosen = |format: ImageFormat, json| Negotiated {
        format,
        output: format.as_output().filter(|output| !is_webp(*output)),
        json,
        vary_accept: true,
    };
    let (weights, named_webp) = match *preference {
        Preference::Type(format) => {
            return fixed(Negotiated {
                format: format.as_image_format(),
                output: Some(format),
                json: false,
                vary_accept: false,
            })
        }
        Preference::Any => return fixed(chosen(stored, false)),
        Preference::Accept {
            weights,
            named_webp,
        } => (weights, named_webp),
    };
    let stored_quality = weight(&weights, stored);
    if stored_quality > 0 {
        return Negotiation {
            choices: [(stored_quality, chosen(stored, false)); 2],
            named_webp,
        };
    }
    let choice = |tie_order: [OutputFormat; 4]| {
        let mut best: Option<(u16, OutputFormat)> = None;
        for format in tie_order {
            let quality = weight(&weights, format.as_image_format());
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, format));
            }
        }
        match best {
            Some((quality, format)) => (quality, chosen(format.as_image_format(), false)),
            // No image format is acceptable: JSON if it is, else RFC 9110 lets us disregard
            // Accept and send the stored format. A named WebP beats both.
            None => (0, chosen(stored, weights[6] > 0)),
        }
    };
    use OutputFormat::{Gif, Jpeg, Png, Tiff};
    Negotiation {
        choices: [
            choice([Jpeg, Png, Gif, Tiff]),
            choice([Png, Jpeg, Gif, Tiff]),
        ],
        named_webp,
    }
}

/// Whether `output` is WebP (never without the `webp` feature).
fn is_webp(output: OutputFormat) -> bool {
    output.as_image_format() == ImageFormat::WebP
}

/// The weight of a member of `accept` that names `image/webp` itself (no wildcard, no parameter;
/// the first such member decides), 0 when none does or without the `webp` feature.
///
/// Wildcards do not count: `*/*` and `image/*` are what SuperOffice clients and scripts send, and
/// they must keep getting the formats they get without WebP (a client that decodes WebP says so).
/// [`Preference`] keeps it beside the weights, since `*/*` and `image/webp,*/*` give `image/webp`
/// the same [`AcceptList::quality`] yet different answers.
fn webp_weight(accept: &AcceptList) -> u16 {
    if !OutputFormat::WebP.is_enabled() {
        return 0;
    }
    accept
        .ranges()
        .iter()
        .find(|range| {
            range.kind.eq_ignore_ascii_case("image")
                && range.subtype.eq_ignore_ascii_case("webp")
                && range.params.is_empty()
        })
        .map_or(0, |range| range.quality)
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
            let got =
                negotiate(&Preference::new(requested, list.as_ref()), stored).decide(alpha, false);
            assert_eq!(
                (got.format, got.json, got.vary_accept),
                (format, json, vary),
                "type={requested:?} Accept={header:?} stored={stored:?} alpha={alpha}"
            );
        }
    }

    /// SPEC §4.1 rows: (type, Accept, stored, has_alpha, animated) -> the format with the `webp`
    /// feature, and without it (where every row must answer as if WebP output did not exist).
    #[test]
    #[allow(clippy::type_complexity)]
    fn webp_rows() {
        use ImageFormat::{Gif, Jpeg, Png, WebP};
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        let firefox = "image/avif,image/webp,*/*";
        let safari =
            "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,\
                      image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
        let cases: Vec<(
            Option<&str>,
            Option<&str>,
            ImageFormat,
            bool,
            bool,
            ImageFormat,
            ImageFormat,
        )> = vec![
            // Browsers name WebP: they get it for photos, stills and placeholders alike.
            (None, Some(chrome), Jpeg, false, false, WebP, Jpeg),
            (None, Some(firefox), Jpeg, false, false, WebP, Jpeg),
            (None, Some(safari), Jpeg, false, false, WebP, Jpeg),
            (None, Some("image/webp,*/*"), Png, true, false, WebP, Png),
            (None, Some("image/webp,*/*"), Gif, true, false, WebP, Gif),
            // A stored WebP stays what it is (passthrough when no size is asked).
            (None, Some(firefox), WebP, true, false, WebP, WebP),
            (None, Some("image/png"), WebP, true, false, Png, Png),
            // An animated GIF stays GIF unless `type` asks for WebP.
            (None, Some(chrome), Gif, true, true, Gif, Gif),
            (None, Some("image/webp"), Gif, true, true, Gif, Gif),
            (
                None,
                Some("image/webp;q=0.9, image/jpeg"),
                Gif,
                false,
                true,
                Jpeg,
                Jpeg,
            ),
            // The client's weights still rule: a format it prefers beats WebP.
            (
                None,
                Some("image/jpeg, image/webp;q=0.9"),
                Jpeg,
                false,
                false,
                Jpeg,
                Jpeg,
            ),
            (
                None,
                Some("image/png, image/webp;q=0.5"),
                Jpeg,
                false,
                false,
                Png,
                Png,
            ),
            (
                None,
                Some("image/webp, image/png;q=0.5"),
                Jpeg,
                false,
                false,
                WebP,
                Png,
            ),
            // The stored format outranks other outputs even at a lower q (§4), not a higher WebP.
            (
                None,
                Some("image/webp;q=0.5, image/gif;q=0.1"),
                Gif,
                false,
                false,
                WebP,
                Gif,
            ),
            (
                None,
                Some("image/webp;q=0, */*"),
                Jpeg,
                false,
                false,
                Jpeg,
                Jpeg,
            ),
            // WebP alone: chosen rather than disregarding Accept (SPEC §4.4).
            (None, Some("image/webp"), Jpeg, false, false, WebP, Jpeg),
            (
                None,
                Some("image/webp, text/html"),
                Png,
                true,
                false,
                WebP,
                Png,
            ),
            // Wildcards alone never mean WebP: SuperOffice and scripts get the answers of §4.
            (None, Some("*/*"), Jpeg, false, false, Jpeg, Jpeg),
            (None, Some("image/*"), Png, true, false, Png, Png),
            (
                None,
                Some("image/png, image/jpeg, image/gif"),
                WebP,
                false,
                false,
                Jpeg,
                Jpeg,
            ),
            (
                None,
                Some("image/png, image/jpeg, image/gif"),
                WebP,
                true,
                false,
                Png,
                Png,
            ),
            (
                None,
                Some("image/webp;foo=bar, */*"),
                Jpeg,
                false,
                false,
                Jpeg,
                Jpeg,
            ),
            (None, None, Jpeg, false, false, Jpeg, Jpeg),
            // `type` decides alone, animation or not.
            (Some("png"), Some(chrome), Jpeg, false, false, Png, Png),
        ];
        for (requested, header, stored, alpha, animated, with_webp, without_webp) in cases {
            let list = header.map(accept);
            let requested = requested.map(|name| name.parse::<OutputFormat>().unwrap());
            let preference = Preference::new(requested, list.as_ref());
            let got = negotiate(&preference, stored).decide(alpha, animated);
            let expected = if cfg!(feature = "webp") {
                with_webp
            } else {
                without_webp
            };
            assert_eq!(
                (got.format, got.json, got.vary_accept),
                (expected, false, requested.is_none()),
                "Accept={header:?} stored={stored:?} alpha={alpha} animated={animated}"
            );
            if expected == WebP && stored != WebP {
                assert_eq!(got.output, WebP.as_output(), "Accept={header:?}");
            }
        }
    }

    /// `type=webp` (feature `webp`): WebP even for an animated GIF and a client that lists only
    /// PNG.
    #[cfg(feature = "webp")]
    #[test]
    fn type_webp_overrides_accept_and_animation() {
        let list = accept("image/png");
        let preference = Preference::new(Some(OutputFormat::WebP), Some(&list));
        let got = negotiate(&preference, ImageFormat::Gif).decide(true, true);
        assert_eq!(
            (got.format, got.json, got.vary_accept),
            (ImageFormat::WebP, false, false)
        );
    }

    /// A stored WebP that must be converted (resized) is re-encoded as WebP only for a client that
    /// named it; `*/*` or no `Accept` get the fallback, as without the `webp` feature.
    #[test]
    fn a_stored_webp_is_encoded_as_webp_only_when_named() {
        let webp = if cfg!(feature = "webp") {
            ImageFormat::WebP.as_output()
        } else {
            None
        };
        let cases = [
            (None, None),
            (Some("*/*"), None),
            (Some("image/*"), None),
            (Some("image/webp,*/*"), webp),
            (Some("image/webp"), webp),
        ];
        for (header, output) in cases {
            let list = header.map(accept);
            let preference = Preference::new(None, list.as_ref());
            let got = negotiate(&preference, ImageFormat::WebP).decide(true, false);
            assert_eq!(got.format, ImageFormat::WebP, "{header:?}");
            assert_eq!(got.output, output, "{header:?}");
        }
        // Named WebP beats wrapping the stored image in JSON (with the feature).
        let list = accept("image/webp, application/json");
        let got =
            negotiate(&Preference::new(None, Some(&list)), ImageFormat::Png).decide(true, false);
        assert_eq!(got.json, !cfg!(feature = "webp"));
    }

    #[test]
    fn webp_weight_counts_only_a_member_naming_webp() {
        let weight = |header: &str| webp_weight(&accept(header));
        let on = |q: u16| if cfg!(feature = "webp") { q } else { 0 };
        assert_eq!(weight("*/*"), 0);
        assert_eq!(weight("image/*"), 0);
        assert_eq!(weight("image/webp,*/*"), on(1000));
        assert_eq!(weight("IMAGE/WebP;q=0.7"), on(700));
        assert_eq!(weight("image/webp;q=0"), 0);
        assert_eq!(weight("image/webp;v=1, image/webp;q=0.2"), on(200));
    }
}
