//! The whole GET: authentication, store lookup, negotiation, rendering and caching headers (SPEC §2–§7).

mod builder;
mod cache;
mod formats;

use std::sync::Arc;

use crate::auth::{Authenticator, Principal};
use crate::headers::ETag;
use crate::limits::Limits;
use crate::observe::{record_cache, record_passthrough, stage_span, RequestSpan};
use crate::render::{
    passthrough_head, ImageFormat, PlaceholderKind, Plan, RenderOptions, RenderRequest, Rendered,
    Source,
};
use crate::request::{IfBlank, ImageRequest, Method};
use crate::response::ImageResponse;
use crate::store::{Fetch, ImageInfo, ImageStore, Lookup};
use crate::{Error, Result};

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

/// Serves `GET /api/v1/Person/{personId}/Image`.
///
/// Implemented by [`ImageService`]; a trait so callers can wrap or mock the whole endpoint, and
/// usable as `Arc<dyn PersonImageService>`.
pub trait PersonImageService: Send + Sync {
    /// Answers one request, or the error that decides its status.
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse>;

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
    authenticator: Arc<dyn Authenticator>,
    options: RenderOptions,
    /// `private, max-age=N`, formatted once.
    cache_control: String,
    default_placeholder: PlaceholderKind,
    cache: Option<Arc<RenderCache>>,
    known_formats: Arc<KnownFormats>,
}

impl std::fmt::Debug for ImageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageService")
            .field("options", &self.options)
            .field("cache_control", &self.cache_control)
            .field("default_placeholder", &self.default_placeholder)
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

    /// Parses a request (method, path and query, headers) and answers it; parse errors become
    /// their 400/404 responses.
    pub fn handle<'a>(
        &self,
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> ImageResponse {
        match ImageRequest::parse(method, target, headers, self.limits()) {
            Ok(request) => self.respond(&request),
            Err(error) => refuse_unparsed(self, &error, method),
        }
    }

    fn authenticate(&self, request: &ImageRequest) -> Result<Principal> {
        let _span = stage_span!("authenticate");
        let identity = request.identity.as_ref().map_err(|error| error.clone())?;
        let principal = self.authenticator.authenticate(identity)?;
        self.authenticator.authorize(&principal, request.person)?;
        Ok(principal)
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
        let plan = Plan::new(&self.render_request(request, Source::Placeholder(kind)))?;
        let etag = ETag::new(&format!("ph.{}", plan.variant_key()));
        record_passthrough(false);
        if not_modified(request, &etag) {
            record_cache("not_modified");
            return Ok(self.with_caching_headers(
                request,
                ImageResponse::not_modified(),
                etag,
                None,
            ));
        }
        let key = VariantKey {
            person: 0,
            version: String::new(),
            variant: etag.as_str().to_owned(),
        };
        let rendered = match &self.cache {
            Some(cache) => cached_render(cache, key, &plan)?,
            None => {
                record_cache("none");
                plan.execute()?
            }
        };
        Ok(self.with_caching_headers(request, ok(rendered), etag, None))
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
                Some(cache) if !plan.is_passthrough() => cached_render(cache, key, &plan),
                _ => {
                    record_cache("none");
                    plan.execute()
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
        response.vary_accept = request.query.format.is_none();
        response.etag = Some(etag);
        response.last_modified = modified;
        response.cache_control = Some(self.cache_control.clone());
        if request.method == Method::Head {
            response = response.without_body();
        }
        response
    }
}

/// The cached rendering for `key`, or `plan`'s; records whether this request rendered (`miss`)
/// or was answered by the cache or by another request's identical render (`hit`).
fn cached_render(cache: &RenderCache, key: VariantKey, plan: &Plan) -> Result<Rendered> {
    let mut rendered_here = false;
    let rendered = cache.get_or_render(key, || {
        rendered_here = true;
        plan.execute()
    });
    record_cache(if rendered_here { "miss" } else { "hit" });
    rendered
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
    request
        .if_none_match
        .as_ref()
        .is_some_and(|condition| condition.matches(etag))
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
        self.authenticate(request)?;
        match self.lookup(request.person)? {
            Lookup::NoSuchPerson => Err(Error::PersonNotFound),
            Lookup::NoImage => self.serve_no_image(request),
            Lookup::Found(info) => self.serve_stored(request, info),
        }
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
