//! [`PersonId`]: who a photo belongs to, the key of every store and authorization check.

use std::fmt;

use crate::error::{truncate_for_message, Error};
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

    /// Parses a decimal int32: an optional `-`, then ASCII digits (leading zeros allowed, no `+`,
    /// no spaces).
    fn from_str(text: &str) -> Result<Self> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let number = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<i32>().ok()
        } else {
            None
        };
        number.map(PersonId).ok_or_else(|| {
            Error::invalid(
                "personId",
                format!(
                    "must be a decimal int32 from {} to {}, got {:?}",
                    i32::MIN,
                    i32::MAX,
                    truncate_for_message(text)
                ),
            )
        })
    }
}
