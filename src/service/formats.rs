//! The true formats of stored photos already fetched, so a `HEAD` of a photo passed through as is
//! can be answered from the store's metadata alone.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::render::ImageFormat;

/// At most this many photos are remembered (about 100 bytes each); when full, the memo starts
/// over. A forgotten photo costs one fetch, never a wrong answer: entries are keyed by version.
const CAPACITY: usize = 4096;

/// `(person, version)` → the format the magic bytes say (`None`: not an image format we know).
#[derive(Debug, Default)]
pub(crate) struct KnownFormats {
    formats: Mutex<HashMap<(i32, String), Option<ImageFormat>>>,
}

impl KnownFormats {
    /// Remembers what the bytes of `person`'s photo at `version` are.
    pub(crate) fn remember(&self, person: i32, version: &str, format: Option<ImageFormat>) {
        // A panic cannot leave the map half-updated (each change is one call), so a poisoned
        // lock is safe to keep using.
        let mut formats = self.formats.lock().unwrap_or_else(PoisonError::into_inner);
        if formats.len() >= CAPACITY && !formats.contains_key(&(person, version.to_owned())) {
            formats.clear();
        }
        formats.insert((person, version.to_owned()), format);
    }

    /// Forgets every version of `person`'s photo (after a write).
    pub(crate) fn forget_person(&self, person: i32) {
        let mut formats = self.formats.lock().unwrap_or_else(PoisonError::into_inner);
        formats.retain(|(owner, _), _| *owner != person);
    }

    /// What the bytes of `person`'s photo at `version` are, if they were fetched before.
    pub(crate) fn get(&self, person: i32, version: &str) -> Option<Option<ImageFormat>> {
        let formats = self.formats.lock().unwrap_or_else(PoisonError::into_inner);
        formats.get(&(person, version.to_owned())).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_by_version_and_stays_bounded() {
        let known = KnownFormats::default();
        known.remember(1, "a", Some(ImageFormat::Jpeg));
        known.remember(2, "b", None);
        assert_eq!(known.get(1, "a"), Some(Some(ImageFormat::Jpeg)));
        assert_eq!(known.get(2, "b"), Some(None));
        assert_eq!(known.get(1, "other"), None);
        for id in 0..(CAPACITY as i32 * 2) {
            known.remember(id, "v", Some(ImageFormat::Png));
        }
        assert!(known.formats.lock().unwrap().len() <= CAPACITY);
    }
}
