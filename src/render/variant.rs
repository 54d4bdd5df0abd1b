//! [`Variant`]: one representation the service sends, named by what determines its bytes. It keys
//! the render cache and is the one input of the entity tag ([`ETag::for_variant`]), so a 304 and a
//! cache hit are answered from the store's metadata and the request alone.
//!
//! [`ETag::for_variant`]: crate::headers::ETag::for_variant

use super::framing::FocalPoint;
use super::negotiate::Preference;
use super::{CaptionLanguage, PlaceholderKind};
use crate::format::OutputFormat;
use crate::person_id::PersonId;
use crate::request::{Dimension, Fit};

/// One representation: a stored photo as a request asks for it, a placeholder as planned, or a
/// photo's info document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Variant {
    /// A person's stored photo at `version`, at the sizes and in the format the request asks
    /// for. The request, not the output, is named: it is known before the photo is read, and with
    /// the version it determines the output.
    Photo {
        /// Whose photo.
        person: PersonId,
        /// The store's version of it.
        version: String,
        /// `w`.
        width: Option<Dimension>,
        /// `h`.
        height: Option<Dimension>,
        /// `fit`, as it applies to `width` and `height` ([`Fit::for_sides`]).
        fit: Fit,
        /// The focal point set through the API, for a `fit=cover` crop (`None` otherwise, and
        /// when none is set: a detected point is a function of the version).
        focus: Option<FocalPoint>,
        /// `type` or the `Accept` weights.
        preference: Preference,
    },
    /// A placeholder as drawn: the same for every person.
    Placeholder {
        /// Which artwork.
        kind: PlaceholderKind,
        /// The encoding.
        output: OutputFormat,
        /// Width and height.
        size: (u32, u32),
        /// The caption's language, only when one is drawn (SPEC §6).
        caption: Option<CaptionLanguage>,
        /// Wrapped in a JSON string (only JSON was acceptable).
        json: bool,
    },
    /// The info document (`…/ImageInfo`) of the photo at `version`.
    Info {
        /// The store's version of the photo.
        version: String,
        /// The focal point set through the API, which the document shows.
        focus: Option<FocalPoint>,
    },
}

impl Variant {
    /// The person whose photo this is a rendering of, if any.
    pub(crate) fn person(&self) -> Option<PersonId> {
        match self {
            Variant::Photo { person, .. } => Some(*person),
            Variant::Placeholder { .. } | Variant::Info { .. } => None,
        }
    }
}

/// The representation part of a photo variant's names, `w<w>h<h><preference>[+cover[<focus>]]`
/// (0 for a side not given; `<focus>` the 8 hex digits of the FNV-1a hash of a focal point set
/// through the API), e.g. `w64h0tjpeg`, `w64h64tjpeg+cover` or `w64h64tjpeg+cover1a2b3c4d`: the
/// entity tag and the variant tier's keys are built from it and [`version_digest`], so both
/// change exactly when the bytes may.
pub(crate) fn photo_representation(
    width: Option<Dimension>,
    height: Option<Dimension>,
    fit: Fit,
    focus: Option<FocalPoint>,
    preference: &Preference,
) -> String {
    let side = |side: Option<Dimension>| side.map_or(0, Dimension::get);
    let fit = match (fit, focus) {
        (Fit::Contain, _) => String::new(),
        (Fit::Cover, None) => "+cover".to_owned(),
        (Fit::Cover, Some(point)) => {
            format!("+cover{}", focus_digest(point))
        }
    };
    format!("w{}h{}{preference}{fit}", side(width), side(height))
}

/// The representation part of an info document's names: `info`, or `info+<focus>` with a focal
/// point set through the API (`<focus>` as in [`photo_representation`]).
pub(crate) fn info_representation(focus: Option<FocalPoint>) -> String {
    match focus {
        None => "info".to_owned(),
        Some(point) => format!("info+{}", focus_digest(point)),
    }
}

/// 8 hex digits of the FNV-1a hash of a focal point: enough to tell one person's points apart.
fn focus_digest(point: FocalPoint) -> String {
    let text = format!(
        "{} {} {} {}",
        point.left, point.top, point.width, point.height
    );
    format!("{:08x}", crate::digest::fnv1a64(text.as_bytes()) as u32)
}

/// A stored version as 16 lower-case hex digits (its FNV-1a hash): safe in a header and an
/// object key whatever characters the store's version has.
pub(crate) fn version_digest(version: &str) -> String {
    format!("{:016x}", crate::digest::fnv1a64(version.as_bytes()))
}
