//! Typed request and response headers: what the request parser produces and the service reads.
//!
//! Each parser takes the raw header lines (bytes, as they came over the wire), never panics,
//! caps its work on hostile input, and skips what it cannot read the way RFC 9110 asks.

mod accept;
mod etag;
pub(crate) mod http_date;
mod locale;
pub(crate) mod syntax;
mod vary;

pub use accept::{AcceptList, MediaRange};
pub use etag::{ETag, IfMatch, IfNoneMatch};
pub use locale::Locale;
pub use vary::Vary;
