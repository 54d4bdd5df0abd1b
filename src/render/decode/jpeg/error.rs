//! The decoder's own errors, and their one mapping to the crate's [`Error`] (as image-rs maps a
//! codec's errors in `ImageError::from_jpeg`).
//!
//! The fallback chain in [`super`] decides on these variants: what the decoder declines or cannot
//! parse goes to `jpeg-decoder` (then `image`'s zune-jpeg), which may still decode it; a limit, or
//! a failure of the stage taking streamed rows, is final. Only at that boundary, or when no
//! fallback runs, does an error become the crate's.

use std::fmt;

use crate::Error;

/// Why the crate's JPEG decoder did not decode a file.
#[derive(Debug)]
pub(super) enum DecodeError {
    /// A coding process or feature the decoder leaves to the fallbacks: lossless (Huffman or
    /// arithmetic) and hierarchical processes, precision other than 8 bits, sampling factors other than 1, 2 or
    /// 4, a progressive refinement of a band it skipped. Becomes [`Error::UnsupportedFormat`].
    Declined(String),
    /// Data the decoder cannot parse: invalid or missing tables, a scan before the frame header,
    /// an empty frame, too many scans. Becomes [`Error::Decode`].
    Corrupt(&'static str),
    /// Over the caller's limits (the crate's [`Error::LimitExceeded`], kept as is): final, no
    /// fallback runs.
    Limit(Error),
    /// The stage that takes streamed rows (the resampler) failed: final, as it may already have
    /// taken rows.
    Output(Error),
}

/// The decoder's results.
pub(super) type Result<T, E = DecodeError> = std::result::Result<T, E>;

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Declined(reason) => write!(f, "declined: {reason}"),
            DecodeError::Corrupt(reason) => f.write_str(reason),
            DecodeError::Limit(error) | DecodeError::Output(error) => error.fmt(f),
        }
    }
}

impl From<DecodeError> for Error {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::Declined(reason) => Error::UnsupportedFormat { reason },
            DecodeError::Corrupt(reason) => Error::decode(reason),
            DecodeError::Limit(error) | DecodeError::Output(error) => error,
        }
    }
}
