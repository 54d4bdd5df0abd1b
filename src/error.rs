//! The one error type of the crate, and the HTTP status each failure maps to.

use std::fmt;

/// A boxed error from a dependency or a user-supplied store or authenticator.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while serving a person's image.
///
/// Each variant knows its HTTP status ([`Error::status`]); the message ([`Display`](fmt::Display))
/// is one line, safe to show to the caller, and never contains a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A path or query parameter is invalid (400).
    #[error("{name} {reason}")]
    InvalidParameter {
        /// The parameter's name as documented (`w`, `h`, `type`, `ifBlank`, `personId`).
        name: &'static str,
        /// What was wrong and what is allowed, e.g. "must be a positive integer up to 4096, got -3".
        reason: String,
    },
    /// No credentials, malformed credentials, rejected credentials, or a failed XSRF check (401).
    #[error("Unauthenticated: {reason}")]
    Unauthenticated {
        /// Why; never contains the secret itself.
        reason: String,
    },
    /// Authenticated, but not allowed to see this person (403).
    #[error("Forbidden: {reason}")]
    Forbidden {
        /// Why access was refused.
        reason: String,
    },
    /// The request path is not `/api/v1/Person/{personId}/Image` (404).
    #[error("No such endpoint")]
    NoRoute,
    /// The person does not exist (404, whatever `ifBlank` says).
    #[error("Person not found")]
    PersonNotFound,
    /// The person has no image and no placeholder was asked for (404).
    #[error("Image not found")]
    ImageNotFound,
    /// The stored image is over a configured limit (422).
    #[error("stored image exceeds the {limit} limit: {actual} > {max}")]
    LimitExceeded {
        /// Which limit: "source bytes", "source pixels", "frames" or "side".
        limit: &'static str,
        /// The configured maximum.
        max: u64,
        /// What the image declares or holds.
        actual: u64,
    },
    /// The stored image is in a format this crate cannot read (422).
    #[error("stored image is in an unsupported format: {reason}")]
    UnsupportedFormat {
        /// What was found.
        reason: String,
    },
    /// The stored image is corrupt or cannot be decoded (422).
    #[error("stored image cannot be decoded: {reason}")]
    Decode {
        /// What the decoder said, in one line.
        reason: String,
        /// The decoder's own error.
        #[source]
        source: Option<BoxError>,
    },
    /// Encoding the output failed (500).
    #[error("encoding the image failed: {reason}")]
    Encode {
        /// What the encoder said.
        reason: String,
        /// The encoder's own error.
        #[source]
        source: Option<BoxError>,
    },
    /// The image store failed (500). Never used for "no image".
    #[error("image store failed")]
    Store(#[source] BoxError),
    /// The authenticator failed for a reason other than rejecting the caller (500).
    #[error("authenticator failed")]
    Authenticator(#[source] BoxError),
    /// The service was configured inconsistently (returned by the builder, never by a request).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status code this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidParameter { .. } => 400,
            Error::Unauthenticated { .. } => 401,
            Error::Forbidden { .. } => 403,
            Error::NoRoute | Error::PersonNotFound | Error::ImageNotFound => 404,
            Error::LimitExceeded { .. }
            | Error::UnsupportedFormat { .. }
            | Error::Decode { .. } => 422,
            Error::Encode { .. } | Error::Store(_) | Error::Authenticator(_) | Error::Config(_) => {
                500
            }
        }
    }

    /// Whether the stored image could not be rendered (the 422 family), which `ifBlank` may replace
    /// with a placeholder.
    pub fn is_unrenderable(&self) -> bool {
        self.status() == 422
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Unauthenticated`].
    pub fn unauthenticated(reason: impl Into<String>) -> Self {
        Error::Unauthenticated {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Forbidden`].
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Error::Forbidden {
            reason: reason.into(),
        }
    }

    /// A decode error carrying the decoder's error as its source.
    pub fn decode(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Error::Decode {
            reason: one_line(&source),
            source: Some(source),
        }
    }

    /// An encode error carrying the encoder's error as its source.
    pub fn encode(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Error::Encode {
            reason: one_line(&source),
            source: Some(source),
        }
    }

    /// Wraps a store failure.
    pub fn store(source: impl Into<BoxError>) -> Self {
        Error::Store(source.into())
    }

    /// Wraps an authenticator failure.
    pub fn authenticator(source: impl Into<BoxError>) -> Self {
        Error::Authenticator(source.into())
    }
}

/// The first line of an error's message, so messages stay one line.
fn one_line(error: &dyn fmt::Display) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_spec_table() {
        let cases: Vec<(Error, u16)> = vec![
            (Error::invalid("w", "bad"), 400),
            (Error::unauthenticated("no"), 401),
            (Error::forbidden("no"), 403),
            (Error::PersonNotFound, 404),
            (Error::ImageNotFound, 404),
            (
                Error::LimitExceeded {
                    limit: "frames",
                    max: 1,
                    actual: 2,
                },
                422,
            ),
            (Error::decode("broken"), 422),
            (Error::encode("broken"), 500),
            (Error::store("down"), 500),
            (Error::authenticator("down"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error}");
        }
    }

    #[test]
    fn messages_are_one_line() {
        let error = Error::decode("first line\nsecond line");
        assert_eq!(
            error.to_string(),
            "stored image cannot be decoded: first line"
        );
        assert_eq!(Error::ImageNotFound.to_string(), "Image not found");
    }
}
