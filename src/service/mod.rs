//! The endpoint family: the GET (authentication, store lookup, negotiation, rendering and caching
//! headers, SPEC §2–§7), and the calls around it: upload, delete, info and the batch.

mod batch;
mod budget;
mod builder;
mod cache;
mod formats;
mod info;
mod writes;

use std::sync::Arc;

use crate::auth::{Action, Authenticator, CallerIdentity, CredentialsError, Principal};
use crate::headers::{ETag, Vary};
use crate::ingest::IngestPolicy;
use crate::limits::Limits;
use crate::observe::{record_cache, record_passthrough, stage_span, RequestSpan};
use crate::person_id::PersonId;
use crate::render::{
    passthrough_head, ImageFormat, PlaceholderKind, Plan, RenderOptions, RenderRequest, Rendered,
    Source,
};
use crate::request::{
    ApiRequest, BatchRequest, IfBlank, ImageRequest, Method, PersonRequest, UploadRequest,
};
use crate::response::ImageResponse;
use crate::store::{Fetch, ImageInfo, ImageStore, Lookup, WritableStore};
use crate::{Error, Result};

use budget::RenderBudget;
pub use builder::ImageServiceBuilder;
pub use cache::CacheStats;
use cache::{RenderCache, VariantKey};
use formats::KnownFormats;

/// How often a photo replaced between lookup and fetch is looked up again before giving up.
const FETCH_ATTEMPTS: usize = 3;

/// The media types negotiation weighs (SPEC §4): their `Accept` q-values decide the output.
const NEGOTIATED_TYPES: [&str; 7] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/tiff",
    "image/bmp",
    "image/webp",
    "application/json",
];

/// Serves `GET /api/v1/Person/{personId}/Image`, and the calls around it.
///
/// Implemented by [`ImageService`]; a trait so callers can wrap or mock the whole endpoint, and
/// usable as `Arc<dyn PersonImageService>`. Only [`get_image`](Self::get_image) is required: a
/// read-only implementation answers the writes `405` and the info and batch calls `404`.
pub trait PersonImageService: Send + Sync {
    /// Answers one request, or the error that decides its status.
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse>;

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

    /// `GET`/`HEAD …/ImageInfo`: the stored photo's metadata as JSON. Default: `404`.
    fn image_info(&self, request: &PersonRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::NoRoute)
    }

    /// `POST /api/v1/Agents/Person/GetPersonImages`: many persons' photos as PNG in one JSON
    /// answer. Default: `404`.
    fn person_images(&self, request: &BatchRequest) -> Result<ImageResponse> {
        let _ = request;
        Err(Error::NoRoute)
    }

    /// The `WWW-Authenticate` challenges sent with a 401.
    fn challenges(&self) -> Vec<String> {
        Vec::new()
    }

    /// The limits requests are parsed under by the HTTP front ends (the `tower` service and
    /// [`ImageService::handle_http`]); [`Limits::default`] unless overridden.
    fn limits(&self) -> Limits {
        Limits::default()
    }

    /// Answers one request, turning an error into its response (`{"Message": "..."}` body, the
    /// error's status, `WWW-Authenticate` on 401).
    ///
    /// With the `tracing` feature this runs inside the request's `person_image.request` span and
    /// records its outcome; with `metrics` it counts the request.
    fn respond(&self, request: &ImageRequest) -> ImageResponse {
        let span = RequestSpan::new(request.method, Some(request.person.get()));
        let (response, error) = span.in_scope(|| match self.get_image(request) {
            Ok(response) => (response, None),
            Err(error) => (self.error_response(&error, request.method), Some(error)),
        });
        span.finish(&response, error.as_ref());
        crate::metrics::request(response.status, &response.content_type);
        response
    }

    /// Answers any call, turning an error into its response like [`respond`](Self::respond) (in
    /// the same request span, counted the same way).
    fn answer(&self, request: &ApiRequest) -> ImageResponse {
        let call = match request {
            ApiRequest::Image(request) => return self.respond(request),
            ApiRequest::Upload(request) => Call::Upload(request),
            ApiRequest::Delete(request) => Call::Delete(request),
            ApiRequest::Info(request) => Call::Info(request),
            ApiRequest::Batch(request) => Call::Batch(request),
        };
        let method = request.method();
        let span = RequestSpan::new(method, request.person().map(PersonId::get));
        let (response, error) = span.in_scope(|| {
            let answered = match call {
                Call::Upload(request) => self.replace_image(request),
                Call::Delete(request) => self.delete_image(request),
                Call::Info(request) => self.image_info(request),
                Call::Batch(request) => self.person_images(request),
            };
            match answered {
                Ok(response) if method == Method::Head => (response.without_body(), None),
                Ok(response) => (response, None),
                Err(error) => (self.error_response(&error, method), Some(error)),
            }
        });
        span.finish(&response, error.as_ref());
        crate::metrics::request(response.status, &response.content_type);
        response
    }

    /// The response for `error`, body dropped for HEAD.
    fn error_response(&self, error: &Error, method: Method) -> ImageResponse {
        let mut response = ImageResponse::from_error(error);
        if response.status == 401 {
            response.www_authenticate = self.challenges();
        }
        if method == Method::Head {
            response = response.without_body();
        }
        response
    }
}

/// The calls [`PersonImageService::answer`] dispatches besides the image GET.
enum Call<'a> {
    Upload(&'a UploadRequest),
    Delete(&'a PersonRequest),
    Info(&'a PersonRequest),
    Batch(&'a BatchRequest),
}

/// The reference [`PersonImageService`]: a store, an authenticator and the renderer.
///
/// ```
/// use std::sync::Arc;
/// use person_image::auth::StaticAuthenticator;
/// use person_image::store::InMemory;
/// use person_image::{ImageService, PersonImageService};
/// let service = ImageService::builder()
///     .store(InMemory::new())
///     .authenticator(StaticAuthenticator::default().user("demo", "demo"))
///     .max_age(600)
///     .build()?;
/// let shared: Arc<dyn PersonImageService> = Arc::new(service);
/// # let _ = shared;
/// # Ok::<(), Box<dyn std::error::Error>>(())
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
    budget: Arc<RenderBudget>,
    known_formats: Arc<KnownFormats>,
}

impl std::fmt::Debug for ImageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageService")
            .field("options", &self.options)
            .field("cache_control", &self.cache_control)
            .field("default_placeholder", &self.default_placeholder)
            .field("writable", &self.writer.is_some())
            .field("ingest", &self.ingest)
            .finish_non_exhaustive()
    }
}

impl ImageService {
    /// Starts configuring a service.
    pub fn builder() -> ImageServiceBuilder {
        ImageServiceBuilder::default()
    }

    /// The render cache's counters, when the cache is on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|cache| cache.stats())
    }

    /// The limits requests are parsed and images decoded under.
    pub fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// Parses a call without a body (method, path and query, headers) and answers it; parse
    /// errors become their 400/404/405 responses. Uploads and batches carry a body: use
    /// [`ImageService::handle_with_body`].
    pub fn handle<'a>(
        &self,
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> ImageResponse {
        self.handle_with_body(method, target, headers, bytes::Bytes::new())
    }

    /// Parses any call, `body` included (read under [`ApiRequest::body_limit`]), and answers it.
    pub fn handle_with_body<'a>(
        &self,
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: bytes::Bytes,
    ) -> ImageResponse {
        match ApiRequest::parse(method, target, headers, body, self.limits()) {
            Ok(request) => self.answer(&request),
            Err(error) => refuse_unparsed(self, &error, method),
        }
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
        })?;
        self.authenticator.authenticate(identity)
    }

    /// The store's metadata for `person`, in a `store.lookup` span, timed.
    fn lookup(&self, person: crate::PersonId) -> Result<Lookup> {
        let _span = stage_span!("store.lookup", person = person.get());
        let timer = crate::metrics::Timer::start();
        let found = self.store.lookup(person);
        crate::metrics::store("lookup", timer);
        found
    }

    /// The bytes of the photo version `info` describes, in a `store.fetch` span, timed.
    fn fetch(&self, person: crate::PersonId, info: &ImageInfo) -> Result<Fetch> {
        let _span = stage_span!("store.fetch", person = person.get(), bytes = info.len);
        let timer = crate::metrics::Timer::start();
        let fetched = self.store.fetch(person, info);
        crate::metrics::store("fetch", timer);
        fetched
    }

    fn placeholder_for(&self, if_blank: IfBlank) -> Option<PlaceholderKind> {
        PlaceholderKind::for_if_blank(if_blank, self.default_placeholder)
    }

    fn render_request(&self, request: &ImageRequest, source: Source) -> RenderRequest {
        RenderRequest {
            source,
            width: request.query.width,
            height: request.query.height,
            format: request.query.format,
            accept: request.accept.clone(),
            options: self.options,
        }
    }

    fn serve_placeholder(
        &self,
        request: &ImageRequest,
        kind: PlaceholderKind,
    ) -> Result<ImageResponse> {
        let source = Source::Placeholder {
            kind,
            language: request.locale.caption_language,
        };
        let plan = Plan::new(&self.render_request(request, source))?;
        // The variant key names the caption's language only when one is drawn (SPEC §6), and
        // so do the ETag and the cache key built from it.
        let etag = ETag::new(&format!("ph.{}", plan.variant_key()));
        // A captioned placeholder also varies by the language headers; 304s say so too.
        let with_headers = |response, etag| {
            let mut response = self.with_caching_headers(request, response, etag, None);
            response.vary |= plan.vary();
            response
        };
        record_passthrough(false);
        if not_modified(request, &etag) {
            record_cache("not_modified");
            return Ok(with_headers(ImageResponse::not_modified(), etag));
        }
        let key = VariantKey {
            person: 0,
            version: String::new(),
            variant: etag.as_str().to_owned(),
        };
        let rendered = match &self.cache {
            Some(cache) => self.cached_render(cache, key, &plan)?,
            None => {
                record_cache("none");
                self.execute(&plan)?
            }
        };
        Ok(with_headers(ok(rendered), etag))
    }

    /// Serves a stored photo, looking it up again when it was replaced between lookup and fetch.
    fn serve_stored(&self, request: &ImageRequest, mut info: ImageInfo) -> Result<ImageResponse> {
        for _ in 0..FETCH_ATTEMPTS {
            if let Some(response) = self.serve_version(request, &info)? {
                return Ok(response);
            }
            match self.lookup(request.person)? {
                Lookup::Found(now) => info = now,
                Lookup::NoImage => return self.serve_no_image(request),
                Lookup::NoSuchPerson => return Err(Error::PersonNotFound),
            }
        }
        Err(Error::store(
            format!("reading the photo of person {}", request.person),
            "it was replaced on every attempt",
        ))
    }

    /// Serves the photo version `info` describes, or `None` when the store no longer has it.
    ///
    /// The ETag and the cache key come from the version and the request alone, so a 304, a cache
    /// hit and (once the photo's format is known) a `HEAD` of the photo as stored answer without
    /// fetching its bytes; a miss fetches them once.
    fn serve_version(
        &self,
        request: &ImageRequest,
        info: &ImageInfo,
    ) -> Result<Option<ImageResponse>> {
        let limits = &self.options.limits;
        if let Err(error) =
            limits.check_source_bytes(usize::try_from(info.len).unwrap_or(usize::MAX))
        {
            return self.unrenderable(request, error).map(Some);
        }
        let variant = request_variant(request);
        let etag = ETag::new(&format!(
            "{:016x}.{variant}",
            crate::digest::fnv1a64(info.version.as_bytes())
        ));
        let modified = info.modified;
        if not_modified(request, &etag) {
            record_cache("not_modified");
            let response = ImageResponse::not_modified();
            return Ok(Some(
                self.with_caching_headers(request, response, etag, modified),
            ));
        }
        let key = VariantKey {
            person: request.person.get(),
            version: info.version.clone(),
            variant,
        };
        if let Some(rendered) = self.cache.as_ref().and_then(|cache| cache.get(&key)) {
            record_cache("hit");
            return Ok(Some(self.with_caching_headers(
                request,
                ok(rendered),
                etag,
                modified,
            )));
        }
        if let Some(response) = self.head_of_stored(request, info) {
            record_cache("none");
            record_passthrough(true);
            return Ok(Some(
                self.with_caching_headers(request, response, etag, modified),
            ));
        }
        let bytes = match self.fetch(request.person, info)? {
            Fetch::Current(bytes) => bytes,
            Fetch::Changed => return Ok(None),
        };
        let person = request.person.get();
        self.known_formats
            .remember(person, &info.version, ImageFormat::sniff(&bytes));
        let source = Source::Stored {
            bytes,
            declared_mime: info.declared_mime.clone(),
        };
        let rendered = Plan::new(&self.render_request(request, source)).and_then(|plan| {
            record_passthrough(plan.is_passthrough());
            match &self.cache {
                // Passthrough is already zero-copy: caching it would only cost memory.
                Some(cache) if !plan.is_passthrough() => self.cached_render(cache, key, &plan),
                _ => {
                    record_cache("none");
                    self.execute(&plan)
                }
            }
        });
        match rendered {
            Ok(rendered) => Ok(Some(self.with_caching_headers(
                request,
                ok(rendered),
                etag,
                modified,
            ))),
            Err(error) => self.unrenderable(request, error).map(Some),
        }
    }

    /// A `HEAD` of a photo sent as stored, answered from its metadata and its format remembered
    /// from an earlier fetch; `None` when the bytes are needed.
    fn head_of_stored(&self, request: &ImageRequest, info: &ImageInfo) -> Option<ImageResponse> {
        if request.method != Method::Head {
            return None;
        }
        let stored = self
            .known_formats
            .get(request.person.get(), &info.version)??;
        let query = &request.query;
        let (content_type, len) = passthrough_head(
            query.width,
            query.height,
            query.format,
            request.accept.as_ref(),
            stored,
            info.len,
        )?;
        let mut response = ImageResponse::ok(content_type, bytes::Bytes::new());
        response.content_length = len;
        Some(response)
    }

    /// Executes `plan` once the render budget has room for it.
    fn execute(&self, plan: &Plan) -> Result<Rendered> {
        let _reservation = self.budget.reserve(plan.peak_bytes());
        plan.execute()
    }

    /// The cached rendering for `key`, or `plan`'s; records whether this request rendered
    /// (`miss`) or was answered by the cache or by another request's identical render (`hit`).
    fn cached_render(&self, cache: &RenderCache, key: VariantKey, plan: &Plan) -> Result<Rendered> {
        let mut rendered_here = false;
        let rendered = cache.get_or_render(key, || {
            rendered_here = true;
            self.execute(plan)
        });
        record_cache(if rendered_here { "miss" } else { "hit" });
        rendered
    }

    /// A person without a photo: the placeholder `ifBlank` asks for, or 404.
    fn serve_no_image(&self, request: &ImageRequest) -> Result<ImageResponse> {
        match self.placeholder_for(request.query.if_blank) {
            Some(kind) => self.serve_placeholder(request, kind),
            None => Err(Error::ImageNotFound),
        }
    }

    /// A stored image that cannot be rendered: 422, unless `ifBlank` asks for a placeholder.
    fn unrenderable(&self, request: &ImageRequest, error: Error) -> Result<ImageResponse> {
        match self.placeholder_for(request.query.if_blank) {
            Some(kind) if error.is_unrenderable() => self.serve_placeholder(request, kind),
            _ => Err(error),
        }
    }

    /// Adds what only the service knows: the entity tag, `Last-Modified`, `Cache-Control`, and
    /// `Vary: Accept` whenever the answer would change under another `Accept` (no `type`, SPEC
    /// §4); drops the body for `HEAD`.
    fn with_caching_headers(
        &self,
        request: &ImageRequest,
        mut response: ImageResponse,
        etag: ETag,
        modified: Option<std::time::SystemTime>,
    ) -> ImageResponse {
        if request.query.format.is_none() {
            response.vary |= Vary::ACCEPT;
        }
        response.etag = Some(etag);
        response.last_modified = modified;
        response.cache_control = Some(self.cache_control.clone());
        if request.method == Method::Head {
            response = response.without_body();
        }
        response
    }
}

/// The response to a request that did not parse (or used another method than GET and HEAD),
/// in its own request span (without a person) and counted like any other.
pub(crate) fn refuse_unparsed<S: PersonImageService + ?Sized>(
    service: &S,
    error: &Error,
    method: Method,
) -> ImageResponse {
    let span = RequestSpan::new(method, None);
    let response = span.in_scope(|| service.error_response(error, method));
    span.finish(&response, Some(error));
    crate::metrics::request(response.status, &response.content_type);
    response
}

/// A 200 carrying what was rendered.
fn ok(rendered: Rendered) -> ImageResponse {
    ImageResponse::ok(rendered.content_type, rendered.body)
}

/// Whether the request's `If-None-Match` matches `etag`.
fn not_modified(request: &ImageRequest, etag: &ETag) -> bool {
    not_modified_for(request.if_none_match.as_ref(), etag)
}

/// Whether an `If-None-Match` condition (when sent) matches `etag`.
fn not_modified_for(if_none_match: Option<&crate::headers::IfNoneMatch>, etag: &ETag) -> bool {
    if_none_match.is_some_and(|condition| condition.matches(etag))
}

/// What the request asks of a stored photo, normalized: the sizes, and the `type` or else the
/// `Accept` weights negotiation reads. With the photo's version it determines the response, so it
/// keys the ETag and the render cache without the photo's bytes.
fn request_variant(request: &ImageRequest) -> String {
    let query = &request.query;
    let side = |side: Option<crate::request::Dimension>| side.map_or(0, |side| side.get());
    let mut variant = format!("w{}h{}", side(query.width), side(query.height));
    match (query.format, &request.accept) {
        (Some(format), _) => variant.push_str(&format!("t{format}")),
        (None, None) => variant.push_str("any"),
        (None, Some(accept)) => {
            variant.push('q');
            for media_type in NEGOTIATED_TYPES {
                variant.push_str(&format!("{}.", accept.quality(media_type)));
            }
            variant.pop();
            // SPEC §4.1 weighs a member naming `image/webp` apart from the wildcards that may
            // give `image/webp` the same q-value; always 0 without the `webp` feature.
            let named_webp = crate::render::webp_weight(accept);
            if named_webp > 0 {
                variant.push_str(&format!("w{named_webp}"));
            }
        }
    }
    variant
}

impl PersonImageService for ImageService {
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse> {
        // SPEC §2: nothing about the person is looked up before the caller is known and allowed.
        self.authorize(&request.identity, request.person, Action::ReadImage)?;
        match self.lookup(request.person)? {
            Lookup::NoSuchPerson => Err(Error::PersonNotFound),
            Lookup::NoImage => self.serve_no_image(request),
            Lookup::Found(info) => self.serve_stored(request, info),
        }
    }

    fn replace_image(&self, request: &UploadRequest) -> Result<ImageResponse> {
        self.replace(request)
    }

    fn delete_image(&self, request: &PersonRequest) -> Result<ImageResponse> {
        self.delete(request)
    }

    fn image_info(&self, request: &PersonRequest) -> Result<ImageResponse> {
        self.info(request)
    }

    fn person_images(&self, request: &BatchRequest) -> Result<ImageResponse> {
        self.batch(request)
    }

    fn challenges(&self) -> Vec<String> {
        self.authenticator.challenges()
    }

    fn limits(&self) -> Limits {
        self.options.limits
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
    fn builder_reports_what_is_missing() {
        let error = ImageService::builder().build().unwrap_err();
        assert!(error.to_string().contains("store"), "{error}");
    }
}
