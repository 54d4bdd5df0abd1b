//! The one error type of the crate, and the HTTP status each failure maps to.

use crate::request::Method;
use crate::PersonId;
use std::fmt;

/// A boxed error from a dependency or a user-supplied store or authenticator.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which [`Limits`](crate::Limits) value a stored image exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// [`Limits::max_source_bytes`](crate::Limits::max_source_bytes): the stored bytes.
    SourceBytes,
    /// [`Limits::max_source_pixels`](crate::Limits::max_source_pixels): the declared pixels.
    SourcePixels,
    /// [`Limits::max_frames`](crate::Limits::max_frames): the frames of an animation.
    Frames,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::SourceBytes => "source bytes",
            LimitKind::SourcePixels => "source pixels",
            LimitKind::Frames => "frames",
        })
    }
}

/// Why the store was unavailable ([`Error::StoreUnavailable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unavailable {
    /// The store answered with an error other than "not found".
    Failed,
    /// The store did not answer within the deadline
    /// ([`ImageServiceBuilder::store_deadline`](crate::ImageServiceBuilder::store_deadline)).
    TimedOut,
    /// Every store thread is busy with calls that have not returned (a hanging backend): the call
    /// was refused without waiting.
    Saturated,
    /// The photo was replaced between the lookup and the fetch of its bytes on every attempt: the
    /// store answers, but faster than a render can keep up with.
    Replaced,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unavailable::Failed => "it failed",
            Unavailable::TimedOut => "it did not answer in time",
            Unavailable::Saturated => "all of its threads are waiting for it",
            Unavailable::Replaced => "the photo was replaced on every attempt to read it",
        })
    }
}

/// The `Retry-After` seconds of a `503` for an unavailable store ([`Error::StoreUnavailable`]):
/// a replica recovers by itself as soon as the store answers, so clients may retry soon.
const STORE_RETRY_AFTER_SECONDS: u32 = 1;

/// Everything that can go wrong while serving a person's image.
///
/// Each variant knows its HTTP status ([`Error::status`]). `Display` is one line without the
/// source's text (the source is reachable through [`std::error::Error::source`], so a printed
/// chain shows each cause once); [`Error::message`] is what the caller is told, and never
/// contains a credential or, for 5xx, an internal detail.
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
        /// The `WWW-Authenticate` challenges the 401 carries: the service fills them in from its
        /// [`Authenticator::challenges`](crate::auth::Authenticator::challenges).
        challenges: Vec<String>,
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
    /// The path does not take this method (405, with `Allow` naming the ones it takes).
    #[error("The method is not allowed for this path")]
    MethodNotAllowed {
        /// The methods the path takes, sent as `Allow`.
        allowed: &'static [Method],
    },
    /// An upload or delete to a service without a writable store (405, `Allow: GET, HEAD`).
    #[error(
        "This service is read-only: it does not accept uploads or deletes{}",
        in_parentheses(hint)
    )]
    ReadOnly {
        /// How the deployment turns writes on
        /// ([`ImageServiceBuilder::read_only_hint`](crate::ImageServiceBuilder::read_only_hint)),
        /// shown in parentheses after the message.
        hint: Option<String>,
    },
    /// The person does not exist (404, whatever `ifBlank` says).
    #[error("Person not found")]
    PersonNotFound,
    /// The person has no image and no placeholder was asked for (404).
    #[error("Image not found")]
    ImageNotFound,
    /// A conditional write (`If-Match`) named a photo version that is no longer stored: the
    /// photo was replaced or removed since the caller read it (412).
    #[error("the photo has changed since it was read (If-Match does not match its version)")]
    PreconditionFailed,
    /// The stored image is over a configured limit (422).
    #[error("stored image exceeds the {limit} limit: {actual} > {max}")]
    LimitExceeded {
        /// Which limit.
        limit: LimitKind,
        /// The configured maximum.
        max: u64,
        /// What the image declares or holds.
        actual: u64,
    },
    /// The request body is larger than [`Limits::max_source_bytes`](crate::Limits::max_source_bytes)
    /// (413); detected from `Content-Length` or while reading, before the whole body is buffered.
    #[error("the request body exceeds the limit of {max} bytes")]
    PayloadTooLarge {
        /// The limit.
        max: u64,
    },
    /// An upload whose bytes are not an image type this crate stores (415).
    #[error("the upload is not a supported image: {reason}")]
    UnsupportedMediaType {
        /// What was found instead.
        reason: String,
    },
    /// The request carries no image to store (400), in the vendor's words.
    #[error("Image bitmap is missing from body or person id is not valid.")]
    MissingImage,
    /// An upload that is an image of a supported type but cannot be stored: undecodable,
    /// truncated, or over a decode limit such as a decompression bomb (422). The stored photo is
    /// untouched.
    #[error("the uploaded image cannot be used")]
    InvalidUpload {
        /// Why, as the renderer said it (a [`Error::Decode`], [`Error::LimitExceeded`] or
        /// [`Error::UnsupportedFormat`]).
        #[source]
        source: Box<Error>,
    },
    /// The stored image is in a format this crate cannot read (422).
    #[error("stored image is in an unsupported format: {reason}")]
    UnsupportedFormat {
        /// What was found.
        reason: String,
    },
    /// The stored image is corrupt or cannot be decoded (422).
    #[error("stored image cannot be decoded")]
    Decode {
        /// What the decoder said.
        #[source]
        source: BoxError,
    },
    /// Encoding the output failed (500).
    #[error("encoding the image failed")]
    Encode {
        /// What the encoder said.
        #[source]
        source: BoxError,
    },
    /// The image store failed (500). Never used for "no image".
    #[error("image store failed while {context}")]
    Store {
        /// What the store was doing, e.g. "reading the photo of person 7".
        context: String,
        /// The store's own error.
        #[source]
        source: BoxError,
    },
    /// The image store failed or missed its deadline while the service called it (503, with
    /// `Retry-After`): an outage or a slow backend, answered at once rather than with a hang or a
    /// 500. Nothing was written (or, for a write that timed out, its outcome is unknown and
    /// retrying it is safe: a replacement or delete repeated has the same result). The service
    /// turns every [`Error::Store`] a store call returns into this.
    #[error("image store unavailable while {context}: {cause}")]
    StoreUnavailable {
        /// What the service asked the store, e.g. "looking up person 7".
        context: String,
        /// Whether the store failed or did not answer in time.
        cause: Unavailable,
        /// The store's own error, when it gave one.
        #[source]
        source: Option<BoxError>,
    },
    /// The authenticator failed for a reason other than rejecting the caller (500).
    #[error("authenticator failed")]
    Authenticator {
        /// The authenticator's own error.
        #[source]
        source: BoxError,
    },
    /// A step that cannot fail on valid input failed (a resize of a decoded picture, say): a bug
    /// or an exhausted resource, not a property of the stored image (500).
    #[error("internal error while {context}")]
    Internal {
        /// The step that failed.
        context: &'static str,
        /// What went wrong.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// The HTTP status code this error answers with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Error::InvalidParameter { .. } | Error::MissingImage => StatusCode::BAD_REQUEST,
            Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NoRoute | Error::PersonNotFound | Error::ImageNotFound => StatusCode::NOT_FOUND,
            Error::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Error::MethodNotAllowed { .. } | Error::ReadOnly { .. } => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::InvalidUpload { .. }
            | Error::LimitExceeded { .. }
            | Error::UnsupportedFormat { .. }
            | Error::Decode { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::StoreUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Encode { .. }
            | Error::Store { .. }
            | Error::Authenticator { .. }
            | Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Retry-After` seconds the error's response carries: 1 for [`Error::StoreUnavailable`],
    /// `None` for every other error.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Error::StoreUnavailable { .. } => Some(STORE_RETRY_AFTER_SECONDS),
            _ => None,
        }
    }

    /// The photo of `person` was replaced between lookup and fetch on every attempt (503, with
    /// `Retry-After`): a later request reads a settled version.
    pub(crate) fn replaced_on_every_attempt(person: PersonId) -> Self {
        Error::StoreUnavailable {
            context: format!("reading the photo of person {person}"),
            cause: Unavailable::Replaced,
            source: None,
        }
    }

    /// Whether the store was unavailable ([`Error::StoreUnavailable`]): what a variant still in
    /// the render cache may be served stale for.
    pub fn is_store_unavailable(&self) -> bool {
        matches!(self, Error::StoreUnavailable { .. })
    }

    /// This error as the service reports a failed store call: [`Error::Store`] becomes
    /// [`Error::StoreUnavailable`] (503, failed); every other error stays as it is.
    pub(crate) fn into_unavailable(self) -> Self {
        match self {
            Error::Store { context, source } => Error::StoreUnavailable {
                context,
                cause: Unavailable::Failed,
                source: Some(source),
            },
            other => other,
        }
    }

    /// Whether the stored image could not be rendered (the 422 family), which `ifBlank` may replace
    /// with a placeholder.
    pub fn is_unrenderable(&self) -> bool {
        matches!(
            self,
            Error::InvalidUpload { .. }
                | Error::LimitExceeded { .. }
                | Error::UnsupportedFormat { .. }
                | Error::Decode { .. }
        )
    }

    /// The same failure seen on an upload: the 422 family becomes [`Error::InvalidUpload`] (its
    /// message speaks of the upload, not of a stored image); other errors stay as they are.
    pub(crate) fn into_upload_error(self) -> Self {
        if self.is_unrenderable() {
            Error::InvalidUpload {
                source: Box::new(self),
            }
        } else {
            self
        }
    }

    /// The one-line message for the caller (the `Message` of the JSON error body).
    ///
    /// A 4xx says what was wrong, including the decoder's first line for an undecodable image; a
    /// 5xx says only which part failed (store, authenticator, encoder), never paths, queries or
    /// other internals, which belong in the server's log (print the error with its sources).
    pub fn message(&self) -> String {
        match self {
            Error::Decode { source } => format!("{self}: {}", one_line(source)),
            Error::InvalidUpload { source } => {
                let reason = source.message();
                let reason = reason.strip_prefix("stored image ").unwrap_or(&reason);
                format!("{self}: {reason}")
            }
            Error::Store { .. } => "image store failed".to_owned(),
            Error::StoreUnavailable { .. } => "image store unavailable, try again".to_owned(),
            Error::Internal { .. } => "internal error".to_owned(),
            _ => self.to_string(),
        }
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
            challenges: Vec::new(),
        }
    }

    /// This error with the `WWW-Authenticate` challenges a 401 sends; other errors are unchanged.
    pub(crate) fn with_challenges(self, challenges: impl FnOnce() -> Vec<String>) -> Self {
        match self {
            Error::Unauthenticated { reason, .. } => Error::Unauthenticated {
                reason,
                challenges: challenges(),
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::Forbidden`].
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Error::Forbidden {
            reason: reason.into(),
        }
    }

    /// A decode error carrying the decoder's error (or a description) as its source.
    pub fn decode(source: impl Into<BoxError>) -> Self {
        Error::Decode {
            source: source.into(),
        }
    }

    /// An encode error carrying the encoder's error as its source.
    pub fn encode(source: impl Into<BoxError>) -> Self {
        Error::Encode {
            source: source.into(),
        }
    }

    /// A store failure: what the store was doing, and its own error.
    pub fn store(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Store {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Wraps an authenticator failure.
    pub fn authenticator(source: impl Into<BoxError>) -> Self {
        Error::Authenticator {
            source: source.into(),
        }
    }

    /// An internal failure of `context` (a step that valid input cannot make fail).
    pub(crate) fn internal(context: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Internal {
            context,
            source: source.into(),
        }
    }
}

/// ` (hint)`, or nothing.
fn in_parentheses(hint: &Option<String>) -> String {
    hint.as_ref()
        .map_or_else(String::new, |hint| format!(" ({})", one_line(hint)))
}

/// The first line of an error's message, so messages stay one line.
fn one_line(error: &dyn fmt::Display) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// Shortens a caller-supplied value before it is echoed in an error message.
pub(crate) fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
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
                    limit: LimitKind::Frames,
                    max: 1,
                    actual: 2,
                },
                422,
            ),
            (Error::decode("broken"), 422),
            (Error::MissingImage, 400),
            (Error::PayloadTooLarge { max: 1 }, 413),
            (
                Error::MethodNotAllowed {
                    allowed: &[Method::Get],
                },
                405,
            ),
            (Error::ReadOnly { hint: None }, 405),
            (Error::PreconditionFailed, 412),
            (
                Error::UnsupportedMediaType {
                    reason: "text".into(),
                },
                415,
            ),
            (Error::decode("broken").into_upload_error(), 422),
            (Error::encode("broken"), 500),
            (Error::store("reading", "down"), 500),
            (Error::store("reading", "down").into_unavailable(), 503),
            (Error::replaced_on_every_attempt("7".parse().unwrap()), 503),
            (Error::internal("resizing", "bug"), 500),
            (Error::authenticator("down"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error}");
            assert_eq!(error.is_unrenderable(), status == 422, "{error}");
        }
    }

    #[test]
    fn messages_are_one_line_and_sources_print_once() {
        let error = Error::decode("first line\nsecond line");
        assert_eq!(
            error.message(),
            "stored image cannot be decoded: first line"
        );
        assert_eq!(error.to_string(), "stored image cannot be decoded");
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert_eq!(source, "first line\nsecond line");
        assert_eq!(Error::ImageNotFound.message(), "Image not found");
    }

    #[test]
    fn read_only_names_the_hint_when_there_is_one() {
        let error = Error::ReadOnly { hint: None };
        assert_eq!(
            error.message(),
            "This service is read-only: it does not accept uploads or deletes"
        );
        let error = Error::ReadOnly {
            hint: Some("start the server with --writable\nand more".into()),
        };
        assert_eq!(
            error.message(),
            "This service is read-only: it does not accept uploads or deletes \
             (start the server with --writable)"
        );
    }

    #[test]
    fn server_errors_do_not_tell_the_caller_internals() {
        let error = Error::store("reading /srv/photos/7.jpg", "permission denied");
        assert_eq!(error.message(), "image store failed");
        assert_eq!(
            error.to_string(),
            "image store failed while reading /srv/photos/7.jpg"
        );
        assert!(Error::internal("resizing", "bug")
            .message()
            .contains("internal"));
    }
}
