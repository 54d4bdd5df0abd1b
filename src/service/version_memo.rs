//! A bounded memo of what was computed from one version of a person's photo (its ThumbHash, its
//! detected focus): keyed by person and version, so a new photo never meets an old answer, and
//! emptied when full, so memory stays bounded whatever is uploaded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;

use super::ImageService;
use crate::person_id::PersonId;
use crate::store::{Fetch, ImageInfo};
use crate::Result;

/// At most this many photos' answers are kept; when full, the memo starts over.
const CAPACITY: usize = 4096;

/// `(person, version)` → what was computed from that photo.
#[derive(Debug)]
pub(crate) struct VersionMemo<T> {
    found: Mutex<HashMap<(i32, String), T>>,
}

impl<T> Default for VersionMemo<T> {
    fn default() -> Self {
        VersionMemo {
            found: Mutex::default(),
        }
    }
}

impl<T: Clone> VersionMemo<T> {
    /// What was remembered for `person`'s photo at `version`.
    pub(crate) fn get(&self, person: PersonId, version: &str) -> Option<T> {
        let found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        found.get(&(person.get(), version.to_owned())).cloned()
    }

    /// Remembers `answer` for `person`'s photo at `version`.
    pub(crate) fn remember(&self, person: PersonId, version: &str, answer: T) {
        // Each change is one call: a poisoned lock holds no half-made entry.
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (person.get(), version.to_owned());
        if found.len() >= CAPACITY && !found.contains_key(&key) {
            found.clear();
        }
        found.insert(key, answer);
    }

    /// Forgets every version of `person`'s photo (after a write).
    pub(crate) fn forget_person(&self, person: PersonId) {
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        found.retain(|(owner, _), _| *owner != person.get());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl ImageService {
    /// What `compute` makes of `person`'s photo at the version `info` describes: remembered in
    /// `memo`, or computed once from `bytes` (the photo's, when the caller has them) or a fetch.
    /// `Ok(None)` when the photo was replaced before it could be fetched.
    pub(super) fn once_per_version<T: Clone>(
        &self,
        memo: &VersionMemo<Option<T>>,
        person: PersonId,
        info: &ImageInfo,
        bytes: Option<&Bytes>,
        compute: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Result<Option<T>> {
        if let Some(answer) = memo.get(person, &info.version) {
            return Ok(answer);
        }
        let (fetched, _held);
        let bytes = match bytes {
            Some(bytes) => bytes,
            None => {
                let got;
                (got, _held) = self.fetch(person, info)?;
                match got {
                    Fetch::Current(bytes) => {
                        fetched = bytes;
                        &fetched
                    }
                    Fetch::Changed => return Ok(None),
                }
            }
        };
        let answer = compute(bytes);
        memo.remember(person, &info.version, answer.clone());
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_version_and_stays_bounded() {
        let memo = VersionMemo::<Option<u8>>::default();
        memo.remember(PersonId(1), "a", Some(7));
        memo.remember(PersonId(2), "b", None);
        assert_eq!(memo.get(PersonId(1), "a"), Some(Some(7)));
        assert_eq!(memo.get(PersonId(2), "b"), Some(None));
        assert_eq!(memo.get(PersonId(1), "other"), None);
        memo.forget_person(PersonId(1));
        assert_eq!(memo.get(PersonId(1), "a"), None);
        for id in 0..(CAPACITY as i32 * 2) {
            memo.remember(PersonId(id), "v", None);
        }
        assert!(memo.len() <= CAPACITY);
    }
}
