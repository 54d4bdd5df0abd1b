//! # person-image
//!
//! The CRM web API endpoint `GET /api/v1/Person/{personId}/Image` as a library: a person's stored
//! photo, returned exactly as stored or — when `w`, `h` or `type` ask for it — scaled and
//! converted; a placeholder when there is none; Basic, SOTicket, Bearer and XSRF-cookie
//! authentication; `Accept` negotiation; ETags, 304 and HEAD.
//!
//! ```
//! use person_image::{ImageService, MemoryStore, Method, PersonId, StaticAuthenticator};
//!
//! let store = MemoryStore::new();
//! store.insert(PersonId(7), std::fs::read("fixtures/persons/2.png")?);
//! let service = ImageService::builder()
//!     .store(store)
//!     .authenticator(StaticAuthenticator::default().user("demo", "demo"))
//!     .build()?;
//!
//! // `Basic ZGVtbzpkZW1v` is demo:demo.
//! let response = service.handle(
//!     Method::Get,
//!     "/api/v1/Person/7/Image?w=64&type=jpeg",
//!     [("Authorization", &b"Basic ZGVtbzpkZW1v"[..])],
//! );
//! assert_eq!(response.status, 200);
//! assert_eq!(response.content_type, "image/jpeg");
//! let picture = image::load_from_memory(&response.body)?;
//! assert_eq!((picture.width(), picture.height()), (64, 64));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## How a request flows
//!
//! 1. [`ImageRequest::parse`] (or [`ImageRequest::from_http`]) turns the path, query and headers
//!    into typed values: [`PersonId`], [`ImageQuery`], [`CallerIdentity`], [`AcceptList`],
//!    [`IfNoneMatch`], [`Locale`]. Invalid parameters are a 400 naming the parameter.
//! 2. The [`Authenticator`] authenticates (401) and authorizes (403) the caller. Nothing is asked
//!    of the store before that, so strangers learn nothing about which persons exist.
//! 3. The [`ImageStore`] answers with the photo, "no photo" or "no such person".
//! 4. [`negotiate`] picks the output (`type`, then `Accept`, then the stored format), a
//!    [`RenderPlan`] decides passthrough or conversion from the header alone, the ETag is
//!    compared with `If-None-Match`, and only then are pixels decoded, resized and encoded.
//!
//! ## Implementing a store
//!
//! Implement [`ImageStore::load`] and call [`check_store_conformance`] from your tests.
//! [`MemoryStore`] and [`DirectoryStore`] are the reference implementations. The trait is
//! synchronous: rendering is CPU-bound, so async servers call the service from a blocking pool
//! (`tokio::task::spawn_blocking`), and a store over an async client can `block_on` there.
//!
//! ## Implementing an authenticator
//!
//! Implement [`Authenticator`]: return [`Error::unauthenticated`] for bad credentials,
//! [`Error::forbidden`] from `authorize`, [`Error::authenticator`] when your own backend fails.
//! Compare secrets with [`Secret`]'s constant-time equality. [`StaticAuthenticator`] is the
//! reference.
//!
//! ## Limits and security
//!
//! [`Limits`] caps the requested side (default 4096), the stored bytes (50 MiB), the decoded pixels
//! (64 MP, all frames) and the frames (300); the header is checked before any pixel buffer is
//! allocated, so decompression bombs are refused cheaply (422). No input makes the crate panic.
//! Secrets never appear in `Debug` output or error messages. `#![forbid(unsafe_code)]`.
//!
//! ## Feature flags
//!
//! - `http` (default): [`ImageRequest::from_http`], `From<ImageResponse> for http::Response<Bytes>`
//!   and [`ImageService::handle_http`].
//! - `sqlite` (off): `SqliteStore`, photos in a SQLite database shaped like the CRM's (bundles
//!   SQLite's C source, so it needs a C compiler).
//! - `turbojpeg` (off): JPEG decoding at a reduced DCT scale and JPEG encoding through
//!   libjpeg-turbo (about 40% faster thumbnails of JPEG photos); needs cmake, nasm and a C
//!   compiler. Files it does not handle (CMYK, YCCK, lossless, errors) take the pure-Rust path.
//! - `object-store` (off): `ObjectStoreImages`, photos in an `object_store` bucket (S3, GCS, Azure,
//!   local files, memory), with its own small tokio runtime to bridge the synchronous store trait.
//!
//! ## Caching
//!
//! [`ImageService`] keeps rendered variants in a [`RenderCache`] (64 MiB by default,
//! [`ImageServiceBuilder::cache_bytes`]), keyed by person, the store's version tag and the
//! normalized output, so a new stored version is never answered with an old rendering. Concurrent
//! identical misses render once. Passthrough responses are not cached: they are already zero-copy.
//!
//! ## Compatibility notes
//!
//! Where the vendor's reference page leaves a choice open, this crate decides (see also SPEC.md):
//!
//! - `w`/`h` of `0`, `-0` or empty mean "not given"; leading zeros are accepted; `+5`, `1e3`,
//!   `0x10`, negatives and values over the configured maximum side are 400s naming the parameter.
//! - The first occurrence of a repeated query parameter wins, even when it is empty.
//! - Without `type`, every response carries `Vary: Accept` (it would differ under another Accept).
//! - `Accept` ties go to PNG for images with transparency, else JPEG, then GIF, then TIFF; a stored
//!   BMP or WebP that must be converted (a size was asked) becomes PNG or JPEG by the same rule.
//! - `ClearPixel` is 1×1 unless both `w` and `h` are given; other placeholders are square when one
//!   side is given and 128×128 when none is.
//! - A stored image with unknown magic bytes is sent as stored (with its declared type) when no
//!   conversion is asked; converting it is a 422.
//! - 1-bit palette TIFF, 12-bit, arithmetic-coded and lossless JPEG are not decoded (422).
//! - Truncated JPEGs render what the decoder recovered, as libjpeg does; other truncated files are 422.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

mod accept;
mod auth;
mod cache;
mod credentials;
mod error;
mod etag;
mod format;
#[cfg(feature = "http")]
mod http_interop;
mod httpdate;
mod limits;
mod locale;
mod negotiate;
mod path;
mod query;
mod render;
mod request;
mod response;
mod service;
mod store;
#[cfg(test)]
#[path = "../tests/common/corpus.rs"]
#[allow(unreachable_pub)]
mod test_corpus;

pub use accept::{AcceptList, MediaRange};
pub use auth::{Authenticator, Principal, StaticAuthenticator};
pub use cache::{CacheStats, RenderCache};
pub use credentials::{CallerIdentity, Credentials, Secret};
pub use error::{BoxError, Error, Result};
pub use etag::{ETag, IfNoneMatch};
pub use format::{ImageFormat, OutputFormat};
pub use limits::Limits;
pub use locale::Locale;
pub use negotiate::{negotiate, Negotiated, JSON_CONTENT_TYPE};
pub use path::{parse_image_path, PersonId};
pub use query::{Dimension, IfBlank, ImageQuery};
/// The JPEG decoder alone, for `fuzz/fuzz_targets/jpeg_decode.rs` (built with `cfg(fuzzing)`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub use render::fuzz_jpeg_decode;
pub use render::{
    render, PlaceholderKind, PngCompression, RenderOptions, RenderPlan, RenderRequest, Renderer,
    Source,
};
pub use request::{ImageRequest, Method};
pub use response::ImageResponse;
pub use service::{ImageService, ImageServiceBuilder, PersonImageService};
#[cfg(feature = "object-store")]
pub use store::ObjectStoreImages;
pub use store::{
    check_store_conformance, ConformanceFixture, DirectoryStore, ImageStore, Lookup, MemoryStore,
    StoredImage,
};
#[cfg(feature = "sqlite")]
pub use store::{ImportSummary, SqliteStore};
