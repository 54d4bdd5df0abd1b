//! The whole GET: authentication, store lookup, negotiation, rendering and caching headers (SPEC §2–§7).

mod builder;
mod cache;

use std::sync::Arc;

use crate::auth::{Authenticator, Principal};
use crate::headers::ETag;
use crate::limits::Limits;
use crate::render::{PlaceholderKind, Plan, RenderOptions, RenderRequest, Rendered, Source};
use crate::request::{IfBlank, ImageRequest, Method};
use crate::response::ImageResponse;
use crate::store::{ImageStore, Lookup, StoredImage};
use crate::{Error, Result};

pub use builder::ImageServiceBuilder;
pub use cache::CacheStats;
use cache::{RenderCache, VariantKey};

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
            Err(error) => self.error_response(&error, method),
        }
    }

    fn authenticate(&self, request: &ImageRequest) -> Result<Principal> {
        let identity = request.identity.as_ref().map_err(|error| error.clone())?;
        let principal = self.authenticator.authenticate(identity)?;
        self.authenticator.authorize(&principal, request.person)?;
        Ok(principal)
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
        let key = VariantKey {
            person: 0,
            version: String::new(),
            variant: etag.as_str().to_owned(),
        };
        self.finish(request, &plan, etag, key, None)
    }

    fn serve_stored(&self, request: &ImageRequest, image: StoredImage) -> Result<ImageResponse> {
        let source = Source::Stored {
            bytes: image.bytes,
            declared_mime: image.declared_mime,
        };
        let plan = match Plan::new(&self.render_request(request, source)) {
            Ok(plan) => plan,
            Err(error) => return self.unrenderable(request, error),
        };
        let variant = plan.variant_key();
        let etag = ETag::new(&format!(
            "{:016x}.{variant}",
            crate::digest::fnv1a64(image.version.as_bytes())
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

    /// Answers 304 when `If-None-Match` matches, else renders (through the cache); the render says
    /// what it produced and whether it depends on `Accept`, and this adds the caching headers.
    fn finish(
        &self,
        request: &ImageRequest,
        plan: &Plan,
        etag: ETag,
        key: VariantKey,
        modified: Option<std::time::SystemTime>,
    ) -> Result<ImageResponse> {
        let not_modified = request
            .if_none_match
            .as_ref()
            .is_some_and(|condition| condition.matches(&etag));
        let mut response = if not_modified {
            ImageResponse::not_modified()
        } else {
            let Rendered { content_type, body } = match &self.cache {
                // Passthrough is already zero-copy: caching it would only cost memory.
                Some(cache) if !plan.is_passthrough() => {
                    cache.get_or_render(key, || plan.execute())?
                }
                _ => plan.execute()?,
            };
            ImageResponse::ok(content_type, body)
        };
        response.vary_accept = plan.vary_accept();
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
