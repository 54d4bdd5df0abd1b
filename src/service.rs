//! The whole GET: authentication, store lookup, negotiation, rendering and caching headers (SPEC §2–§7).

use std::sync::Arc;

use crate::auth::{Authenticator, Principal};
use crate::cache::{CacheStats, RenderCache, VariantKey};
use crate::etag::ETag;
use crate::limits::Limits;
use crate::query::IfBlank;
use crate::render::{PlaceholderKind, RenderOptions, RenderPlan, RenderRequest, Renderer, Source};
use crate::request::{ImageRequest, Method};
use crate::response::ImageResponse;
use crate::store::{ImageStore, Lookup, StoredImage};
use crate::{Error, Result};

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

    /// Answers one request, turning an error into its response (`{"Message": "..."}` body, the
    /// error's status, `WWW-Authenticate` on 401).
    fn respond(&self, request: &ImageRequest) -> ImageResponse {
        match self.get_image(request) {
            Ok(response) => response,
            Err(error) => self.error_response(&error, request.method),
        }
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
/// use person_image::{ImageService, MemoryStore, StaticAuthenticator};
/// let service = ImageService::builder()
///     .store(MemoryStore::new())
///     .authenticator(StaticAuthenticator::default().user("demo", "demo"))
///     .max_age(600)
///     .build()?;
/// let shared: Arc<dyn person_image::PersonImageService> = Arc::new(service);
/// # let _ = shared;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ImageService {
    store: Arc<dyn ImageStore>,
    authenticator: Arc<dyn Authenticator>,
    renderer: Renderer,
    max_age: u32,
    /// `private, max-age=N`, formatted once.
    cache_control: String,
    default_placeholder: PlaceholderKind,
    cache: Option<Arc<RenderCache>>,
}

impl std::fmt::Debug for ImageService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageService")
            .field("renderer", &self.renderer)
            .field("max_age", &self.max_age)
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
        &self.renderer.options().limits
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
            Err(error) => self.error_response(&error, method),
        }
    }

    fn authenticate(&self, request: &ImageRequest) -> Result<Principal> {
        let identity = match &request.identity {
            Ok(identity) => identity,
            Err(error) => return Err(copy_auth_error(error)),
        };
        let principal = self.authenticator.authenticate(identity)?;
        self.authenticator.authorize(&principal, request.person)?;
        Ok(principal)
    }

    fn placeholder_for(&self, if_blank: IfBlank) -> Option<PlaceholderKind> {
        if_blank.placeholder(self.default_placeholder)
    }

    fn render_request(&self, request: &ImageRequest, source: Source) -> RenderRequest {
        RenderRequest {
            source,
            width: request.query.width,
            height: request.query.height,
            format: request.query.format,
            accept: request.accept.clone(),
            locale: request.locale.clone(),
        }
    }

    fn serve_placeholder(
        &self,
        request: &ImageRequest,
        kind: PlaceholderKind,
    ) -> Result<ImageResponse> {
        let plan = self
            .renderer
            .plan(&self.render_request(request, Source::Placeholder(kind)))?;
        let etag = ETag::new(&format!("ph.{}", plan.variant_key()));
        let key = VariantKey {
            person: 0,
            version: String::new(),
            variant: etag.to_header().to_owned(),
        };
        self.finish(request, &plan, etag, key, None)
    }

    fn serve_stored(&self, request: &ImageRequest, image: StoredImage) -> Result<ImageResponse> {
        let source = Source::Stored {
            bytes: image.bytes,
            declared_mime: image.declared_mime,
        };
        let plan = match self.renderer.plan(&self.render_request(request, source)) {
            Ok(plan) => plan,
            Err(error) => return self.unrenderable(request, error),
        };
        let variant = plan.variant_key();
        let etag = ETag::new(&format!(
            "{:016x}.{variant}",
            fnv1a64(image.version.as_bytes())
        ));
        let key = VariantKey {
            person: request.person.get(),
            version: image.version,
            variant,
        };
        match self.finish(request, &plan, etag, key, image.modified) {
            Err(error) => self.unrenderable(request, error),
            ok => ok,
        }
    }

    /// A stored image that cannot be rendered: 422, unless `ifBlank` asks for a placeholder.
    fn unrenderable(&self, request: &ImageRequest, error: Error) -> Result<ImageResponse> {
        match self.placeholder_for(request.query.if_blank) {
            Some(kind) if error.is_unrenderable() => self.serve_placeholder(request, kind),
            _ => Err(error),
        }
    }

    /// Answers 304 when `If-None-Match` matches, else renders; adds the caching headers.
    fn finish(
        &self,
        request: &ImageRequest,
        plan: &RenderPlan,
        etag: ETag,
        key: VariantKey,
        modified: Option<std::time::SystemTime>,
    ) -> Result<ImageResponse> {
        let not_modified = request
            .if_none_match
            .as_ref()
            .is_some_and(|condition| condition.matches(&etag));
        let render = || plan.execute(self.renderer.options());
        let mut response = match &self.cache {
            _ if not_modified => ImageResponse::not_modified(),
            // Passthrough is already zero-copy: caching it would only cost memory.
            Some(cache) if !plan.is_passthrough() => cache.get_or_render(key, render)?,
            _ => render()?,
        };
        response.vary_accept = plan.negotiated().vary_accept;
        response.etag = Some(etag);
        response.last_modified = modified;
        response.cache_control = Some(self.cache_control.clone());
        if request.method == Method::Head {
            response = response.without_body();
        }
        Ok(response)
    }
}

impl PersonImageService for ImageService {
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse> {
        // SPEC §2: nothing about the person is looked up before the caller is known and allowed.
        self.authenticate(request)?;
        match self.store.load(request.person)? {
            Lookup::NoSuchPerson => Err(Error::PersonNotFound),
            Lookup::NoImage => match self.placeholder_for(request.query.if_blank) {
                Some(kind) => self.serve_placeholder(request, kind),
                None => Err(Error::ImageNotFound),
            },
            Lookup::Found(image) => self.serve_stored(request, image),
        }
    }

    fn challenges(&self) -> Vec<String> {
        self.authenticator.challenges()
    }
}

impl IfBlank {
    /// The placeholder this value asks for; `default` stands for `Default`, and `Null` asks for none.
    pub fn placeholder(self, default: PlaceholderKind) -> Option<PlaceholderKind> {
        match self {
            IfBlank::Null => None,
            IfBlank::Default => Some(default),
            IfBlank::ClearPixel => Some(PlaceholderKind::ClearPixel),
            IfBlank::SrNoPhoto => Some(PlaceholderKind::NoPhoto),
            IfBlank::SrNoPhotoWithBorder => Some(PlaceholderKind::NoPhotoWithBorder),
            IfBlank::GenericFileIcon => Some(PlaceholderKind::GenericFileIcon),
        }
    }
}

/// Credential parse errors are stored in the request; re-create the 401 to return it by value.
fn copy_auth_error(error: &Error) -> Error {
    match error {
        Error::Unauthenticated { reason } => Error::unauthenticated(reason.clone()),
        other => Error::unauthenticated(other.to_string()),
    }
}

/// FNV-1a, 64-bit: a short, stable digest of a store's version tag for the ETag.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Configures an [`ImageService`]; [`ImageServiceBuilder::build`] checks the configuration.
#[derive(Default)]
pub struct ImageServiceBuilder {
    store: Option<Arc<dyn ImageStore>>,
    authenticator: Option<Arc<dyn Authenticator>>,
    options: RenderOptions,
    max_age: Option<u32>,
    default_placeholder: Option<PlaceholderKind>,
    cache_bytes: Option<u64>,
}

impl std::fmt::Debug for ImageServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageServiceBuilder")
            .field("has_store", &self.store.is_some())
            .field("has_authenticator", &self.authenticator.is_some())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ImageServiceBuilder {
    /// The store photos come from (required).
    #[must_use]
    pub fn store(self, store: impl ImageStore + 'static) -> Self {
        self.shared_store(Arc::new(store))
    }

    /// A store shared with other parts of the program.
    #[must_use]
    pub fn shared_store(mut self, store: Arc<dyn ImageStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The authenticator (required).
    #[must_use]
    pub fn authenticator(self, authenticator: impl Authenticator + 'static) -> Self {
        self.shared_authenticator(Arc::new(authenticator))
    }

    /// An authenticator shared with other parts of the program.
    #[must_use]
    pub fn shared_authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Request and decode limits (default [`Limits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.options.limits = limits;
        self
    }

    /// Rendering options (quality, compression, background); replaces the limits too.
    #[must_use]
    pub fn render_options(mut self, options: RenderOptions) -> Self {
        self.options = options;
        self
    }

    /// `Cache-Control: private, max-age=N` (default 3600 seconds).
    #[must_use]
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// What `ifBlank=Default` draws (default [`PlaceholderKind::NoPhoto`]).
    #[must_use]
    pub fn default_placeholder(mut self, kind: PlaceholderKind) -> Self {
        self.default_placeholder = Some(kind);
        self
    }

    /// Bytes of rendered variants kept in memory (default 64 MiB; 0 turns the cache off).
    #[must_use]
    pub fn cache_bytes(mut self, bytes: u64) -> Self {
        self.cache_bytes = Some(bytes);
        self
    }

    /// Builds the service, or says what is missing or inconsistent.
    pub fn build(self) -> Result<ImageService> {
        let store = self.store.ok_or_else(|| {
            Error::Config("a store is required (ImageServiceBuilder::store)".into())
        })?;
        let authenticator = self.authenticator.ok_or_else(|| {
            Error::Config(
                "an authenticator is required (ImageServiceBuilder::authenticator)".into(),
            )
        })?;
        let limits = &self.options.limits;
        if limits.max_side == 0 || limits.max_source_pixels == 0 || limits.max_frames == 0 {
            return Err(Error::Config(
                "limits must be positive (max_side, max_source_pixels, max_frames)".into(),
            ));
        }
        if !(1..=100).contains(&self.options.jpeg_quality) {
            return Err(Error::Config(format!(
                "jpeg_quality must be 1 to 100, got {}",
                self.options.jpeg_quality
            )));
        }
        let max_age = self.max_age.unwrap_or(3600);
        Ok(ImageService {
            store,
            authenticator,
            renderer: Renderer::new(self.options),
            max_age,
            cache_control: format!("private, max-age={max_age}"),
            default_placeholder: self.default_placeholder.unwrap_or(PlaceholderKind::NoPhoto),
            cache: match self.cache_bytes.unwrap_or(64 * 1024 * 1024) {
                0 => None,
                bytes => Some(Arc::new(RenderCache::new(bytes))),
            },
        })
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
