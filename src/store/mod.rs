//! Where photos come from: the [`ImageStore`] trait, its reference implementations and the
//! conformance suite every store runs.
//!
//! A store answers in two steps, so a request pays only for what it needs: [`ImageStore::lookup`]
//! returns what is known *about* a person's photo ([`ImageInfo`]: version, modification time,
//! declared type, length) without reading it, and [`ImageStore::fetch`] returns the bytes of
//! exactly that version. A `304 Not Modified`, a render-cache hit and a `HEAD` never fetch; a
//! miss fetches once, or opens the photo ([`ImageStore::open`]) when its render can decode it as
//! it reads it, so a large PNG costs the render a band of its bytes, not all of them.

#[cfg(feature = "object-store")]
mod bridge;
mod conformance;
mod directory;
#[cfg(feature = "object-store")]
mod lease;
mod memory;
mod metadata;
#[cfg(feature = "object-store")]
mod object;
#[cfg(feature = "object-store")]
mod object_body;
mod reader;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "object-store")]
mod url;
#[cfg(feature = "object-store")]
mod variants;
mod write;

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::person_id::PersonId;
use crate::Result;

pub use conformance::{
    check_conformance, check_metadata, check_replaced_between_calls, check_writes,
    ConformanceFixture,
};
pub use directory::Directory;
pub use memory::InMemory;
pub(crate) use metadata::{decode_sidecar, encode_sidecar};
#[cfg(feature = "sqlite")]
pub(crate) use metadata::{focal_from_text, focal_to_text};
pub use metadata::{MetadataWritten, PhotoMetadata};
#[cfg(feature = "object-store")]
pub use object::Bucket;
pub use reader::{Opened, PhotoReader};
#[cfg(feature = "sqlite")]
pub use sqlite::{ImportSummary, Sqlite};
#[cfg(feature = "object-store")]
pub use url::open_url;
#[cfg(feature = "object-store")]
pub(crate) use variants::{Claimed, Stored};
#[cfg(feature = "object-store")]
pub use variants::{SweepReport, TierStats, VariantTier};
pub use write::{Deleted, Replaced, WritableStore};

/// The default cap on one stored photo, 50 MiB: the render side's default source-bytes limit.
pub(crate) const DEFAULT_MAX_BYTES: u64 = crate::limits::DEFAULT_MAX_SOURCE_BYTES;

/// The error every store gives for a photo over its byte cap (422, like the render-side limit).
pub(crate) fn source_too_large(max: u64, actual: u64) -> crate::Error {
    crate::Error::LimitExceeded {
        limit: crate::LimitKind::SourceBytes,
        max,
        actual,
    }
}

/// What a store knows about a stored photo without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    /// A tag that changes whenever the bytes change (a row version, an object ETag, a file's
    /// identity and times). Used in the response's `ETag` and in cache keys.
    pub version: String,
    /// The length of the photo in bytes.
    pub len: u64,
    /// The MIME type the store declares, if any. The magic bytes win when they disagree.
    pub declared_mime: Option<String>,
    /// When the photo was last changed, if known (sent as `Last-Modified`).
    pub modified: Option<SystemTime>,
}

/// A stored photo with its bytes: what [`InMemory`] is filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// The bytes as stored. Returned unchanged on passthrough (zero-copy).
    pub bytes: Bytes,
    /// The MIME type the store declares, if any. The magic bytes win when they disagree.
    pub declared_mime: Option<String>,
    /// A tag that changes whenever the bytes change.
    pub version: String,
    /// When the photo was last changed, if known.
    pub modified: Option<SystemTime>,
}

impl StoredImage {
    /// The photo's metadata.
    pub fn info(&self) -> ImageInfo {
        ImageInfo {
            version: self.version.clone(),
            len: self.bytes.len() as u64,
            declared_mime: self.declared_mime.clone(),
            modified: self.modified,
        }
    }
}

/// What a store knows about one person's photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The person has a photo; fetch its bytes with [`ImageStore::fetch`].
    Found(ImageInfo),
    /// The person exists but has no photo.
    NoImage,
    /// There is no such person.
    NoSuchPerson,
}

/// The answer to [`ImageStore::fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// The bytes of exactly the version that was asked for.
    Current(Bytes),
    /// What is stored now is not that version (the photo was replaced or removed since the
    /// lookup). The caller looks up again; it never serves other bytes under the old version.
    Changed,
}

/// A source of person photos.
///
/// Synchronous on purpose: rendering is CPU-bound and callers run the whole request on a blocking
/// pool. A store must return failures as errors ([`crate::Error::store`]), never as
/// [`Lookup::NoImage`]. Run [`check_conformance`] and [`check_replaced_between_calls`] from your
/// store's tests.
///
/// The two steps let a request skip the bytes when it can; implement each the cheap way your
/// backend allows (a `stat`, a query without the blob column, an object `HEAD`). The one rule
/// that keeps caches honest: `fetch` returns bytes only when they are the asked version, and
/// [`Fetch::Changed`] otherwise, checked against what it actually read (the open file, the row,
/// the object's `If-Match`), not against an earlier look.
pub trait ImageStore: Send + Sync {
    /// What is stored for `person`, without reading the photo itself. A photo over the store's
    /// byte cap is refused here ([`crate::Error::LimitExceeded`]), before anything is read.
    fn lookup(&self, person: PersonId) -> Result<Lookup>;

    /// The bytes of `person`'s photo as described by `info` (from [`ImageStore::lookup`]), or
    /// [`Fetch::Changed`] when what is stored now has another version or is gone.
    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch>;

    /// [`ImageStore::fetch`], for a render that may read the photo in order as it decodes
    /// (a non-interlaced PNG): [`Opened::Reading`] lets it hold a band of a large photo instead
    /// of the whole of it. The same rule as `fetch` holds: the reader reads exactly the version
    /// `info` describes, checked against what was opened, or the answer is [`Opened::Changed`].
    /// The service reads the first bytes within the store deadline, and each later read too, so
    /// a reader that stalls is a `503` like a stalled call.
    ///
    /// The default fetches the bytes whole ([`Opened::Current`]): right for a store that holds
    /// photos in memory, or reads them whole anyway. [`Directory`] opens the file.
    fn open(&self, person: PersonId, info: &ImageInfo) -> Result<Opened> {
        Ok(match self.fetch(person, info)? {
            Fetch::Current(bytes) => Opened::Current(bytes),
            Fetch::Changed => Opened::Changed,
        })
    }

    /// Whether every call of this store returns by itself within `deadline`, because it never
    /// waits ([`InMemory`]) or enforces such a deadline itself (`Bucket`, feature
    /// `object-store`, with its `with_deadline`, answering
    /// [`Error::StoreUnavailable`](crate::Error::StoreUnavailable)).
    /// Such a store is called on the request's own thread. For the others (the default, `false`:
    /// a file system can hang on a lost mount, a database on a lock) the service runs each call
    /// on its bounded pool of store threads and stops waiting at the deadline
    /// ([`ImageServiceBuilder::store_deadline`](crate::ImageServiceBuilder::store_deadline)).
    fn returns_within(&self, deadline: Duration) -> bool {
        let _ = deadline;
        false
    }

    /// The metadata kept beside `person`'s photo at the version `info` describes (see
    /// [`WritableStore::set_metadata`]); `None` when there is none, or it was written for another
    /// version. Only `fit=cover` renders and the info call ask, so it may cost a small read.
    ///
    /// The default keeps nothing: a store written before metadata existed answers `None`.
    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        let _ = (person, info);
        Ok(None)
    }

    /// [`ImageStore::lookup`] and, when it finds a photo, [`ImageStore::metadata`] of that
    /// version, in one call: what a `fit=cover` request needs before its cache lookup, so a
    /// cached cover crop costs one store call like any other cache hit.
    ///
    /// The default makes the two calls in turn. A store that keeps the metadata with the photo
    /// (a map entry, a row) or can read both at once (two concurrent requests) overrides it.
    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        let found = self.lookup(person)?;
        let metadata = match &found {
            Lookup::Found(info) => self.metadata(person, info)?,
            Lookup::NoImage | Lookup::NoSuchPerson => None,
        };
        Ok((found, metadata))
    }
}

impl<S: ImageStore + ?Sized> ImageStore for std::sync::Arc<S> {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        (**self).lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        (**self).fetch(person, info)
    }

    fn open(&self, person: PersonId, info: &ImageInfo) -> Result<Opened> {
        (**self).open(person, info)
    }

    fn returns_within(&self, deadline: Duration) -> bool {
        (**self).returns_within(deadline)
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        (**self).metadata(person, info)
    }

    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        (**self).lookup_with_metadata(person)
    }
}

impl<S: ImageStore + ?Sized> ImageStore for Box<S> {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        (**self).lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        (**self).fetch(person, info)
    }

    fn open(&self, person: PersonId, info: &ImageInfo) -> Result<Opened> {
        (**self).open(person, info)
    }

    fn returns_within(&self, deadline: Duration) -> bool {
        (**self).returns_within(deadline)
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        (**self).metadata(person, info)
    }

    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        (**self).lookup_with_metadata(person)
    }
}
