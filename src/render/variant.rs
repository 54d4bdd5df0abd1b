//! [`Variant`]: one representation the service sends, named by what determines its bytes. It keys
//! the render cache and is the one input of the entity tag ([`ETag::for_variant`]), so a 304 and a
//! cache hit are answered from the store's metadata and the request alone.
//!
//! [`ETag::for_variant`]: crate::headers::ETag::for_variant

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

/// The representation part of a photo variant's names, `w<w>h<h><preference>[+cover]` (0 for a
/// side not given), e.g. `w64h0tjpeg` or `w64h64tjpeg+cover`: the entity tag and the variant
/// tier's keys are built from it and [`version_digest`], so both change exactly when the bytes
/// may.
pub(crate) fn photo_representation(
    width: Option<Dimension>,
    height: Option<Dimension>,
    fit: Fit,
    preference: &Preference,
) -> String {
    let side = |side: Option<Dimension>| side.map_or(0, Dimension::get);
    let fit = match fit {
        Fit::Contain => "",
        Fit::Cover => "+cover",
    };
    format!("w{}h{}{preference}{fit}", side(width), side(height))
}

/// A stored version as 16 lower-case hex digits (its FNV-1a hash): safe in a header and an
/// object key whatever characters the store's version has.
pub(crate) fn version_digest(version: &str) -> String {
    format!("{:016x}", crate::digest::fnv1a64(version.as_bytes()))
}
