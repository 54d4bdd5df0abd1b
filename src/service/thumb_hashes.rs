//! The ThumbHash of each stored photo (SPEC §7b), computed lazily from a thumbnail the first time
//! a version is asked for (or at its upload), then kept in a bounded memo keyed by person and
//! version: a new photo gets its own hash, and a forgotten one costs one more computation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use super::ImageService;
use crate::person_id::PersonId;
use crate::render::{probe, thumb_hash};
use crate::store::{Fetch, ImageInfo};
use crate::Result;

/// At most this many photos' hashes are kept (about 150 bytes each with the key); when full, the
/// memo starts over.
const CAPACITY: usize = 4096;

/// A photo's hash; `None` when its bytes cannot be decoded (remembered too, so a broken photo is
/// not decoded on every call).
pub(super) type Hash = Option<Arc<[u8]>>;

/// `(person, version)` → the ThumbHash of that photo.
#[derive(Debug, Default)]
pub(crate) struct ThumbHashes {
    hashes: Mutex<HashMap<(i32, String), Hash>>,
}

impl ThumbHashes {
    fn get(&self, person: PersonId, version: &str) -> Option<Hash> {
        let hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        hashes.get(&(person.get(), version.to_owned())).cloned()
    }

    fn remember(&self, person: PersonId, version: &str, hash: Hash) {
        // Each change is one call: a poisoned lock holds no half-made entry.
        let mut hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (person.get(), version.to_owned());
        if hashes.len() >= CAPACITY && !hashes.contains_key(&key) {
            hashes.clear();
        }
        hashes.insert(key, hash);
    }

    /// Forgets every version of `person`'s photo (after a write).
    pub(crate) fn forget_person(&self, person: PersonId) {
        let mut hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        hashes.retain(|(owner, _), _| *owner != person.get());
    }
}

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
        if let Some(hash) = self.thumb_hashes.get(person, &info.version) {
            return Ok(hash);
        }
        let fetched;
        let bytes = match bytes {
            Some(bytes) => bytes,
            None => match self.fetch(person, info)? {
                Fetch::Current(bytes) => {
                    fetched = bytes;
                    &fetched
                }
                Fetch::Changed => return Ok(None),
            },
        };
        let hash = self.compute_thumb_hash(bytes);
        self.thumb_hashes
            .remember(person, &info.version, hash.clone());
        Ok(hash)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_version_and_stays_bounded() {
        let memo = ThumbHashes::default();
        let hash: Hash = Some(Arc::from(&[1u8, 2, 3][..]));
        memo.remember(PersonId(1), "a", hash.clone());
        memo.remember(PersonId(2), "b", None);
        assert_eq!(memo.get(PersonId(1), "a"), Some(hash));
        assert_eq!(memo.get(PersonId(2), "b"), Some(None));
        assert_eq!(memo.get(PersonId(1), "other"), None);
        memo.forget_person(PersonId(1));
        assert_eq!(memo.get(PersonId(1), "a"), None);
        for id in 0..(CAPACITY as i32 * 2) {
            memo.remember(PersonId(id), "v", None);
        }
        assert!(memo.hashes.lock().unwrap().len() <= CAPACITY);
    }
}
