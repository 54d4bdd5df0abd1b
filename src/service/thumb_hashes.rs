//! The ThumbHash of each stored photo (SPEC §7b), computed lazily from a thumbnail the first time
//! a version is asked for (or at its upload), then kept in a bounded memo keyed by person and
//! version: a new photo gets its own hash, and a forgotten one costs one more computation.

use std::sync::Arc;

use bytes::Bytes;

use super::version_memo::VersionMemo;
use super::ImageService;
use crate::person_id::PersonId;
use crate::render::{probe, thumb_hash};
use crate::store::ImageInfo;
use crate::Result;

/// A photo's hash; `None` when its bytes cannot be decoded (remembered too, so a broken photo is
/// not decoded on every call).
pub(super) type Hash = Option<Arc<[u8]>>;

/// `(person, version)` → the ThumbHash of that photo.
pub(crate) type ThumbHashes = VersionMemo<Hash>;

impl ImageService {
    /// The ThumbHash of `person`'s photo at the version `info` describes: remembered, or computed
    /// from `bytes` (the photo's, when the caller has them) or from a fetch. `Ok(None)` when the
    /// photo cannot be decoded or was replaced before it could be fetched.
    pub(super) fn thumb_hash(
        &self,
        person: PersonId,
        info: &ImageInfo,
        bytes: Option<&Bytes>,
    ) -> Result<Hash> {
        self.once_per_version(&self.thumb_hashes, person, info, bytes, |bytes| {
            self.compute_thumb_hash(bytes)
        })
    }

    /// Decodes a thumbnail of `bytes` within the render budget and hashes it.
    fn compute_thumb_hash(&self, bytes: &[u8]) -> Hash {
        let limits = &self.options.limits;
        let header = probe(bytes, limits).ok()?;
        let _reservation = self.budget.reserve(thumb_hash::peak_bytes(&header));
        thumb_hash::of_photo(bytes, &header, limits)
            .ok()
            .map(Arc::from)
    }
}
