//! [`RenderRequest`]: what to render from, what the caller asked for, and with which options.

use bytes::Bytes;

use super::{CaptionLanguage, FocalPoint, PlaceholderKind, RenderOptions};
use crate::format::OutputFormat;
use crate::headers::AcceptList;
use crate::request::{Dimension, Fit};

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
    Placeholder {
        /// Which artwork.
        kind: PlaceholderKind,
        /// The language of the "no photo" caption. Only silhouettes large enough to read it carry
        /// one, so for every other placeholder the language changes nothing (not even the ETag).
        language: CaptionLanguage,
    },
}

/// Everything [`render`](super::render) needs: the source, what the caller asked for, and the
/// options to render with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderRequest {
    /// The stored image or the placeholder.
    pub source: Source,
    /// Largest width wanted (`w`).
    pub width: Option<Dimension>,
    /// Largest height wanted (`h`).
    pub height: Option<Dimension>,
    /// How the picture fills `width`×`height` (`fit`; [`Fit::Cover`] crops to exactly that box).
    pub fit: Fit,
    /// The region a [`Fit::Cover`] crop keeps; `None` for [`FocalPoint::upper_centre`].
    pub focal_point: Option<FocalPoint>,
    /// The `type` parameter.
    pub format: Option<OutputFormat>,
    /// The `Accept` header, if sent.
    pub accept: Option<AcceptList>,
    /// Quality, compression and limits.
    pub options: RenderOptions,
}

impl RenderRequest {
    /// A request for stored `bytes` as they are, with nothing asked and default options.
    pub fn stored(bytes: impl Into<Bytes>) -> Self {
        RenderRequest::from_source(Source::Stored {
            bytes: bytes.into(),
            declared_mime: None,
        })
    }

    /// A request for a placeholder, captioned in English where it has a caption (set
    /// [`Source::Placeholder`]'s `language` for another).
    pub fn placeholder(kind: PlaceholderKind) -> Self {
        RenderRequest::from_source(Source::Placeholder {
            kind,
            language: CaptionLanguage::English,
        })
    }

    fn from_source(source: Source) -> Self {
        RenderRequest {
            source,
            width: None,
            height: None,
            fit: Fit::Contain,
            focal_point: None,
            format: None,
            accept: None,
            options: RenderOptions::default(),
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

    /// Sets how the picture fills the box (default [`Fit::Contain`]).
    ///
    /// ```
    /// use person_image::render::RenderRequest;
    /// use person_image::request::Fit;
    /// let portrait = std::fs::read("fixtures/persons/1.jpg")?; // 1200×1800
    /// let avatar = person_image::render(
    ///     &RenderRequest::stored(portrait).width(48).height(48).fit(Fit::Cover),
    /// )?;
    /// let picture = image::load_from_memory(&avatar.body)?;
    /// assert_eq!((picture.width(), picture.height()), (48, 48));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn fit(mut self, fit: Fit) -> Self {
        self.fit = fit;
        self
    }

    /// Sets the region a [`Fit::Cover`] crop keeps, in pixels of the photo as displayed.
    #[must_use]
    pub fn focal_point(mut self, focal_point: FocalPoint) -> Self {
        self.focal_point = Some(focal_point);
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

    /// Sets the options (default [`RenderOptions::default`]).
    #[must_use]
    pub fn options(mut self, options: RenderOptions) -> Self {
        self.options = options;
        self
    }
}
