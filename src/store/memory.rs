//! An in-memory [`ImageStore`](super::ImageStore), for tests and small deployments.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{
    Deleted, Fetch, ImageInfo, ImageStore, Lookup, MetadataWritten, PhotoMetadata, Replaced,
    StoredImage, WritableStore,
};
use crate::person_id::PersonId;
use crate::Result;

/// Photos held in memory.
///
/// Thread-safe: share it behind an `Arc` and keep inserting while requests are served.
///
/// ```
/// use person_image::PersonId;
/// use person_image::store::{ImageStore, InMemory, Lookup};
///
/// let store = InMemory::new()
///     .with_image(PersonId(7), &b"\xFF\xD8\xFF"[..])
///     .with_person_without_image(PersonId(8));
/// assert!(matches!(store.lookup(PersonId(7))?, Lookup::Found(_)));
/// assert_eq!(store.lookup(PersonId(8))?, Lookup::NoImage);
/// assert_eq!(store.lookup(PersonId(9))?, Lookup::NoSuchPerson);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct InMemory {
    people: RwLock<HashMap<PersonId, Entry>>,
    /// Counts [`WritableStore::replace`] calls, so each gets a version of its own.
    writes: AtomicU64,
}

/// One person's record: a photo with what is kept beside it (which a new photo replaces), or
/// none.
#[derive(Debug, Clone)]
enum Entry {
    Image(StoredImage, Option<PhotoMetadata>),
    NoImage,
}

impl InMemory {
    /// An empty store: every lookup answers [`Lookup::NoSuchPerson`].
    pub fn new() -> Self {
        InMemory::default()
    }

    /// Stores `bytes` as `person`'s photo, replacing any previous one.
    ///
    /// The version is a 64-bit FNV-1a hash of the bytes (so it changes whenever the bytes do), the
    /// modification time is now, and no MIME type is declared (the magic bytes decide).
    pub fn insert(&self, person: PersonId, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        let image = StoredImage {
            version: content_version(&bytes),
            bytes,
            declared_mime: None,
            modified: Some(SystemTime::now()),
        };
        self.insert_image(person, image);
    }

    /// Stores `image` exactly as given (its version, MIME type and time are kept).
    pub fn insert_image(&self, person: PersonId, image: StoredImage) {
        self.write(person, Some(Entry::Image(image, None)));
    }

    /// Records `person` as existing without a photo, removing any photo they had.
    pub fn insert_without_image(&self, person: PersonId) {
        self.write(person, Some(Entry::NoImage));
    }

    /// Forgets `person` entirely; returns whether they were known.
    pub fn remove(&self, person: PersonId) -> bool {
        self.write(person, None)
    }

    /// Builder form of [`InMemory::insert`].
    #[must_use]
    pub fn with_image(self, person: PersonId, bytes: impl Into<Bytes>) -> Self {
        self.insert(person, bytes);
        self
    }

    /// Builder form of [`InMemory::insert_image`].
    #[must_use]
    pub fn with_stored_image(self, person: PersonId, image: StoredImage) -> Self {
        self.insert_image(person, image);
        self
    }

    /// Builder form of [`InMemory::insert_without_image`].
    #[must_use]
    pub fn with_person_without_image(self, person: PersonId) -> Self {
        self.insert_without_image(person);
        self
    }

    /// How many persons the store knows, with or without a photo.
    pub fn len(&self) -> usize {
        self.people
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the store knows no person at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn write(&self, person: PersonId, entry: Option<Entry>) -> bool {
        // A panic while holding the lock cannot leave the map half-updated (every write is one
        // `insert`/`remove`), so a poisoned lock is safe to keep using.
        let mut people = self.people.write().unwrap_or_else(PoisonError::into_inner);
        match entry {
            Some(entry) => people.insert(person, entry).is_some(),
            None => people.remove(&person).is_some(),
        }
    }
}

impl ImageStore for InMemory {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        let people = self.people.read().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get(&person) {
            Some(Entry::Image(image, _)) => Lookup::Found(image.info()),
            Some(Entry::NoImage) => Lookup::NoImage,
            None => Lookup::NoSuchPerson,
        })
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        let people = self.people.read().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get(&person) {
            Some(Entry::Image(image, _)) if image.version == info.version => {
                Fetch::Current(image.bytes.clone())
            }
            _ => Fetch::Changed,
        })
    }

    /// A map behind a lock held for a clone of its entry: it never waits on anything else.
    fn returns_within(&self, _deadline: Duration) -> bool {
        true
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        let people = self.people.read().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get(&person) {
            Some(Entry::Image(image, metadata)) if image.version == info.version => *metadata,
            _ => None,
        })
    }

    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        let people = self.people.read().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get(&person) {
            Some(Entry::Image(image, metadata)) => (Lookup::Found(image.info()), *metadata),
            Some(Entry::NoImage) => (Lookup::NoImage, None),
            None => (Lookup::NoSuchPerson, None),
        })
    }
}

/// Replacing and deleting through the [`WritableStore`] contract: only known persons, and every
/// replacement gets a version of its own (`<content hash>-w<n>`), even when the same bytes come
/// back.
impl WritableStore for InMemory {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced> {
        let mut people = self.people.write().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = people.get_mut(&person) else {
            return Ok(Replaced::NoSuchPerson);
        };
        let write = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let image = StoredImage {
            version: format!("{}-w{write}", content_version(&bytes)),
            bytes,
            declared_mime: declared_mime.map(str::to_owned),
            modified: Some(SystemTime::now()),
        };
        let info = image.info();
        *entry = Entry::Image(image, None);
        Ok(Replaced::Stored(info))
    }

    fn delete(&self, person: PersonId) -> Result<Deleted> {
        let mut people = self.people.write().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get_mut(&person) {
            None => Deleted::NoSuchPerson,
            Some(Entry::NoImage) => Deleted::HadNoImage,
            Some(entry) => {
                *entry = Entry::NoImage;
                Deleted::Removed
            }
        })
    }

    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        let mut people = self.people.write().unwrap_or_else(PoisonError::into_inner);
        Ok(match people.get_mut(&person) {
            None => MetadataWritten::NoSuchPerson,
            Some(Entry::Image(image, kept)) if image.version == version => {
                *kept = metadata.copied().filter(|metadata| !metadata.is_empty());
                MetadataWritten::Stored
            }
            Some(_) => MetadataWritten::Changed,
        })
    }
}

/// A version tag derived from content: the 64-bit FNV-1a hash of `bytes`, as 16 hex digits.
pub(crate) fn content_version(bytes: &[u8]) -> String {
    format!("{:016x}", crate::digest::fnv1a64(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_values() {
        assert_eq!(content_version(b""), "cbf29ce484222325");
        assert_eq!(content_version(b"a"), "af63dc4c8601ec8c");
        assert_eq!(content_version(b"foobar"), "85944171f73967e8");
    }

    #[test]
    fn replacing_an_image_changes_its_version() {
        let store = InMemory::new().with_image(PersonId(1), &b"one"[..]);
        let Ok(Lookup::Found(first)) = store.lookup(PersonId(1)) else {
            panic!("expected an image");
        };
        store.insert(PersonId(1), &b"two"[..]);
        let Ok(Lookup::Found(second)) = store.lookup(PersonId(1)) else {
            panic!("expected an image");
        };
        assert_ne!(first.version, second.version);
        assert_eq!(store.fetch(PersonId(1), &first).unwrap(), Fetch::Changed);
        let two = Fetch::Current(Bytes::from_static(b"two"));
        assert_eq!(store.fetch(PersonId(1), &second).unwrap(), two);
    }

    #[test]
    fn people_can_lose_their_photo_and_be_removed() {
        let store = InMemory::new().with_image(PersonId(1), &b"x"[..]);
        store.insert_without_image(PersonId(1));
        assert!(matches!(store.lookup(PersonId(1)), Ok(Lookup::NoImage)));
        assert!(store.remove(PersonId(1)));
        assert!(!store.remove(PersonId(1)));
        assert!(matches!(
            store.lookup(PersonId(1)),
            Ok(Lookup::NoSuchPerson)
        ));
        assert!(store.is_empty());
    }

    #[test]
    fn a_poisoned_lock_does_not_break_the_store() {
        let store = std::sync::Arc::new(InMemory::new().with_image(PersonId(1), &b"x"[..]));
        let poisoner = std::sync::Arc::clone(&store);
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.people.write();
            panic!("poison the lock");
        })
        .join();
        assert!(matches!(store.lookup(PersonId(1)), Ok(Lookup::Found(_))));
        store.insert_without_image(PersonId(2));
        assert_eq!(store.len(), 2);
    }
}
