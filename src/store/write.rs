//! [`WritableStore`]: replacing and deleting photos, atomically, for the stores that can.

use bytes::Bytes;

use super::{ImageInfo, ImageStore, MetadataWritten, PhotoMetadata};
use crate::person_id::PersonId;
use crate::Result;

/// What [`WritableStore::replace`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// The photo is stored; its metadata now (a version never used before for this person).
    Stored(ImageInfo),
    /// There is no such person; nothing was written.
    NoSuchPerson,
}

/// What [`WritableStore::delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The photo was removed; the person remains, without a photo.
    Removed,
    /// The person had no photo; nothing changed.
    HadNoImage,
    /// There is no such person; nothing changed.
    NoSuchPerson,
}

/// A store that can also replace and delete photos.
///
/// The rules, which [`check_writes`](super::check_writes) checks:
///
/// * **Atomic.** A reader sees the old photo or the new one, whole, never a mix, a partial file or
///   a moment without either; a failed write leaves the old photo as it was.
/// * **New versions.** Every replacement gets a version this person's photo never had, so no
///   cache or client can mistake the new bytes for the old.
/// * **Existing persons only.** Persons are created elsewhere (the CRM); a write for an unknown id
///   changes nothing and says so.
/// * **Concurrent writers.** Two writers at once end with one of their photos, whole.
///
/// Validating what is written (is it an image, is it within the limits, does it carry metadata
/// that should go) is the caller's business; the store keeps bytes.
pub trait WritableStore: ImageStore {
    /// Stores `bytes` as `person`'s photo, replacing any previous one (or the "no photo" mark).
    /// `declared_mime` is kept as the photo's declared type where the store records one.
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced>;

    /// Removes `person`'s photo; the person remains, without a photo.
    fn delete(&self, person: PersonId) -> Result<Deleted>;

    /// Keeps `metadata` beside `person`'s photo if it still has `version`, replacing what was
    /// kept for it (`None` removes it). Conditional like a compare-and-swap: when the photo was
    /// replaced or removed since `version` was read, nothing is written and the answer is
    /// [`MetadataWritten::Changed`]; a later replacement never shows metadata written for an
    /// earlier version ([`check_metadata`](super::check_metadata) checks both).
    ///
    /// The default keeps nothing ([`MetadataWritten::Unsupported`]).
    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        let _ = (person, version, metadata);
        Ok(MetadataWritten::Unsupported)
    }
}

impl<S: WritableStore + ?Sized> WritableStore for std::sync::Arc<S> {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced> {
        (**self).replace(person, bytes, declared_mime)
    }

    fn delete(&self, person: PersonId) -> Result<Deleted> {
        (**self).delete(person)
    }

    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        (**self).set_metadata(person, version, metadata)
    }
}
