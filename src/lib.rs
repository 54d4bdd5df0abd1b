//! # person-image
//!
//! The CRM web API endpoint `GET /api/v1/Person/{personId}/Image` as a library: a person's stored
//! photo, returned exactly as stored or — when `w`, `h` or `type` ask for it — scaled and
//! converted; a placeholder when there is none; Basic, SOTicket, Bearer and XSRF-cookie
//! authentication; `Accept` negotiation; ETags, 304 and HEAD.
//!
//! ```
//! use person_image::request::Method;
//! use person_image::{ImageService, PersonId, PersonImageServiceExt};
//! use person_image::auth::StaticAuthenticator;
//! use person_image::store::InMemory;
//!
//! let store = InMemory::new();
//! store.insert(PersonId(7), std::fs::read("fixtures/persons/2.png")?);
//! let service =
//!     ImageService::builder(store, StaticAuthenticator::default().user("demo", "demo")).build();
//!
//! // `Basic ZGVtbzpkZW1v` is demo:demo.
//! let response = service.handle(
//!     Method::Get,
//!     "/api/v1/Person/7/Image?w=64&type=jpeg",
//!     [("Authorization", &b"Basic ZGVtbzpkZW1v"[..])],
//!     bytes::Bytes::new(),
//!     service.limits(),
//! );
//! assert_eq!(response.status, 200);
//! assert_eq!(response.content_type.unwrap(), "image/jpeg");
//! let picture = image::load_from_memory(&response.body)?;
//! assert_eq!((picture.width(), picture.height()), (64, 64));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The crate at a glance
//!
//! At the root: [`ImageService`] (built with [`ImageServiceBuilder`], its operations in the
//! [`PersonImageService`] trait, answered through [`PersonImageServiceExt`], its cache counted by
//! [`CacheStats`]), [`ImageResponse`], [`Error`] (with [`LimitKind`], [`Unavailable`], [`Result`]
//! and [`BoxError`]), [`PersonId`], [`OutputFormat`], [`Limits`], and [`render()`], the pure
//! rendering core. The plug points and the parts live in modules:
//!
//! - [`request`]: what a call asks, parsed and typed: [`ApiRequest`](request::ApiRequest) (every
//!   call), [`ImageRequest`](request::ImageRequest) and its [`ImageQuery`](request::ImageQuery)
//!   ([`Dimension`](request::Dimension), [`IfBlank`](request::IfBlank)), the other calls'
//!   requests, and [`Method`](request::Method).
//! - [`store`]: the [`ImageStore`](store::ImageStore) trait (and
//!   [`WritableStore`](store::WritableStore) for replacing and deleting; both keep a photo's
//!   [`PhotoMetadata`](store::PhotoMetadata), its focal point, through default methods), the stores
//!   ([`InMemory`](store::InMemory), [`Directory`](store::Directory), and behind features `Sqlite`
//!   and `Bucket`), and the conformance suites.
//! - [`auth`]: the [`Authenticator`](auth::Authenticator) trait, the credentials it is given, and
//!   [`StaticAuthenticator`](auth::StaticAuthenticator).
//! - [`ingest`]: what an upload goes through before it is stored, the
//!   [`IngestPolicy`](ingest::IngestPolicy).
//! - [`headers`]: the typed headers the request parser produces (`Accept`, `If-None-Match`,
//!   locale) and [`ETag`](headers::ETag).
//! - [`render`](mod@render): [`RenderRequest`](render::RenderRequest), [`RenderOptions`](render::RenderOptions)
//!   and the placeholder kinds.
//! - `tower` (feature `tower`): `HttpService`, the crate as a `tower::Service`.
//!
//! ## How a request flows
//!
//! 1. [`ImageRequest::parse`](request::ImageRequest::parse) (or
//!    [`ImageRequest::from_http`](request::ImageRequest::from_http)) turns the path, query and headers
//!    into typed values. Invalid parameters are a 400 naming the parameter.
//! 2. The [`Authenticator`](auth::Authenticator) authenticates (401) and authorizes (403) the
//!    caller. Nothing is asked of the store before that, so strangers learn nothing about which
//!    persons exist.
//! 3. The store's [`lookup`](store::ImageStore::lookup) says whether there is a photo and gives
//!    its metadata (version, length, type), without reading it.
//! 4. The ETag comes from the version and the normalized request, so `If-None-Match` is answered
//!    (304) and the render cache is consulted before any byte is read. Only a miss
//!    [`fetch`](store::ImageStore::fetch)es the photo, once; then negotiation (`type`, then
//!    `Accept`, then the stored format) and the header decide passthrough or conversion, and only
//!    then are pixels decoded, resized and encoded.
//!
//! ## JPEG decoding
//!
//! JPEG, the common case, has a decoder of the crate's own, in safe Rust and built for
//! thumbnails: it decodes at 1/8, 1/4, 1/2 or full scale (the smallest that still leaves twice the
//! requested size, as libvips' shrink-on-load), runs reduced IDCTs on only the coefficients each
//! scale reads, and skips the rest in the entropy decoder without storing them. A progressive file
//! at 1/8 reads its DC scans only and jumps over the AC scans without decoding them; at 1/4 and
//! 1/2 it keeps only the low frequencies each block needs. Files with restart markers decode their
//! intervals in parallel (on at most `std::thread::available_parallelism()` threads) and
//! resynchronise at the next marker after corrupt data. Baseline and extended sequential and
//! progressive JPEG, Huffman or arithmetic coded (SOF0–2, SOF9–10), with 1, 3 or 4 components
//! (grey, YCbCr, RGB, CMYK, YCCK) and sampling factors 1, 2 and 4 are handled; truncated data
//! leaves the missing part mid-grey, as libjpeg does.
//!
//! What it declines goes to `jpeg-decoder`, then `image`'s zune-jpeg:
//! - lossless JPEG (SOF3);
//! - sampling factors other than 1, 2 or 4 (3, say);
//! - a progressive file whose refinement scan needs coefficients of a band it skipped (a scan
//!   order no known encoder writes);
//! - marker segments it cannot parse (corrupt tables, a scan before the frame), where a fallback
//!   may still recover something.
//!
//! Lossless arithmetic coding (SOF11), 12-bit samples and the hierarchical and differential
//! processes are refused from the header, before any decoder runs, with
//! [`Error::UnsupportedFormat`] (422). With the `turbojpeg` feature, libjpeg-turbo decodes
//! sequential grey and YCbCr files at 1/2 and full scale, where its SIMD IDCT is faster.
//!
//! ## The calls around the image
//!
//! [`ApiRequest::parse`](request::ApiRequest::parse) (what [`PersonImageServiceExt::handle`] and
//! the `tower` service use) also routes the rest of the vendor's person-image API:
//!
//! - `PUT`/`POST …/Image` with the photo as the raw body or the `image` field of a
//!   `multipart/form-data` body: validated (415 for what is not an image, 422 for a bomb or an
//!   undecodable file, 413 above [`Limits::max_source_bytes`]), passed through the
//!   [`IngestPolicy`](ingest::IngestPolicy) (identifying metadata removed, at most 2048 px on a side by default) and
//!   written atomically through a [`WritableStore`](store::WritableStore)
//!   ([`ImageService::writable_builder`]); the answer is the stored photo's info.
//! - `DELETE …/Image`: 204.
//! - `GET …/ImageInfo`: `{"PersonId","MimeType","Size","Width","Height","LastModified","Version",
//!   "ThumbHash","FocalPoint","FocalPointSource","FacesFound"}`, the last four extensions: the
//!   photo's [ThumbHash](https://evanw.github.io/thumbhash/) in base64, computed once per version
//!   ([`render::thumb_hash`]), for list views' placeholders, and the box a `fit=cover` crop keeps
//!   with where it came from ([`render::FocalSource`]).
//! - `PUT …/ImageInfo` (an extension) with `{"FocalPoint":{"Left","Top","Width","Height"}}` or
//!   `null`: stores or clears the photo's focal point, conditional on `If-Match`
//!   ([`request::InfoEdit`]).
//! - `POST /api/v1/Agents/Person/GetPersonImages` with `{"PersonIds":[…],"ScaledWidth":w,
//!   "ScaledHeight":h}`: every person's photo as PNG (base64) with a per-person `Status` and
//!   `ThumbHash`, in request order, rendered in parallel and sharing the single-image cache.
//!
//! ## Avatars: `fit=cover`
//!
//! An extension of the vendor's API: `fit=cover` with both `w` and `h` answers exactly `w`×`h`,
//! the largest crop of that aspect ratio (never enlarged), placed around the photo's focal point
//! ([`render::FocalPoint`]; until one is stored, the upper centre of a portrait) with the eyes at
//! the upper third. `fit=contain` (the default) is the vendor's fit-inside. [`request::Fit`] is
//! part of the ETag and the cache key, works for every format (animated GIFs crop every frame
//! alike) and in the batch (`"Fit":"cover"`).
//!
//! The [`Authenticator`](auth::Authenticator) is told the [`Action`](auth::Action), so a
//! read-only credential can be refused writes (403); nothing stored changes on any failure.
//!
//! ## Implementing a store
//!
//! Implement [`lookup`](store::ImageStore::lookup) the cheap way your backend allows (a `stat`, a
//! query without the blob column, an object `HEAD`) and [`fetch`](store::ImageStore::fetch) so
//! that it returns bytes only of the version asked for, checked against what it actually read;
//! call [`check_conformance`](store::check_conformance) and
//! [`check_replaced_between_calls`](store::check_replaced_between_calls) from your tests. The
//! trait is synchronous: rendering is CPU-bound, so async servers call the service from a blocking
//! pool (the `tower` feature's `tower::HttpService` brings its own), and a store over an async
//! client can wait there.
//!
//! ## Implementing an authenticator
//!
//! Implement [`Authenticator`](auth::Authenticator): return [`Error::unauthenticated`] for bad
//! credentials, [`Error::forbidden`] from `authorize`, [`Error::authenticator`] when your own
//! backend fails. Compare secrets with [`Secret`](auth::Secret)'s constant-time equality, as
//! [`StaticAuthenticator`](auth::StaticAuthenticator) does.
//!
//! ## Errors
//!
//! [`Error`] knows its HTTP status. Its `Display` is one line and its cause is its
//! [`source`](std::error::Error::source), so a printed chain shows each cause once;
//! [`Error::message`] is what the caller is told (the JSON `Message`), which for 5xx names only
//! the failing part, never a path or a query. Stored images the crate cannot render are the 422
//! family ([`Error::is_unrenderable`]), which `ifBlank` may replace with a placeholder.
//!
//! ## Limits and security
//!
//! [`Limits`] caps the requested side (default 4096), the stored bytes (50 MiB), the decoded pixels
//! (64 MP, all frames) and the frames (300); stores refuse oversized photos at lookup, and the
//! header is checked before any pixel buffer is allocated, so decompression bombs are refused
//! cheaply (422, [`LimitKind`] says which). No input makes the crate panic. Secrets never appear
//! in `Debug` output or error messages. `#![forbid(unsafe_code)]`.
//!
//! ## Feature flags
//!
//! - `http` (default): [`ImageRequest::from_http`](request::ImageRequest::from_http), `From<ImageResponse> for http::Response<Bytes>`
//!   and [`PersonImageServiceExt::handle_http`].
//! - `sqlite` (off): `store::Sqlite`, photos in a SQLite database shaped like the CRM's (bundles
//!   SQLite's C source, so it needs a C compiler).
//! - `turbojpeg` (off): JPEG decoding at 1/2 and full DCT scale of sequential files, and JPEG
//!   encoding, through libjpeg-turbo (its SIMD IDCT is faster there than the crate's decoder);
//!   needs cmake, nasm and a C compiler. Progressive files, 1/8- and 1/4-scale decodes (where
//!   the crate's decoder is faster) and files it does not handle (CMYK, YCCK, lossless, errors)
//!   take the pure-Rust path.
//! - `object-store` (off): `store::Bucket`, photos in an `object_store` bucket (S3, GCS, Azure,
//!   local files, memory), with its own small tokio runtime to bridge the synchronous store trait;
//!   `store::VariantTier`, rendered variants shared by a fleet of replicas through a bucket and
//!   rendered once per fleet under a lease object (its docs give the key layout, the lifecycle
//!   rule and what a failing tier does); `store::open_url`, a bucket from a URL.
//! - `tracing` (default): a `person_image.request` span per request (info level; fields `method`,
//!   `person`, `status`, `bytes`, `content_type`, `cache` = `hit`/`miss`/`not_modified`/`none`,
//!   `passthrough`) with debug-level child spans `authenticate`, `store.lookup`, `store.fetch`
//!   (`bytes`), `decode` (`format`, `bytes`, source `width`/`height`, `target_width`/
//!   `target_height`), `resize` (both sizes) and `encode` (`format`, size, `frames`, `bytes`).
//!   Failures are an event in the request span: 5xx at `error`, 4xx at `debug`. No field ever holds
//!   a header value, credential, cookie, token, query string or principal.
//! - `tower` (default): `tower::HttpService`, a `tower::Service<http::Request<B>>` answering
//!   `http::Response<Full<Bytes>>`, with its own bounded worker pool (one thread per core) and
//!   load shedding (503 + `Retry-After` when its queue is full); mount it with axum's
//!   `route_service`. Adds `tower-service`, `http-body-util` and tokio's `sync` module.
//! - `metrics` (off): counters and histograms through the `metrics` facade — requests by status
//!   and output format, render time by input and output format, store time, cache hits, misses,
//!   evictions and bytes, shed requests, stale answers while the store is unavailable; the application installs the recorder (e.g.
//!   `metrics-exporter-prometheus`, as the serve example does for `GET /metrics`). The names
//!   (this table is their one list):
//!
//!   | name | kind | labels |
//!   |---|---|---|
//!   | `person_image_requests_total` | counter | `status`, `format` (`jpeg`, `png`, `gif`, `tiff`, `bmp`, `webp`, `json`, `none`) |
//!   | `person_image_render_seconds` | histogram | `input` (stored format or `placeholder`), `output` |
//!   | `person_image_store_seconds` | histogram | `op` (`lookup`, `fetch`) |
//!   | `person_image_cache_hits_total`, `_misses_total`, `_evictions_total` | counter | |
//!   | `person_image_cache_bytes` | gauge | |
//!   | `person_image_shed_total` | counter | |
//!   | `person_image_tier_hits_total`, `_misses_total`, `_lease_waits_total` (`object-store`) | counter | |
//!   | `person_image_tier_skips_total` (`object-store`) | counter | `op` (`get`, `put`, `lease`) |
//!   | `person_image_stale_total` | counter | |
//!
//! - `webp` (off): WebP output through libwebp (the `webp` crate; libwebp's C is compiled with
//!   `cc`, so it needs a C compiler): `type=webp`, and negotiation chooses WebP for clients whose
//!   `Accept` names `image/webp` (browsers), never through `*/*` or `image/*` (SPEC §4.1).
//!   Features add code, not API: [`OutputFormat::WebP`] and
//!   [`RenderOptions::webp_quality`](render::RenderOptions::webp_quality) exist in every build,
//!   [`OutputFormat::is_enabled`] says whether this one encodes WebP, and without the feature
//!   `type=webp` is a 400 naming it. Photos
//!   are lossy with alpha at [`RenderOptions::webp_quality`](render::RenderOptions) (default 80),
//!   placeholders lossless; an animated GIF stays GIF unless `type=webp` asks, which keeps the
//!   animation.
//!
//! ## Caching
//!
//! [`ImageService`] keeps rendered variants in memory (64 MiB by default,
//! [`ImageServiceBuilder::cache_bytes`]), keyed by person, the store's version and the normalized
//! request, so a new stored version is never answered with an old rendering. Concurrent identical
//! misses render once. Passthrough responses are not cached: they are already zero-copy.
//!
//! ## Sizing memory
//!
//! A service's resident memory is four parts, all set by its configuration:
//!
//! - **The render cache**: at most [`ImageServiceBuilder::cache_bytes`] of response bodies (each
//!   stored at its exact length), plus a few hundred bytes of key per entry.
//! - **Renders in progress**: at most [`ImageServiceBuilder::render_memory`] (default 128 MiB).
//!   Each render reserves what its header says it will hold: the decoded pixels (a JPEG at 1/2,
//!   1/4 or 1/8 scale when the target allows, about 9 bytes a decoded pixel with its planes and
//!   resize buffers; a non-interlaced PNG, an uncompressed BMP and a strip TIFF stream, holding a
//!   band of rows, the resampling filter's window of rows and a source-width × target-height
//!   intermediate, never the whole picture; an RLE BMP holds one byte a pixel of palette indices,
//!   then streams; a still lossless WebP streams too, holding besides the pixels a backward
//!   reference can reach (about 4 MiB) and its transform data; a still lossy WebP shrunk by two
//!   or more streams a macroblock row at a time (a crop of one holds its YUV planes, 1.5 bytes a
//!   pixel); other formats (interlaced PNG, tiled,
//!   JPEG-compressed, planar, CMYK, palette, float or subsampled YCbCr TIFF, or one with strips
//!   over 1 MiB, GIF, other WebPs) and animation frames at full size, about 12), the resized
//!   pixels and the encoded body; it waits while other renders hold the rest of the budget, and
//!   one larger than the whole budget runs alone. A 22-megapixel JPEG to 1024 px reserves about
//!   50 MiB, to 256 px about 4 MiB; a 22-megapixel RGBA PNG to 256 px about 11 MiB (as a GIF or
//!   TIFF, about 250 MiB). The number of worker threads decides the throughput (which stops growing at the
//!   number of cores), not the memory. Between requests a thread keeps at most 4 MiB of resize
//!   scratch and small, self-trimming JPEG scratch.
//! - **The stored photos being rendered**: at most [`ImageServiceBuilder::source_memory`]
//!   (default 128 MiB), however many threads call the service. A request reserves its photo's
//!   length before reading it and keeps it until its answer; it waits while others hold the rest,
//!   and a photo larger than the whole budget is read alone. A non-interlaced PNG of 512 KiB or
//!   more from a store that hands out a reader ([`ImageStore::open`](store::ImageStore::open):
//!   [`store::Directory`] does) is read 1 MiB at a time as it decodes and keeps about 1 MiB: two
//!   workers rendering a 29 MB 16-bit PNG from a directory hold 2 MiB of it, a 6.4 MB TIFF 13 MB.
//! - **The allocator's overhead**, which depends on the binary's global allocator, not on this
//!   crate. The library does not choose one; the `serve` example uses jemalloc
//!   (`tikv-jemallocator`). glibc's per-thread arenas keep the freed multi-megabyte pixel
//!   buffers of every thread that once held one: with glibc, set `MALLOC_ARENA_MAX=2` at least.
//!   The README's "Reliability" section has the soak measurements per allocator.
//!
//! As a rule, budget *cache bound + render budget + the smaller of the source budget and workers ×
//! largest stored photo (not counting PNGs read in order) + 20 MiB*
//! with jemalloc, and measure with
//! `benches/soak.sh` (`CACHE_MIB=…`; the serve example's `--render-mib` defaults to 32) before
//! sizing a container.
//!
//! ## Compatibility notes
//!
//! Where the vendor's reference page leaves a choice open, this crate decides (see also SPEC.md):
//!
//! - `w`/`h` of `0`, `-0` or empty mean "not given"; leading zeros are accepted; `+5`, `1e3`,
//!   `0x10`, negatives and values over the configured maximum side are 400s naming the parameter.
//! - The first occurrence of a repeated query parameter wins, even when it is empty.
//! - Without `type`, every response carries `Vary: Accept` (it would differ under another Accept).
//! - ETags name the stored version and the request (sizes, `type` or the `Accept` weights), not
//!   the output: two requests that happen to produce the same bytes may carry different ETags.
//! - `Accept` ties go to PNG for images with transparency, else JPEG, then GIF, then TIFF; a stored
//!   BMP or WebP that must be converted (a size was asked) becomes PNG or JPEG by the same rule.
//! - `ClearPixel` is 1×1 unless both `w` and `h` are given; other placeholders are square when one
//!   side is given and 128×128 when none is.
//! - The "no photo" silhouettes carry a caption in the caller's language only when both sides are
//!   at least 96 px (smaller text is not legible); only those name the language in their ETag and
//!   add `Accept-Language, SO-Language, SO-Culture` to `Vary`. The caption's language is the
//!   first of `SO-Language`, `SO-Culture` and `Accept-Language` with a caption, else English.
//! - A stored image with unknown magic bytes is sent as stored (with its declared type) when no
//!   conversion is asked; converting it is a 422.
//! - 1-bit palette TIFF and 12-bit, lossless arithmetic-coded, hierarchical and differential JPEG
//!   are not decoded (422); lossless JPEG is (by the fallback decoder, see [JPEG decoding](#jpeg-decoding)).
//! - Truncated JPEGs render what the decoder recovered, as libjpeg does; other truncated files are 422.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

pub mod auth;
mod base64;
mod digest;
mod error;
mod format;
pub mod headers;
#[cfg(feature = "http")]
mod http_interop;
pub mod ingest;
mod limits;
mod metrics;
mod observe;
mod person_id;
pub mod render;
pub mod request;
mod response;
mod service;
pub mod store;
#[cfg(feature = "tower")]
pub mod tower;
/// The README's Rust snippets, compiled (and, but for the server, run) by `cargo test --doc`.
#[cfg(all(doctest, feature = "tower"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeSnippets;

// The test helpers the integration tests use too, compiled in from their one home.
#[cfg(test)]
mod test_common;

pub use error::{BoxError, Error, LimitKind, Result, Unavailable};
pub use format::OutputFormat;
pub use limits::Limits;
pub use person_id::PersonId;
/// The JPEG decoder alone, for `fuzz/fuzz_targets/jpeg_decode.rs` (built with `cfg(fuzzing)`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub use render::fuzz_jpeg_decode;
pub use render::render;
pub use response::ImageResponse;
pub use service::{
    CacheStats, ImageService, ImageServiceBuilder, PersonImageService, PersonImageServiceExt,
};
