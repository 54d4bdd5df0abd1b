//! The endpoint family: the [`PersonImageService`] trait (the operations), the reference
//! [`ImageService`], and the glue that answers requests through any implementation
//! ([`PersonImageServiceExt`]). The operations live one file each: the image GET (`get.rs`),
//! uploads and deletes (`writes.rs`), the info (`info.rs`) and the batch (`batch.rs`).

mod answer;
mod batch;
mod budget;
mod builder;
mod cache;
mod deadline;
mod focus;
mod formats;
mod get;
mod info;
mod source;
mod thumb_hashes;
#[cfg(feature = "object-store")]
mod tiered;
mod version_memo;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Action, Authenticator, CallerIdentity, CredentialsError, Principal};
use crate::ingest::IngestPolicy;
use crate::limits::Limits;
use crate::metrics::StoreOp;
use crate::observe::stage_span;
use crate::person_id::PersonId;
use crate::render::{FocalPoint, PlaceholderKind, RenderOptions};
use crate::request::{BatchRequest, Fit, ImageRequest, InfoEdit, PersonRequest, UploadRequest};
use crate::response::ImageResponse;
use crate::store::{Fetch, ImageInfo, ImageStore, Lookup, WritableStore};
use crate::{Error, Result};

#[cfg(feature = "tower")]
pub(crate) use answer::refuse;
#[cfg(feature = "http")]
pub(crate) use answer::respond_http;
pub use answer::PersonImageServiceExt;
use budget::{MemoryBudget, Reservation};
pub use builder::ImageServiceBuilder;
pub use cache::CacheStats;
use cache::RenderCache;
use deadline::StoreCalls;
use formats::KnownFormats;
use thumb_hashes::ThumbHashes;

/// The operations of `GET /api/v1/Person/{personId}/Image` and the calls around it.
///
/// Implemented by [`ImageService`]; a trait so callers can wrap or mock the whole endpoint, and
/// usable as `Arc<dyn PersonImageService>`. Each method is one operation on a parsed request and
/// returns the response or the error that decides its status; answering HTTP (parsing, turning
/// errors into responses, spans and metrics) is [`PersonImageServiceExt`]'s, for every
/// implementation alike. Only [`get_image`](Self::get_image) is required: a read-only
/// implementation answers the writes `405` and the info and batch calls `404`.
pub trait PersonImageService: Send + Sync {
    /// `GET`/`HEAD …/Image`: the photo, converted as asked, a placeholder, or the error.
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse>;

    /// `GET`/`HEAD …/ImageInfo`: the stored photo's metadata as JSON. Default: `404`.
    fn image_info(&self, request: &PersonRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::NoRoute)
    }

    /// `PUT`/`POST …/Image`: validates the upload, stores it in place of the old photo and
    /// answers the stored photo's info (`200`, JSON). Default: `405` ([`Error::ReadOnly`]).
    fn replace_image(&self, request: &UploadRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::ReadOnly { hint: None })
    }

    /// `DELETE …/Image`: removes the photo (`204`). Default: `405` ([`Error::ReadOnly`]).
    fn delete_image(&self, request: &PersonRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::ReadOnly { hint: None })
    }

    /// `PUT …/ImageInfo` (an extension): sets or clears the photo's focal point and answers its
    /// info (`200`, JSON). Default: `405` ([`Error::ReadOnly`]).
    fn edit_image_info(&self, request: &InfoEdit) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::ReadOnly { hint: None })
    }

    /// `POST /api/v1/Agents/Person/GetPersonImages`: many persons' photos as PNG in one JSON
    /// answer. Default: `404`.
    fn person_images(&self, request: &BatchRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::NoRoute)
    }
}

/// The reference [`PersonImageService`]: a store, an authenticator and the renderer.
///
/// ```
/// use std::sync::Arc;
/// use person_image::auth::StaticAuthenticator;
/// use person_image::store::InMemory;
/// use person_image::{ImageService, PersonImageService};
/// let service = ImageService::builder(
///     InMemory::new(),
///     StaticAuthenticator::default().user("demo", "demo"),
/// )
/// .max_age(600)
/// .build();
/// let shared: Arc<dyn PersonImageService> = Arc::new(service);
/// # let _ = shared;
/// ```
#[derive(Clone)]
pub struct ImageService {
    store: Arc<dyn ImageStore>,
    /// The same store, when it can write: uploads and deletes are `405` without it.
    writer: Option<Arc<dyn WritableStore>>,
    /// Added to the message of that `405` ([`ImageServiceBuilder::read_only_hint`]).
    read_only_hint: Option<String>,
    ingest: IngestPolicy,
    /// Threads a batch renders on at most.
    batch_workers: usize,
    authenticator: Arc<dyn Authenticator>,
    options: RenderOptions,
    /// `private, max-age=N`, formatted once.
    cache_control: String,
    default_placeholder: PlaceholderKind,
    cache: Option<Arc<RenderCache>>,
    /// What renders in progress hold.
    budget: Arc<MemoryBudget>,
    /// What the stored photos of requests in progress hold.
    sources: Arc<MemoryBudget>,
    known_formats: Arc<KnownFormats>,
    thumb_hashes: Arc<ThumbHashes>,
    detections: Arc<focus::Detections>,
    /// The variants shared with the fleet, the second tier behind `cache`.
    #[cfg(feature = "object-store")]
    tier: Option<crate::store::VariantTier>,
    /// Every store call goes through it, within the deadline.
    calls: Arc<StoreCalls>,
    /// How long a cached variant may be served stale when the store is unavailable.
    stale_if_error: Duration,
}

impl std::fmt::Debug for ImageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageService")
            .field("options", &self.options)
            .field("cache_control", &self.cache_control)
            .field("default_placeholder", &self.default_placeholder)
            .field("writable", &self.writer.is_some())
            .field("ingest", &self.ingest)
            .field("store_deadline", &self.calls.deadline())
            .field("stale_if_error", &self.stale_if_error)
            .finish_non_exhaustive()
    }
}

impl ImageService {
    /// Starts configuring a read-only service: photos come from `store`, callers are checked by
    /// `authenticator`; uploads and deletes are `405` ([`Error::ReadOnly`](crate::Error::ReadOnly)).
    /// A store or authenticator shared with other parts of the program is passed as an `Arc`
    /// (which is itself an [`ImageStore`] or [`Authenticator`]).
    pub fn builder(
        store: impl ImageStore + 'static,
        authenticator: impl Authenticator + 'static,
    ) -> ImageServiceBuilder {
        ImageServiceBuilder::new(Arc::new(store), None, Arc::new(authenticator))
    }

    /// Starts configuring a service that also answers uploads and deletes, reading photos from
    /// and writing them to `store`.
    ///
    /// ```
    /// use person_image::auth::StaticAuthenticator;
    /// use person_image::store::InMemory;
    /// use person_image::ImageService;
    /// let service = ImageService::writable_builder(
    ///     InMemory::new(),
    ///     StaticAuthenticator::default().user("editor", "secret"),
    /// )
    /// .build();
    /// # let _ = service;
    /// ```
    pub fn writable_builder(
        store: impl WritableStore + 'static,
        authenticator: impl Authenticator + 'static,
    ) -> ImageServiceBuilder {
        let store: Arc<dyn WritableStore> = Arc::new(store);
        ImageServiceBuilder::new(store.clone(), Some(store), Arc::new(authenticator))
    }

    /// The render cache's counters, when the cache is on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|cache| cache.stats())
    }

    /// The limits requests are parsed and images decoded under: pass them to
    /// [`PersonImageServiceExt::handle`] and [`HttpService`](crate::tower) so that requests are
    /// parsed under the same limits the service renders under.
    pub fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// Checks who calls and whether they may do `action` to `person`'s photo: 401 or 403 before
    /// anything about the person is looked up (SPEC §2).
    fn authorize(
        &self,
        identity: &std::result::Result<CallerIdentity, CredentialsError>,
        person: PersonId,
        action: Action,
    ) -> Result<Principal> {
        let principal = self.authenticate(identity)?;
        self.authenticator.authorize(&principal, person, action)?;
        Ok(principal)
    }

    /// Who calls, or 401; without any credentials, the 401 names the ways the authenticator
    /// accepts.
    fn authenticate(
        &self,
        identity: &std::result::Result<CallerIdentity, CredentialsError>,
    ) -> Result<Principal> {
        let _span = stage_span!("authenticate");
        let identity = identity.as_ref().map_err(|error| {
            if error.is_missing() {
                CredentialsError::no_credentials(&self.authenticator.ways_to_authenticate())
            } else {
                error.clone()
            }
        });
        identity
            .map_err(Error::from)
            .and_then(|identity| self.authenticator.authenticate(identity))
            .map_err(|error| error.with_challenges(|| self.authenticator.challenges()))
    }

    /// The store's metadata for `person`, in a `store.lookup` span, timed, within the deadline.
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        let _span = stage_span!("store.lookup", person = person.get());
        let timer = crate::metrics::Timer::start();
        let store = Arc::clone(&self.store);
        let found = self.calls.run(
            || format!("looking up person {person}"),
            move || store.lookup(person),
        );
        crate::metrics::store(StoreOp::Lookup, timer);
        found
    }

    /// [`Self::lookup`] and the focal point set through the API for the photo found, in one
    /// store call ([`ImageStore::lookup_with_metadata`]).
    fn lookup_with_api_point(&self, person: PersonId) -> Result<(Lookup, Option<FocalPoint>)> {
        let _span = stage_span!("store.lookup", person = person.get());
        let timer = crate::metrics::Timer::start();
        let store = Arc::clone(&self.store);
        let found = self.calls.run(
            || format!("looking up person {person} and its photo metadata"),
            move || store.lookup_with_metadata(person),
        );
        crate::metrics::store(StoreOp::Lookup, timer);
        let (found, metadata) = found?;
        Ok((found, metadata.and_then(|metadata| metadata.focal_point)))
    }

    /// What a request framed with `fit` needs of the store before its cache lookup: the lookup,
    /// and for a cover crop the focal point set through the API, in one store call.
    fn lookup_for(&self, person: PersonId, fit: Fit) -> Result<(Lookup, Option<FocalPoint>)> {
        match fit {
            Fit::Contain => Ok((self.lookup(person)?, None)),
            Fit::Cover => self.lookup_with_api_point(person),
        }
    }

    /// The bytes of the photo version `info` describes, in a `store.fetch` span, timed, within
    /// the deadline, with their reservation in the source budget (taken first, waiting for room):
    /// keep it while the bytes are in use.
    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<(Fetch, Reservation<'_>)> {
        let held = self.sources.reserve(info.len);
        let _span = stage_span!("store.fetch", person = person.get(), bytes = info.len);
        let timer = crate::metrics::Timer::start();
        let (store, info) = (Arc::clone(&self.store), info.clone());
        let fetched = self.calls.run(
            || format!("reading the photo of person {person}"),
            move || store.fetch(person, &info),
        );
        crate::metrics::store(StoreOp::Fetch, timer);
        Ok((fetched?, held))
    }
}

impl PersonImageService for ImageService {
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse> {
        self.get(request)
    }

    fn image_info(&self, request: &PersonRequest) -> Result<ImageResponse> {
        self.info(request)
    }

    fn replace_image(&self, request: &UploadRequest) -> Result<ImageResponse> {
        self.replace(request)
    }

    fn delete_image(&self, request: &PersonRequest) -> Result<ImageResponse> {
        self.delete(request)
    }

    fn edit_image_info(&self, request: &InfoEdit) -> Result<ImageResponse> {
        self.edit_info(request)
    }

    fn person_images(&self, request: &BatchRequest) -> Result<ImageResponse> {
        self.batch(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn main_types_are_send_and_sync() {
        assert_send_sync::<ImageService>();
        assert_send_sync::<Arc<dyn PersonImageService>>();
        assert_send_sync::<Arc<dyn ImageStore>>();
        assert_send_sync::<Arc<dyn Authenticator>>();
    }

    #[test]
    fn a_zero_limit_refuses_what_it_measures() {
        use crate::request::{ImageRequest, Method};
        use crate::store::InMemory;
        let service =
            ImageService::builder(InMemory::new(), crate::auth::StaticAuthenticator::default())
                .limits(Limits::default().max_side(0))
                .build();
        let request = ImageRequest::parse(
            Method::Get,
            "/api/v1/Person/1/Image?w=1",
            std::iter::empty::<(&str, &[u8])>(),
            service.limits(),
        );
        assert_eq!(request.unwrap_err().status(), 400);
    }
}
