//! Where photos come from: the [`ImageStore`] trait and its reference implementations.

mod conformance;
mod directory;
mod memory;
#[cfg(feature = "object-store")]
mod object;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::time::SystemTime;

use bytes::Bytes;

use crate::person_id::PersonId;
use crate::Result;

pub use conformance::{check_conformance, ConformanceFixture};
pub use directory::Directory;
pub use memory::InMemory;
#[cfg(feature = "object-store")]
pub use object::Bucket;
#[cfg(feature = "sqlite")]
pub use sqlite::{ImportSummary, Sqlite};

/// The error every store gives for a photo over its byte cap (422, like the render-side limit).
pub(crate) fn source_too_large(max: u64, actual: u64) -> crate::Error {
    crate::Error::LimitExceeded {
        limit: crate::LimitKind::SourceBytes,
        max,
        actual,
    }
}

/// A stored photo, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// The bytes as stored. Returned unchanged on passthrough (zero-copy).
    pub bytes: Bytes,
    /// The MIME type the store declares, if any. The magic bytes win when they disagree.
    pub declared_mime: Option<String>,
    /// A tag that changes whenever the bytes change (a row version, a hash, an object ETag).
    /// Used in the response's `ETag` and in cache keys.
    pub version: String,
    /// When the photo was last changed, if known (sent as `Last-Modified`).
    pub modified: Option<SystemTime>,
}

/// What a store knows about one person's photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The person has this photo.
    Found(StoredImage),
    /// The person exists but has no photo.
    NoImage,
    /// There is no such person.
    NoSuchPerson,
}

/// A source of person photos.
///
/// Synchronous on purpose: rendering is CPU-bound and callers run the whole request on a blocking
/// pool. A store must return failures as errors ([`crate::Error::store`]), never as
/// [`Lookup::NoImage`]. Run [`check_conformance`] from your store's tests.
pub trait ImageStore: Send + Sync {
    /// Looks up the photo of `person`.
    fn load(&self, person: PersonId) -> Result<Lookup>;
}

impl<S: ImageStore + ?Sized> ImageStore for std::sync::Arc<S> {
    fn load(&self, person: PersonId) -> Result<Lookup> {
        (**self).load(person)
    }
}

impl<S: ImageStore + ?Sized> ImageStore for Box<S> {
    fn load(&self, person: PersonId) -> Result<Lookup> {
        (**self).load(person)
    }
}
