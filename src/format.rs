//! Image formats: what stored bytes are (sniffed from magic bytes) and what can be sent.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The format of stored image bytes, as read from their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// GIF (87a/89a).
    Gif,
    /// TIFF (little- or big-endian).
    Tiff,
    /// Windows bitmap.
    Bmp,
    /// WebP (lossy, lossless or extended).
    WebP,
}

impl ImageFormat {
    /// Reads the format from the first bytes of an image; `None` when no known signature matches.
    ///
    /// ```
    /// use person_image::render::ImageFormat;
    /// assert_eq!(ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
    /// assert_eq!(ImageFormat::sniff(b"hello"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            Some(ImageFormat::Tiff)
        } else if bytes.starts_with(b"BM") && bytes.len() >= 14 {
            Some(ImageFormat::Bmp)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::WebP)
        } else {
            None
        }
    }

    /// The format named by a MIME type such as `image/png` (parameters and case are ignored).
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        let essence = mime.split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(ImageFormat::Jpeg),
            "image/png" | "image/x-png" => Some(ImageFormat::Png),
            "image/gif" => Some(ImageFormat::Gif),
            "image/tiff" | "image/tif" => Some(ImageFormat::Tiff),
            "image/bmp" | "image/x-bmp" | "image/x-ms-bmp" => Some(ImageFormat::Bmp),
            "image/webp" => Some(ImageFormat::WebP),
            _ => None,
        }
    }

    /// The MIME type of this format.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Tiff => "image/tiff",
            ImageFormat::Bmp => "image/bmp",
            ImageFormat::WebP => "image/webp",
        }
    }

    /// The MIME type as a [`mime::Mime`], as responses carry it.
    pub(crate) fn mime(self) -> mime::Mime {
        match self {
            ImageFormat::Jpeg => mime::IMAGE_JPEG,
            ImageFormat::Png => mime::IMAGE_PNG,
            ImageFormat::Gif => mime::IMAGE_GIF,
            ImageFormat::Bmp => mime::IMAGE_BMP,
            ImageFormat::Tiff | ImageFormat::WebP => self
                .mime_type()
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM),
        }
    }

    /// The short lowercase name (`jpeg`, `webp`), as [`OutputFormat::as_str`] spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::Tiff => "tiff",
            ImageFormat::Bmp => "bmp",
            ImageFormat::WebP => "webp",
        }
    }

    /// The output format with the same encoding, if this build can produce it (WebP only with
    /// the `webp` feature, see [`OutputFormat::is_enabled`]).
    pub fn as_output(self) -> Option<OutputFormat> {
        match self {
            ImageFormat::Jpeg => Some(OutputFormat::Jpeg),
            ImageFormat::Png => Some(OutputFormat::Png),
            ImageFormat::Gif => Some(OutputFormat::Gif),
            ImageFormat::Tiff => Some(OutputFormat::Tiff),
            ImageFormat::WebP => Some(OutputFormat::WebP),
            ImageFormat::Bmp => None,
        }
        .filter(|output| output.is_enabled())
    }
}

/// The short name, like [`OutputFormat`]'s; [`ImageFormat::mime_type`] gives the media type.
impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format this crate can send: the values of the `type` parameter.
///
/// Every variant exists in every build; [`OutputFormat::is_enabled`] says whether this build
/// can encode it (WebP needs the `webp` feature). A request for a disabled format is a 400 that
/// names the feature, and negotiation never picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum OutputFormat {
    /// JPEG, 8-bit, no alpha (composited over the background colour).
    Jpeg,
    /// PNG, 8-bit grey/RGB with or without alpha.
    Png,
    /// GIF, up to 256 colours, binary transparency, animation kept.
    Gif,
    /// TIFF, 8-bit RGB or RGBA, lossless compression.
    Tiff,
    /// WebP (encoded only with the `webp` feature): lossy with alpha for photos, lossless for
    /// placeholders; animation kept.
    WebP,
}

impl OutputFormat {
    /// Every output format, enabled or not: the four of SPEC §4's tie-break order (JPEG, PNG,
    /// GIF, TIFF), then WebP, which negotiation weighs by its own rule (SPEC §4.1).
    /// [`OutputFormat::enabled`] gives those this build encodes.
    pub const ALL: [OutputFormat; 5] = [
        OutputFormat::Jpeg,
        OutputFormat::Png,
        OutputFormat::Gif,
        OutputFormat::Tiff,
        OutputFormat::WebP,
    ];

    /// Whether this build can encode the format: WebP only with the `webp` feature, the others
    /// always (as `image::ImageFormat::reading_enabled` says for `image`'s features).
    ///
    /// ```
    /// use person_image::OutputFormat;
    /// assert!(OutputFormat::Png.is_enabled());
    /// assert_eq!(OutputFormat::WebP.is_enabled(), cfg!(feature = "webp"));
    /// ```
    pub const fn is_enabled(self) -> bool {
        match self {
            OutputFormat::Jpeg | OutputFormat::Png | OutputFormat::Gif | OutputFormat::Tiff => true,
            OutputFormat::WebP => cfg!(feature = "webp"),
        }
    }

    /// The formats of [`OutputFormat::ALL`] this build can encode, in that order.
    pub fn enabled() -> impl Iterator<Item = OutputFormat> + Clone {
        OutputFormat::ALL
            .into_iter()
            .filter(|format| format.is_enabled())
    }

    /// The cargo feature that adds the format's encoder, `None` when it is always built.
    pub(crate) fn feature(self) -> Option<&'static str> {
        match self {
            OutputFormat::WebP => Some("webp"),
            _ => None,
        }
    }

    /// The 400 for asking a build without the format's feature for it (see
    /// [`OutputFormat::is_enabled`]): it lists what `type` accepts and names the feature.
    pub(crate) fn not_enabled(self) -> Error {
        Error::invalid(
            "type",
            format!(
                "{self} needs the `{}` feature, which this build was compiled without; it must be \
                 one of {TYPE_NAMES}",
                self.feature().unwrap_or_default(),
            ),
        )
    }

    /// The MIME type sent as `Content-Type`.
    pub fn mime_type(self) -> &'static str {
        self.as_image_format().mime_type()
    }

    /// The MIME type as a [`mime::Mime`], as responses carry it.
    pub(crate) fn mime(self) -> mime::Mime {
        self.as_image_format().mime()
    }

    /// The same format as an [`ImageFormat`].
    pub fn as_image_format(self) -> ImageFormat {
        match self {
            OutputFormat::Jpeg => ImageFormat::Jpeg,
            OutputFormat::Png => ImageFormat::Png,
            OutputFormat::Gif => ImageFormat::Gif,
            OutputFormat::Tiff => ImageFormat::Tiff,
            OutputFormat::WebP => ImageFormat::WebP,
        }
    }

    /// Whether the format keeps every frame of an animated source (GIF, and WebP); the others
    /// take the first frame.
    pub(crate) fn keeps_animation(self) -> bool {
        matches!(self, OutputFormat::Gif | OutputFormat::WebP)
    }

    /// Whether the format can carry (at least binary) transparency.
    pub fn supports_alpha(self) -> bool {
        !matches!(self, OutputFormat::Jpeg)
    }

    /// A short lowercase name (`jpeg`, `png`, `gif`, `tiff`, `webp`), as used in cache keys and
    /// file names.
    pub fn as_str(self) -> &'static str {
        self.as_image_format().as_str()
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The values `type` accepts in this build, as the 400 for any other value lists them.
const TYPE_NAMES: &str = if OutputFormat::WebP.is_enabled() {
    "JPEG, JPG, PNG, GIF, TIFF, TIF, WEBP or image/jpeg, image/png, image/gif, image/tiff, \
     image/webp"
} else {
    "JPEG, JPG, PNG, GIF, TIFF, TIF or image/jpeg, image/png, image/gif, image/tiff"
};

impl FromStr for OutputFormat {
    type Err = Error;

    /// Parses the `type` parameter: `JPEG`/`JPG`, `PNG`, `GIF`, `TIFF`/`TIF`, `WEBP` or a MIME
    /// form such as `image/png`, case-insensitively. A format this build does not encode
    /// ([`OutputFormat::is_enabled`]) is refused like an unknown one, naming its feature.
    fn from_str(value: &str) -> Result<Self, Error> {
        let lower = value.trim().to_ascii_lowercase();
        let name = lower.strip_prefix("image/").unwrap_or(&lower);
        let format = match name {
            "jpeg" | "jpg" => OutputFormat::Jpeg,
            "png" => OutputFormat::Png,
            "gif" => OutputFormat::Gif,
            "tiff" | "tif" => OutputFormat::Tiff,
            "webp" => OutputFormat::WebP,
            _ => {
                return Err(Error::invalid(
                    "type",
                    format!(
                        "must be one of {TYPE_NAMES}, got {:?}",
                        crate::error::truncate_for_message(value)
                    ),
                ))
            }
        };
        if format.is_enabled() {
            Ok(format)
        } else {
            Err(format.not_enabled())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_every_signature() {
        let cases: [(&[u8], Option<ImageFormat>); 9] = [
            (b"\xFF\xD8\xFF\xE0", Some(ImageFormat::Jpeg)),
            (b"\x89PNG\r\n\x1a\n", Some(ImageFormat::Png)),
            (b"GIF89a", Some(ImageFormat::Gif)),
            (b"GIF87a", Some(ImageFormat::Gif)),
            (b"II*\0", Some(ImageFormat::Tiff)),
            (b"MM\0*", Some(ImageFormat::Tiff)),
            (b"BM\0\0\0\0\0\0\0\0\0\0\0\0", Some(ImageFormat::Bmp)),
            (b"RIFF\0\0\0\0WEBPVP8 ", Some(ImageFormat::WebP)),
            (b"", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(ImageFormat::sniff(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn parses_type_aliases_and_mime_forms() {
        let cases = [
            ("JPEG", OutputFormat::Jpeg),
            ("jpg", OutputFormat::Jpeg),
            ("image/jpeg", OutputFormat::Jpeg),
            ("Png", OutputFormat::Png),
            ("IMAGE/PNG", OutputFormat::Png),
            ("gif", OutputFormat::Gif),
            ("TIF", OutputFormat::Tiff),
            ("tiff", OutputFormat::Tiff),
            ("image/tiff", OutputFormat::Tiff),
            ("WebP", OutputFormat::WebP),
            ("image/webp", OutputFormat::WebP),
        ];
        for (text, expected) in cases.into_iter().filter(|(_, format)| format.is_enabled()) {
            assert_eq!(text.parse::<OutputFormat>().unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn rejects_other_types_listing_the_accepted_values() {
        // Without the `webp` feature WebP is refused like an unknown type.
        #[cfg(not(feature = "webp"))]
        let others = ["quis", "bmp", "image/webp", "webp", "", "jpegg"];
        #[cfg(feature = "webp")]
        let others = ["quis", "bmp", "", "jpegg", "webpp"];
        for text in others {
            let error = text.parse::<OutputFormat>().unwrap_err();
            assert_eq!(error.status(), 400);
            let message = error.to_string();
            assert!(message.starts_with("type "), "{message}");
            assert!(
                message.contains("JPEG") && message.contains("TIFF"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_disabled_format_is_a_400_naming_its_feature() {
        for text in ["webp", "WEBP", "image/webp"] {
            let parsed = text.parse::<OutputFormat>();
            if OutputFormat::WebP.is_enabled() {
                assert_eq!(parsed.unwrap(), OutputFormat::WebP);
            } else {
                let error = parsed.unwrap_err();
                assert_eq!(error.status(), 400);
                assert!(error.to_string().contains("`webp` feature"), "{error}");
            }
        }
        assert_eq!(
            OutputFormat::enabled().count(),
            if cfg!(feature = "webp") { 5 } else { 4 }
        );
        assert_eq!(
            ImageFormat::WebP.as_output().is_some(),
            cfg!(feature = "webp")
        );
    }

    #[test]
    fn mime_round_trip() {
        for format in OutputFormat::enabled() {
            let image = ImageFormat::from_mime_type(format.mime_type()).unwrap();
            assert_eq!(image.as_output(), Some(format));
        }
    }
}
