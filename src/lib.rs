//! # person-image
//!
//! The CRM endpoint `GET /api/v1/Person/{personId}/Image` as a library.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

mod accept;
mod auth;
mod credentials;
mod error;
mod etag;
mod format;
mod httpdate;
#[cfg(feature = "http")]
mod http_interop;
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

pub use accept::{AcceptList, MediaRange};
pub use auth::{Authenticator, Principal, StaticAuthenticator};
pub use credentials::{CallerIdentity, Credentials, Secret};
pub use error::{BoxError, Error, Result};
pub use etag::{ETag, IfNoneMatch};
pub use format::{ImageFormat, OutputFormat};
pub use limits::Limits;
pub use locale::Locale;
pub use negotiate::{negotiate, Negotiated, JSON_CONTENT_TYPE};
pub use path::{parse_image_path, PersonId};
pub use query::{Dimension, IfBlank, ImageQuery};
pub use render::{
    render, PlaceholderKind, PngCompression, RenderOptions, RenderPlan, RenderRequest, Renderer,
    Source,
};
pub use request::{ImageRequest, Method};
pub use response::ImageResponse;
pub use service::{ImageService, ImageServiceBuilder, PersonImageService};
pub use store::{
    check_store_conformance, ConformanceFixture, DirectoryStore, ImageStore, Lookup, MemoryStore,
    StoredImage,
};
