//! The plan: what rendering will do (passthrough, conversion or placeholder), decided from the
//! request and the source header alone, before any pixel is decoded. The service reads the plan
//! to compute the ETag and answer 304s and cache hits without rendering.

use bytes::Bytes;
use mime::Mime;

use super::crop::Target;
use super::decode::{self, SourceInfo, SourceStream};
use super::encode::{self, Content};
use super::negotiate::{negotiate, Negotiated, Negotiation, Preference};
use super::{
    geometry, placeholder, CaptionLanguage, Framing, PlaceholderKind, RenderOptions, RenderRequest,
    Source, Variant,
};
use crate::format::{ImageFormat, OutputFormat};
use crate::headers::Vary;
use crate::metrics::RenderInput;
use crate::observe::stage_span;
use crate::request::Dimension;
use crate::response::json_mime;
use crate::{Error, Result};

/// What rendering will do, and what the result depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    work: Work,
    negotiated: Negotiated,
    options: RenderOptions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Work {
    /// Send the stored bytes untouched: `len` of them, `None` until they are fetched (a plan
    /// made from the store's metadata answers a `HEAD`).
    Passthrough {
        bytes: Option<Bytes>,
        len: u64,
        content_type: Mime,
    },
    /// Decode, resize (and crop) and encode.
    Convert {
        bytes: Bytes,
        info: SourceInfo,
        output: OutputFormat,
        target: Target,
    },
    /// Draw a placeholder.
    Placeholder {
        kind: PlaceholderKind,
        output: OutputFormat,
        size: (u32, u32),
        /// The caption's language, when this kind at this size carries one.
        caption: Option<CaptionLanguage>,
    },
}

/// What rendering produced: the body and its media type. The caller decides every other header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub(crate) content_type: Mime,
    pub(crate) body: Bytes,
}

impl Plan {
    /// Plans `request`, whose `type` and `Accept` are read as `preference`: negotiates, probes the
    /// source header (checking the limits) and computes the output size. No pixel is decoded.
    pub(crate) fn new(request: &RenderRequest, preference: &Preference) -> Result<Self> {
        let (width, height) = (
            request.width.map(Dimension::get),
            request.height.map(Dimension::get),
        );
        let plan = |work, negotiated| Plan {
            work,
            negotiated,
            options: request.options,
        };
        match &request.source {
            Source::Placeholder { kind, language } => {
                let negotiated =
                    negotiate(preference, ImageFormat::Png).decide(kind.has_alpha(), false);
                let output = negotiated.output.unwrap_or(OutputFormat::Png);
                let size = match (kind, width, height) {
                    (PlaceholderKind::ClearPixel, Some(w), Some(h)) => (w, h),
                    (PlaceholderKind::ClearPixel, _, _) => (1, 1),
                    _ => geometry::placeholder_size(width, height),
                };
                let work = Work::Placeholder {
                    kind: *kind,
                    output,
                    size,
                    caption: placeholder::caption(*kind, size, *language),
                };
                Ok(plan(work, negotiated))
            }
            Source::Stored {
                bytes,
                declared_mime,
            } => {
                let Some(stored) = ImageFormat::sniff(bytes) else {
                    let (work, negotiated) =
                        unknown_format(request, bytes, declared_mime.as_deref())?;
                    return Ok(plan(work, negotiated));
                };
                let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                let framing = Framing::new(
                    request.width,
                    request.height,
                    request.fit,
                    request.focal_point,
                );
                let planned = Plan::stored(
                    preference,
                    framing,
                    request.options,
                    stored,
                    len,
                    Some(bytes),
                )?;
                planned.ok_or_else(|| {
                    Error::internal("planning a stored image", "its bytes were not used")
                })
            }
        }
    }

    /// Plans a stored photo of format `stored` and `len` bytes: the one rule for `GET` and `HEAD`.
    /// Negotiation and the size asked decide passthrough before the header is read; otherwise
    /// the header of `bytes` is probed (checking the limits) and decides the rest. `Ok(None)`
    /// when the header is needed and `bytes` were not fetched.
    pub(crate) fn stored(
        preference: &Preference,
        framing: Framing,
        options: RenderOptions,
        stored: ImageFormat,
        len: u64,
        bytes: Option<&Bytes>,
    ) -> Result<Option<Self>> {
        let negotiation = negotiate(preference, stored);
        let plan = |work, negotiated| Plan {
            work,
            negotiated,
            options,
        };
        let passthrough = |negotiated| {
            let work = Work::Passthrough {
                bytes: bytes.cloned(),
                len,
                content_type: stored.mime(),
            };
            Ok(Some(plan(work, negotiated)))
        };
        if let Some(negotiated) = passthrough_by_format(&negotiation, &framing, stored) {
            return passthrough(negotiated);
        }
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        // The header's facts (transparency, animation, size) decide the rest.
        let info = decode::probe(bytes, &options.limits)?;
        let negotiated = negotiation.decide(info.has_alpha, info.animated);
        let target = framing.target((info.width, info.height));
        if keeps_stored(
            &negotiated,
            stored,
            target.is_identity((info.width, info.height)),
        ) {
            return passthrough(negotiated);
        }
        let output = negotiated.output.unwrap_or(if info.has_alpha {
            OutputFormat::Png
        } else {
            OutputFormat::Jpeg
        });
        let negotiated = Negotiated {
            format: output.as_image_format(),
            output: Some(output),
            ..negotiated
        };
        let work = Work::Convert {
            bytes: bytes.clone(),
            info,
            output,
            target,
        };
        Ok(Some(plan(work, negotiated)))
    }

    /// A plan that decodes `bytes` (probed as `info`) and encodes them as `output` at `size`, even
    /// when format and size are unchanged: what an upload's ingest uses to drop metadata and
    /// downscale. Animated GIFs keep their frames.
    pub(crate) fn reencode(
        bytes: Bytes,
        info: SourceInfo,
        output: OutputFormat,
        size: (u32, u32),
        options: RenderOptions,
    ) -> Self {
        Plan {
            work: Work::Convert {
                bytes,
                info,
                output,
                target: Target::whole(size),
            },
            negotiated: Negotiated {
                format: output.as_image_format(),
                output: Some(output),
                json: false,
                vary_accept: false,
            },
            options,
        }
    }

    /// About the most memory executing the plan holds at once (see [`decode::peak_bytes`]); 0 for
    /// a passthrough.
    pub(crate) fn peak_bytes(&self) -> u64 {
        match &self.work {
            Work::Passthrough { .. } => 0,
            Work::Convert {
                info,
                output,
                target,
                ..
            } => decode::peak_bytes(info, *target, *output == OutputFormat::Gif),
            Work::Placeholder { size, .. } => u64::from(size.0) * u64::from(size.1) * 8,
        }
    }

    /// The content type and length of the response when they are known before executing, i.e.
    /// for a passthrough (JSON-wrapped or not); what a `HEAD` answers.
    pub(crate) fn head(&self) -> Option<(Mime, u64)> {
        match &self.work {
            Work::Passthrough { .. } if self.negotiated.json => {
                Some((json_mime(), self.body_len()?.div_ceil(3) * 4 + 2))
            }
            Work::Passthrough { content_type, .. } => {
                Some((content_type.clone(), self.body_len()?))
            }
            Work::Convert { .. } | Work::Placeholder { .. } => None,
        }
    }

    /// The length of the passed-through bytes.
    fn body_len(&self) -> Option<u64> {
        match self.work {
            Work::Passthrough { len, .. } => Some(len),
            _ => None,
        }
    }

    /// Whether the stored bytes will be sent unchanged.
    pub(crate) fn is_passthrough(&self) -> bool {
        matches!(self.work, Work::Passthrough { .. })
    }

    /// The request headers the answer depends on: `Accept` when it was negotiated, the language
    /// headers when a caption is drawn.
    pub(crate) fn vary(&self) -> Vary {
        let mut vary = Vary::NONE;
        if self.negotiated.vary_accept {
            vary |= Vary::ACCEPT;
        }
        if self.caption().is_some() {
            vary |= Vary::LANGUAGE;
        }
        vary
    }

    /// The language of the placeholder caption to be drawn, if any.
    pub(crate) fn caption(&self) -> Option<CaptionLanguage> {
        match self.work {
            Work::Placeholder { caption, .. } => caption,
            _ => None,
        }
    }

    /// The placeholder this plan draws, as keyed and tagged; `None` for a stored photo (whose
    /// variant is the request's, known before its bytes).
    pub(crate) fn placeholder_variant(&self) -> Option<Variant> {
        match &self.work {
            Work::Placeholder {
                kind,
                output,
                size,
                caption,
            } => Some(Variant::Placeholder {
                kind: *kind,
                output: *output,
                size: *size,
                caption: *caption,
                json: self.negotiated.json,
            }),
            Work::Passthrough { .. } | Work::Convert { .. } => None,
        }
    }

    /// Whether executing the plan can read the stored photo in order rather than whole: a
    /// conversion of a source that decodes as it is read ([`decode::reads_in_order`]), which a
    /// plan made from the photo's first bytes executes with [`Plan::execute_reading`].
    pub(crate) fn reads_in_order(&self) -> bool {
        matches!(&self.work, Work::Convert { info, .. } if decode::reads_in_order(info))
    }

    /// Does the work: decodes, resizes and encodes, draws, or passes the bytes through; wraps them
    /// in a JSON string when only JSON was acceptable.
    pub(crate) fn execute(&self) -> Result<Rendered> {
        self.execute_from(None)
    }

    /// [`Plan::execute`] for a plan that [reads in order](Plan::reads_in_order), made from the
    /// photo's first bytes: decodes the photo as `source` (from its first byte) reads it.
    pub(crate) fn execute_reading(&self, source: &mut dyn SourceStream) -> Result<Rendered> {
        if !self.reads_in_order() {
            return Err(Error::internal(
                "rendering a photo read in order",
                "the plan needs the whole photo",
            ));
        }
        self.execute_from(Some(source))
    }

    fn execute_from(&self, source: Option<&mut dyn SourceStream>) -> Result<Rendered> {
        let (content_type, body) = match &self.work {
            Work::Passthrough {
                bytes,
                content_type,
                ..
            } => {
                let bytes = bytes.clone().ok_or_else(|| {
                    Error::internal("passing a photo through", "its bytes were not fetched")
                })?;
                (content_type.clone(), bytes)
            }
            Work::Convert {
                bytes,
                info,
                output,
                target,
            } => {
                let timer = crate::metrics::Timer::start();
                let keep_animation = output.keeps_animation();
                let limits = &self.options.limits;
                let picture = {
                    let _span = stage_span!(
                        "decode",
                        format = info.format.as_str(),
                        bytes = bytes.len(),
                        width = info.width,
                        height = info.height,
                        target_width = target.size.0,
                        target_height = target.size.1,
                    );
                    match source {
                        Some(source) => decode::decode_reading(source, *target, limits)?,
                        None => decode::decode(bytes, info, *target, keep_animation, limits)?,
                    }
                };
                let encoded = encode_in_span(&picture, *output, &self.options, Content::Photo)?;
                crate::metrics::render(RenderInput::Stored(info.format), *output, timer);
                (output.mime(), exact_bytes(encoded))
            }
            Work::Placeholder {
                kind,
                output,
                size,
                caption,
            } => {
                let timer = crate::metrics::Timer::start();
                let picture = placeholder::draw(*kind, size.0, size.1, *caption);
                let encoded = encode_in_span(&picture, *output, &self.options, Content::Artwork)?;
                crate::metrics::render(RenderInput::Placeholder, *output, timer);
                (output.mime(), exact_bytes(encoded))
            }
        };
        Ok(if self.negotiated.json {
            Rendered {
                content_type: json_mime(),
                body: crate::base64::json_string_of(&body),
            }
        } else {
            Rendered { content_type, body }
        })
    }
}

/// The passthrough rule before the header is read: negotiation keeps the stored format and no size
/// is asked. Not knowing whether the photo is transparent or animated, it assumes what PNG and GIF
/// may be and a still: transparency only breaks ties among other formats, and a still only makes
/// WebP (so a conversion) more likely, so a passthrough decided here stays one once the header is
/// read.
fn passthrough_by_format(
    negotiation: &Negotiation,
    framing: &Framing,
    stored: ImageFormat,
) -> Option<Negotiated> {
    let alpha_hint = matches!(stored, ImageFormat::Png | ImageFormat::Gif);
    let negotiated = negotiation.decide(alpha_hint, false);
    keeps_stored(&negotiated, stored, !framing.asks_size()).then_some(negotiated)
}

/// The passthrough rule: the stored bytes go out as they are when negotiation keeps their format
/// and the size stays.
fn keeps_stored(negotiated: &Negotiated, stored: ImageFormat, same_size: bool) -> bool {
    negotiated.format == stored && same_size
}

/// Bytes with no known signature can only be passed through, under their declared type.
fn unknown_format(
    request: &RenderRequest,
    bytes: &Bytes,
    declared_mime: Option<&str>,
) -> Result<(Work, Negotiated)> {
    let asks_conversion =
        request.width.is_some() || request.height.is_some() || request.format.is_some();
    match declared_mime {
        Some(declared) if !asks_conversion && !bytes.is_empty() => Ok((
            Work::Passthrough {
                bytes: Some(bytes.clone()),
                len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                // A declared type that is no media type says nothing about the bytes.
                content_type: declared.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM),
            },
            Negotiated {
                format: ImageFormat::Png,
                output: None,
                json: false,
                vary_accept: request.format.is_none(),
            },
        )),
        _ => Err(Error::UnsupportedFormat {
            reason: if bytes.is_empty() {
                "the stored image is empty".to_owned()
            } else {
                "the stored bytes are not JPEG, PNG, GIF, TIFF, BMP or WebP".to_owned()
            },
        }),
    }
}

/// Encodes inside an `encode` span that records the output format, size and length.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn encode_in_span(
    picture: &super::picture::Picture,
    output: OutputFormat,
    options: &RenderOptions,
    content: Content,
) -> Result<Vec<u8>> {
    let (width, height) = picture
        .frames
        .first()
        .map_or((0, 0), |frame| frame.pixels.dimensions());
    let span = stage_span!(
        "encode",
        format = output.as_str(),
        width,
        height,
        frames = picture.frames.len(),
        bytes = tracing::field::Empty,
    );
    let encoded = encode::encode(picture, output, options, content)?;
    span.record("bytes", encoded.len());
    Ok(encoded)
}

/// Encoders reserve generously; a cached body must not pin that spare capacity (the cache
/// accounts for `len`, so capacity beyond it would escape the byte bound).
fn exact_bytes(mut encoded: Vec<u8>) -> Bytes {
    encoded.shrink_to_fit();
    Bytes::from(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::ETag;

    fn placeholder(kind: PlaceholderKind, side: u32, language: CaptionLanguage) -> Plan {
        let request = RenderRequest {
            source: Source::Placeholder { kind, language },
            ..RenderRequest::placeholder(kind)
        }
        .width(side);
        Plan::new(&request, &Preference::new(None, None)).unwrap()
    }

    #[test]
    fn the_language_keys_and_varies_only_captioned_placeholders() {
        let (german, french) = (CaptionLanguage::German, CaptionLanguage::French);
        let captioned = placeholder(PlaceholderKind::NoPhoto, 96, german);
        let tag = |plan: &Plan| ETag::for_variant(&plan.placeholder_variant().unwrap());
        assert_eq!(tag(&captioned).opaque(), "ph.no-photo:png:96x96:de");
        assert_eq!(captioned.vary(), Vary::ACCEPT | Vary::LANGUAGE);
        assert_ne!(
            tag(&captioned),
            tag(&placeholder(PlaceholderKind::NoPhoto, 96, french))
        );
        for kind in [PlaceholderKind::NoPhoto, PlaceholderKind::GenericFileIcon] {
            let side = if kind == PlaceholderKind::NoPhoto {
                95
            } else {
                400
            };
            let plan = placeholder(kind, side, german);
            assert_eq!(plan.caption(), None, "{kind:?}");
            assert_eq!(plan.vary(), Vary::ACCEPT, "{kind:?}");
            assert_eq!(tag(&plan), tag(&placeholder(kind, side, french)));
        }
        let typed = RenderRequest {
            source: Source::Placeholder {
                kind: PlaceholderKind::NoPhotoWithBorder,
                language: german,
            },
            ..RenderRequest::placeholder(PlaceholderKind::NoPhotoWithBorder)
        }
        .format(OutputFormat::Jpeg);
        let preference = Preference::new(Some(OutputFormat::Jpeg), None);
        assert_eq!(
            Plan::new(&typed, &preference).unwrap().vary(),
            Vary::LANGUAGE
        );
    }
}
