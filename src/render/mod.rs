//! The rendering engine: from stored bytes (or a placeholder) and a negotiated output to the bytes
//! to send. Pure and synchronous: no I/O, no framework.

mod base64;
mod decode;
#[cfg(fuzzing)]
pub use decode::fuzz_jpeg_decode;
mod encode;
pub(crate) mod geometry;
mod picture;
mod placeholder;

use bytes::Bytes;

use crate::accept::AcceptList;
use crate::format::{ImageFormat, OutputFormat};
use crate::limits::Limits;
use crate::locale::Locale;
use crate::negotiate::{negotiate, Negotiated, JSON_CONTENT_TYPE};
use crate::query::Dimension;
use crate::response::ImageResponse;
use crate::{Error, Result};

use decode::SourceInfo;
pub use placeholder::PlaceholderKind;

/// How much effort PNG compression spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PngCompression {
    /// Fast compression with good results on photos (the default).
    #[default]
    Fast,
    /// The codec's default balance.
    Balanced,
    /// Smallest output, slowest.
    Best,
}

/// Output quality and safety settings of the renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Decode limits (and the largest `w`/`h`).
    pub limits: Limits,
    /// JPEG quality 1–100 (default 85; 4:2:0 subsampling).
    pub jpeg_quality: u8,
    /// PNG compression effort.
    pub png_compression: PngCompression,
    /// The colour transparent pixels are composited on for JPEG (default white).
    pub background: [u8; 3],
    /// NeuQuant speed for GIF palettes, 1 (best, slowest) to 30 (default 10).
    pub gif_speed: u8,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            limits: Limits::default(),
            jpeg_quality: 85,
            png_compression: PngCompression::Fast,
            background: [255, 255, 255],
            gif_speed: 10,
        }
    }
}

impl RenderOptions {
    /// Sets [`RenderOptions::limits`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`RenderOptions::jpeg_quality`] (clamped to 1–100).
    #[must_use]
    pub fn jpeg_quality(mut self, quality: u8) -> Self {
        self.jpeg_quality = quality.clamp(1, 100);
        self
    }

    /// Sets [`RenderOptions::png_compression`].
    #[must_use]
    pub fn png_compression(mut self, compression: PngCompression) -> Self {
        self.png_compression = compression;
        self
    }

    /// Sets [`RenderOptions::background`].
    #[must_use]
    pub fn background(mut self, rgb: [u8; 3]) -> Self {
        self.background = rgb;
        self
    }

    /// Sets [`RenderOptions::gif_speed`] (clamped to 1–30).
    #[must_use]
    pub fn gif_speed(mut self, speed: u8) -> Self {
        self.gif_speed = speed.clamp(1, 30);
        self
    }
}

/// What to render from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Stored image bytes, with the MIME type the store declared (used only when the magic bytes
    /// are unknown and the bytes are passed through).
    Stored {
        /// The bytes as stored.
        bytes: Bytes,
        /// The declared MIME type, if any.
        declared_mime: Option<String>,
    },
    /// A placeholder drawn by the crate.
    Placeholder(PlaceholderKind),
}

/// Everything `render` needs: the source and what the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderRequest {
    /// The stored image or the placeholder.
    pub source: Source,
    /// Largest width wanted (`w`).
    pub width: Option<Dimension>,
    /// Largest height wanted (`h`).
    pub height: Option<Dimension>,
    /// The `type` parameter.
    pub format: Option<OutputFormat>,
    /// The `Accept` header, if sent.
    pub accept: Option<AcceptList>,
    /// The caller's locale (placeholder captions).
    pub locale: Locale,
}

impl RenderRequest {
    /// A request for stored `bytes` as they are, with nothing asked.
    pub fn stored(bytes: impl Into<Bytes>) -> Self {
        RenderRequest {
            source: Source::Stored {
                bytes: bytes.into(),
                declared_mime: None,
            },
            width: None,
            height: None,
            format: None,
            accept: None,
            locale: Locale::default(),
        }
    }

    /// A request for a placeholder.
    pub fn placeholder(kind: PlaceholderKind) -> Self {
        RenderRequest {
            source: Source::Placeholder(kind),
            ..RenderRequest::stored(Bytes::new())
        }
    }

    /// Sets the largest width (0 = not given).
    #[must_use]
    pub fn width(mut self, pixels: u32) -> Self {
        self.width = Dimension::new(pixels);
        self
    }

    /// Sets the largest height (0 = not given).
    #[must_use]
    pub fn height(mut self, pixels: u32) -> Self {
        self.height = Dimension::new(pixels);
        self
    }

    /// Sets the output format.
    #[must_use]
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets the `Accept` header.
    #[must_use]
    pub fn accept(mut self, accept: AcceptList) -> Self {
        self.accept = Some(accept);
        self
    }
}

/// What rendering will do, decided from the request and the source header alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderPlan {
    work: Work,
    negotiated: Negotiated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Work {
    /// Send the stored bytes untouched.
    Passthrough { bytes: Bytes, content_type: String },
    /// Decode, resize and encode.
    Convert {
        bytes: Bytes,
        info: SourceInfo,
        output: OutputFormat,
        size: (u32, u32),
    },
    /// Draw a placeholder.
    Placeholder {
        kind: PlaceholderKind,
        output: OutputFormat,
        size: (u32, u32),
        locale: Locale,
    },
}

impl RenderPlan {
    /// Plans `request`: negotiates, probes the source header (checking the limits) and computes the
    /// output size. No pixel is decoded.
    pub fn new(request: &RenderRequest, options: &RenderOptions) -> Result<Self> {
        let (width, height) = (
            request.width.map(Dimension::get),
            request.height.map(Dimension::get),
        );
        match &request.source {
            Source::Placeholder(kind) => {
                let negotiated = negotiate(
                    request.format,
                    request.accept.as_ref(),
                    ImageFormat::Png,
                    kind.has_alpha(),
                );
                let output = negotiated.format.as_output().unwrap_or(OutputFormat::Png);
                let size = match (kind, width, height) {
                    (PlaceholderKind::ClearPixel, Some(w), Some(h)) => (w, h),
                    (PlaceholderKind::ClearPixel, _, _) => (1, 1),
                    _ => geometry::placeholder_size(width, height),
                };
                Ok(RenderPlan {
                    work: Work::Placeholder {
                        kind: *kind,
                        output,
                        size,
                        locale: request.locale.clone(),
                    },
                    negotiated,
                })
            }
            Source::Stored {
                bytes,
                declared_mime,
            } => {
                let Some(stored) = ImageFormat::sniff(bytes) else {
                    return Self::unknown_format(request, bytes, declared_mime.as_deref());
                };
                // Decide as much as possible before probing: passthrough needs no header at all
                // unless a size was asked.
                let alpha_hint = matches!(stored, ImageFormat::Png | ImageFormat::Gif);
                let negotiated =
                    negotiate(request.format, request.accept.as_ref(), stored, alpha_hint);
                if negotiated.format == stored && width.is_none() && height.is_none() {
                    return Ok(RenderPlan::passthrough(bytes, stored, negotiated));
                }
                let info = decode::probe(bytes, &options.limits)?;
                let negotiated = negotiate(
                    request.format,
                    request.accept.as_ref(),
                    stored,
                    info.has_alpha,
                );
                let size = geometry::fit((info.width, info.height), width, height);
                if negotiated.format == stored && size == (info.width, info.height) {
                    return Ok(RenderPlan::passthrough(bytes, stored, negotiated));
                }
                let output = negotiated.format.as_output().unwrap_or(if info.has_alpha {
                    OutputFormat::Png
                } else {
                    OutputFormat::Jpeg
                });
                let negotiated = Negotiated {
                    format: output.as_image_format(),
                    ..negotiated
                };
                Ok(RenderPlan {
                    work: Work::Convert {
                        bytes: bytes.clone(),
                        info,
                        output,
                        size,
                    },
                    negotiated,
                })
            }
        }
    }

    fn passthrough(bytes: &Bytes, stored: ImageFormat, negotiated: Negotiated) -> Self {
        RenderPlan {
            work: Work::Passthrough {
                bytes: bytes.clone(),
                content_type: stored.mime_type().to_owned(),
            },
            negotiated,
        }
    }

    /// Bytes with no known signature can only be passed through, under their declared type.
    fn unknown_format(
        request: &RenderRequest,
        bytes: &Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Self> {
        let asks_conversion =
            request.width.is_some() || request.height.is_some() || request.format.is_some();
        match declared_mime {
            Some(mime) if !asks_conversion && !bytes.is_empty() => Ok(RenderPlan {
                work: Work::Passthrough {
                    bytes: bytes.clone(),
                    content_type: mime.to_owned(),
                },
                negotiated: Negotiated {
                    format: ImageFormat::Png,
                    json: false,
                    vary_accept: request.format.is_none(),
                },
            }),
            _ => Err(Error::UnsupportedFormat {
                reason: if bytes.is_empty() {
                    "the stored image is empty".to_owned()
                } else {
                    "the stored bytes are not JPEG, PNG, GIF, TIFF, BMP or WebP".to_owned()
                },
            }),
        }
    }

    /// Whether the stored bytes will be sent unchanged.
    pub fn is_passthrough(&self) -> bool {
        matches!(self.work, Work::Passthrough { .. })
    }

    /// The negotiation result.
    pub fn negotiated(&self) -> Negotiated {
        self.negotiated
    }

    /// The normalized description of the output (format, size, JSON wrapping), stable across
    /// equivalent requests: used in ETags and cache keys.
    pub fn variant_key(&self) -> String {
        let json = if self.negotiated.json { "+json" } else { "" };
        match &self.work {
            Work::Passthrough { content_type, .. } => format!("orig:{content_type}{json}"),
            Work::Convert { output, size, .. } => {
                format!("{}:{}x{}{json}", output.name(), size.0, size.1)
            }
            Work::Placeholder {
                kind,
                output,
                size,
                locale,
            } => format!(
                "{}:{}:{}x{}:{}{json}",
                kind.name(),
                output.name(),
                size.0,
                size.1,
                locale.language.as_deref().unwrap_or("")
            ),
        }
    }

    /// Does the work: decodes, resizes and encodes (or passes through), then wraps the bytes in a
    /// 200 response with `Content-Type`, `Content-Length` and `Vary`.
    pub fn execute(&self, options: &RenderOptions) -> Result<ImageResponse> {
        let (content_type, body) = match &self.work {
            Work::Passthrough {
                bytes,
                content_type,
            } => (content_type.clone(), bytes.clone()),
            Work::Convert {
                bytes,
                info,
                output,
                size,
            } => {
                let keep_animation = *output == OutputFormat::Gif;
                let picture = decode::decode(bytes, info, *size, keep_animation, &options.limits)?;
                let encoded = encode::encode(&picture, *output, options)?;
                (output.mime_type().to_owned(), exact_bytes(encoded))
            }
            Work::Placeholder {
                kind,
                output,
                size,
                locale,
            } => {
                let picture = placeholder::draw(*kind, size.0, size.1, locale);
                let encoded = encode::encode(&picture, *output, options)?;
                (output.mime_type().to_owned(), exact_bytes(encoded))
            }
        };
        let mut response = if self.negotiated.json {
            ImageResponse::ok(JSON_CONTENT_TYPE, base64::json_string_of(&body))
        } else {
            ImageResponse::ok(content_type, body)
        };
        response.vary_accept = self.negotiated.vary_accept;
        Ok(response)
    }
}

/// Encoders reserve generously; a cached body must not pin that spare capacity (the cache
/// accounts for `len`, so capacity beyond it would escape the byte bound).
fn exact_bytes(mut encoded: Vec<u8>) -> Bytes {
    encoded.shrink_to_fit();
    Bytes::from(encoded)
}

/// A renderer with fixed options: the crate's core `render(request) -> Result<ImageResponse>`.
#[derive(Debug, Clone, Default)]
pub struct Renderer {
    options: RenderOptions,
}

impl Renderer {
    /// A renderer with `options`.
    pub fn new(options: RenderOptions) -> Self {
        Renderer { options }
    }

    /// The options in force.
    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    /// Plans the request (negotiation, header probe, geometry) without rendering.
    pub fn plan(&self, request: &RenderRequest) -> Result<RenderPlan> {
        RenderPlan::new(request, &self.options)
    }

    /// Renders `request`: passthrough, conversion or placeholder, as negotiated.
    pub fn render(&self, request: &RenderRequest) -> Result<ImageResponse> {
        self.plan(request)?.execute(&self.options)
    }
}

/// Renders `request` with the default [`RenderOptions`].
///
/// ```
/// use person_image::{render, RenderRequest};
/// let png = std::fs::read("fixtures/persons/2.png")?;
/// let response = render(&RenderRequest::stored(png.clone()))?;
/// assert_eq!(response.content_type, "image/png");
/// assert_eq!(&response.body[..], &png[..]); // passthrough: byte for byte
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render(request: &RenderRequest) -> Result<ImageResponse> {
    Renderer::default().render(request)
}
