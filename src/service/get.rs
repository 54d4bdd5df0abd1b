//! The image GET (SPEC §3–§7): store lookup, the ETag and `If-None-Match`, the render cache,
//! passthrough or rendering, placeholders, and the caching headers.

use bytes::Bytes;

use super::cache::RenderCache;
use super::source::{Fetched, StoreStream, READ_IN_ORDER_HOLDS};
use super::ImageService;
use crate::auth::Action;
use crate::headers::{ETag, Vary};
use crate::observe::{record_cache, record_passthrough, CacheOutcome};
use crate::render::{
    FocalPoint, Framing, ImageFormat, PlaceholderKind, Plan, Preference, RenderRequest, Rendered,
    Source, Variant,
};
use crate::request::{Fit, IfBlank, ImageRequest, Method};
use crate::response::ImageResponse;
use crate::store::{ImageInfo, Lookup};
use crate::{Error, Result};

/// How often a photo replaced between lookup and fetch is looked up again before giving up.
pub(super) const FETCH_ATTEMPTS: usize = 3;

impl ImageService {
    /// `GET`/`HEAD …/Image`: authorizes, looks the photo up and serves it, a placeholder or 404.
    pub(super) fn get(&self, request: &ImageRequest) -> Result<ImageResponse> {
        // SPEC §2: nothing about the person is looked up before the caller is known and allowed.
        self.authorize(&request.identity, request.person, Action::ReadImage)?;
        let preference = preference(request);
        let (found, api_point) = match self.lookup_for(request.person, framing(request).fit) {
            Err(error) if error.is_store_unavailable() => {
                return self.serve_stale(request, &preference, error)
            }
            found => found?,
        };
        match found {
            Lookup::NoSuchPerson => Err(Error::PersonNotFound),
            Lookup::NoImage => self.serve_no_image(request, &preference),
            Lookup::Found(info) => self.serve_stored(request, &preference, info, api_point),
        }
    }

    fn placeholder_for(&self, if_blank: IfBlank) -> Option<PlaceholderKind> {
        PlaceholderKind::for_if_blank(if_blank, self.default_placeholder)
    }

    pub(super) fn render_request(
        &self,
        request: &ImageRequest,
        source: Source,
        focal_point: Option<FocalPoint>,
    ) -> RenderRequest {
        RenderRequest {
            source,
            width: request.query.width,
            height: request.query.height,
            fit: request.query.fit,
            focal_point,
            format: request.query.format,
            accept: request.accept.clone(),
            options: self.options,
        }
    }

    fn serve_placeholder(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        kind: PlaceholderKind,
    ) -> Result<ImageResponse> {
        let source = Source::Placeholder {
            kind,
            language: request.locale.caption_language,
        };
        let plan = Plan::new(&self.render_request(request, source, None), preference)?;
        let variant = plan
            .placeholder_variant()
            .ok_or_else(|| Error::internal("planning a placeholder", "planned no placeholder"))?;
        let etag = ETag::for_variant(&variant);
        // A captioned placeholder also varies by the language headers; 304s say so too.
        let with_headers = |response, etag| {
            let mut response = self.with_caching_headers(request, response, etag, None);
            response.vary |= plan.vary();
            response
        };
        record_passthrough(false);
        if not_modified(request, &etag) {
            record_cache(CacheOutcome::NotModified);
            return Ok(with_headers(ImageResponse::not_modified(), etag));
        }
        let rendered = match &self.cache {
            Some(cache) => self.cached_render(cache, variant, None, &plan, None)?,
            None => {
                record_cache(CacheOutcome::None);
                self.execute(&plan)?
            }
        };
        Ok(with_headers(ok(rendered), etag))
    }

    /// Serves a stored photo (with `api_point`, the focal point set through the API for a
    /// `fit=cover` request, read with `info`), looking it up again when it was replaced between
    /// lookup and fetch.
    pub(super) fn serve_stored(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        mut info: ImageInfo,
        mut api_point: Option<FocalPoint>,
    ) -> Result<ImageResponse> {
        for _ in 0..FETCH_ATTEMPTS {
            if let Some(response) = self.serve_version(request, preference, &info, api_point)? {
                return Ok(response);
            }
            let found;
            (found, api_point) = self.lookup_for(request.person, framing(request).fit)?;
            match found {
                Lookup::Found(now) => info = now,
                Lookup::NoImage => return self.serve_no_image(request, preference),
                Lookup::NoSuchPerson => return Err(Error::PersonNotFound),
            }
        }
        Err(Error::replaced_on_every_attempt(request.person))
    }

    /// Serves the photo version `info` describes, or `None` when the store no longer has it.
    ///
    /// The ETag and the cache key come from the version, the API focal point read with it and
    /// the request alone, so a 304, a cache hit and (once the photo's format is known) a `HEAD`
    /// of the photo as stored answer without another store call; a miss fetches the bytes once.
    fn serve_version(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
        api_point: Option<FocalPoint>,
    ) -> Result<Option<ImageResponse>> {
        let limits = &self.options.limits;
        if let Err(error) =
            limits.check_source_bytes(usize::try_from(info.len).unwrap_or(usize::MAX))
        {
            return self.unrenderable(request, preference, error).map(Some);
        }
        let fit = framing(request).fit;
        // Only a cover crop depends on the focal point set through the API.
        let focus = match fit {
            Fit::Cover => api_point,
            Fit::Contain => None,
        };
        let variant = Variant::Photo {
            person: request.person,
            version: info.version.clone(),
            width: request.query.width,
            height: request.query.height,
            fit,
            focus,
            preference: *preference,
        };
        let etag = ETag::for_variant(&variant);
        let modified = info.modified;
        if not_modified(request, &etag) {
            record_cache(CacheOutcome::NotModified);
            let response = ImageResponse::not_modified();
            return Ok(Some(
                self.with_caching_headers(request, response, etag, modified),
            ));
        }
        if let Some(rendered) = self
            .cache
            .as_ref()
            .and_then(|cache| cache.get(&variant, modified))
        {
            record_cache(CacheOutcome::Hit);
            return Ok(Some(self.with_caching_headers(
                request,
                ok(rendered),
                etag,
                modified,
            )));
        }
        if let Some(response) = self.head_of_stored(request, preference, info) {
            record_cache(CacheOutcome::None);
            record_passthrough(true);
            return Ok(Some(
                self.with_caching_headers(request, response, etag, modified),
            ));
        }
        #[cfg(feature = "object-store")]
        if let Some(tier) = &self.tier {
            match self.render_tiered(tier, request, preference, info, &variant) {
                super::tiered::Tiered::Skip => {}
                super::tiered::Tiered::Changed => return Ok(None),
                super::tiered::Tiered::Done(Ok(rendered)) => {
                    let response = ok(rendered);
                    let response = self.with_caching_headers(request, response, etag, modified);
                    return Ok(Some(response));
                }
                super::tiered::Tiered::Done(Err(error)) => {
                    return self.unrenderable(request, preference, error).map(Some)
                }
            }
        }
        // Held until the answer: the photo's bytes, or a read's worth when it is read in order.
        let mut held = self.sources.reserve(info.len);
        let (bytes, rest) = match self.open_source(request.person, info)? {
            Fetched::Whole(bytes) => (bytes, None),
            Fetched::Head { head, rest } => (head, Some(rest)),
            Fetched::Changed => return Ok(None),
        };
        let person = request.person.get();
        self.known_formats
            .remember(person, &info.version, ImageFormat::sniff(&bytes));
        // A detected focal point needs the whole picture.
        let (bytes, rest) = match rest {
            Some(rest) if needs_detected_focus(&variant) => {
                (self.read_rest(request.person, bytes, rest)?, None)
            }
            rest => (bytes, rest),
        };
        let focal_point = self.cover_focal_point(&variant, info, &bytes)?;
        let plan_of = |bytes| {
            let source = Source::Stored {
                bytes,
                declared_mime: info.declared_mime.clone(),
            };
            Plan::new(
                &self.render_request(request, source, focal_point),
                preference,
            )
        };
        // A plan made from the first bytes holds when it decodes the photo as it reads it;
        // anything else (a passthrough, another format, a header past the first bytes) is
        // planned again from the whole photo.
        let (plan, mut stream) = match rest {
            None => (plan_of(bytes), None),
            Some(rest) => match plan_of(bytes.clone()) {
                Ok(plan) if plan.reads_in_order() => {
                    held.shrink_to(READ_IN_ORDER_HOLDS);
                    let stream = StoreStream::new(&self.calls, request.person, bytes, rest);
                    (Ok(plan), Some(stream))
                }
                _ => (plan_of(self.read_rest(request.person, bytes, rest)?), None),
            },
        };
        let rendered = plan.and_then(|plan| {
            record_passthrough(plan.is_passthrough());
            match &self.cache {
                // Passthrough is already zero-copy: caching it would only cost memory.
                Some(cache) if !plan.is_passthrough() => {
                    self.cached_render(cache, variant, modified, &plan, stream.as_mut())
                }
                _ => {
                    record_cache(CacheOutcome::None);
                    self.execute_from(&plan, stream.as_mut())
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
            Err(error) => self.unrenderable(request, preference, error).map(Some),
        }
    }

    /// The point a `fit=cover` crop of `variant` keeps: the one set through the API (part of the
    /// variant), else the detected one; `None` for other variants.
    pub(super) fn cover_focal_point(
        &self,
        variant: &Variant,
        info: &ImageInfo,
        bytes: &Bytes,
    ) -> Result<Option<FocalPoint>> {
        let Variant::Photo {
            person,
            fit: Fit::Cover,
            focus,
            ..
        } = variant
        else {
            return Ok(None);
        };
        if focus.is_some() {
            return Ok(*focus);
        }
        Ok(self
            .detected_focus(*person, info, Some(bytes))?
            .map(|detected| detected.point))
    }

    /// The plan for a photo whose format was remembered from an earlier fetch, without its bytes;
    /// `None` when the format is not known or the plan needs the bytes.
    pub(super) fn plan_from_known_format(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
    ) -> Option<Plan> {
        let stored = self
            .known_formats
            .get(request.person.get(), &info.version)??;
        Plan::stored(
            preference,
            framing(request),
            self.options,
            stored,
            info.len,
            None,
        )
        .ok()?
    }

    /// A `HEAD` of a photo sent as stored, answered from its metadata and its format remembered
    /// from an earlier fetch, planned as its `GET` is; `None` when the plan needs the bytes.
    fn head_of_stored(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
    ) -> Option<ImageResponse> {
        if request.method != Method::Head {
            return None;
        }
        let (content_type, len) = self
            .plan_from_known_format(request, preference, info)?
            .head()?;
        let mut response = ImageResponse::ok(content_type, bytes::Bytes::new());
        response.content_length = len;
        Some(response)
    }

    /// Executes `plan` once the render budget has room for it.
    pub(super) fn execute(&self, plan: &Plan) -> Result<Rendered> {
        self.execute_from(plan, None)
    }

    /// [`Self::execute`], decoding the photo as `stream` reads it when there is one (the plan was
    /// made from its first bytes); a read the store failed is answered as that failure.
    fn execute_from(&self, plan: &Plan, stream: Option<&mut StoreStream<'_>>) -> Result<Rendered> {
        let _reservation = self.budget.reserve(plan.peak_bytes());
        match stream {
            None => plan.execute(),
            Some(stream) => plan
                .execute_reading(stream)
                .map_err(|error| stream.failure().unwrap_or(error)),
        }
    }

    /// The cached rendering for `key`, or `plan`'s; records whether this request rendered
    /// (`miss`) or was answered by the cache or by another request's identical render (`hit`).
    fn cached_render(
        &self,
        cache: &RenderCache,
        key: Variant,
        modified: Option<std::time::SystemTime>,
        plan: &Plan,
        stream: Option<&mut StoreStream<'_>>,
    ) -> Result<Rendered> {
        let mut rendered_here = false;
        let rendered = cache.get_or_render(key, modified, || {
            rendered_here = true;
            self.execute_from(plan, stream)
        });
        record_cache(if rendered_here {
            CacheOutcome::Miss
        } else {
            CacheOutcome::Hit
        });
        rendered
    }

    /// The store is unavailable (`error`): RFC 5861 `stale-if-error`. The variant the request
    /// asks for, at the version a request last found current, is served from the render cache
    /// (or a 304 when the caller has it) if the store confirmed it at most
    /// [`stale_if_error`](crate::ImageServiceBuilder::stale_if_error) ago; else `error` (503).
    fn serve_stale(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        error: Error,
    ) -> Result<ImageResponse> {
        // The version and the API focal point are what the store would have said.
        let asked = Variant::Photo {
            person: request.person,
            version: String::new(),
            width: request.query.width,
            height: request.query.height,
            fit: framing(request).fit,
            focus: None,
            preference: *preference,
        };
        let stale = self
            .cache
            .as_ref()
            .filter(|_| !self.stale_if_error.is_zero())
            .and_then(|cache| cache.stale(&asked, self.stale_if_error));
        let Some(stale) = stale else {
            return Err(error);
        };
        crate::metrics::stale();
        let etag = ETag::for_variant(&stale.variant);
        let response = if not_modified(request, &etag) {
            ImageResponse::not_modified()
        } else {
            ok(stale.rendered)
        };
        Ok(self.with_caching_headers(request, response, etag, stale.modified))
    }

    /// A person without a photo: the placeholder `ifBlank` asks for, or 404.
    fn serve_no_image(
        &self,
        request: &ImageRequest,
        preference: &Preference,
    ) -> Result<ImageResponse> {
        match self.placeholder_for(request.query.if_blank) {
            Some(kind) => self.serve_placeholder(request, preference, kind),
            None => Err(Error::ImageNotFound),
        }
    }

    /// A stored image that cannot be rendered: 422, unless `ifBlank` asks for a placeholder.
    fn unrenderable(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        error: Error,
    ) -> Result<ImageResponse> {
        match self.placeholder_for(request.query.if_blank) {
            Some(kind) if error.is_unrenderable() => {
                self.serve_placeholder(request, preference, kind)
            }
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

/// Whether rendering `variant` needs a focal point detected in the picture: a cover crop without
/// one set through the API.
fn needs_detected_focus(variant: &Variant) -> bool {
    matches!(
        variant,
        Variant::Photo {
            fit: Fit::Cover,
            focus: None,
            ..
        }
    )
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
pub(super) fn not_modified_for(
    if_none_match: Option<&crate::headers::IfNoneMatch>,
    etag: &ETag,
) -> bool {
    if_none_match.is_some_and(|condition| condition.matches(etag))
}

/// What the request asks of the output's geometry: `w`, `h`, `fit` (the focal point is the
/// photo's upper centre).
fn framing(request: &ImageRequest) -> Framing {
    let query = &request.query;
    Framing::new(query.width, query.height, query.fit, None)
}

/// What the request asks about the output format, read once: it keys the ETag and the cache and
/// is what negotiation decides from.
pub(super) fn preference(request: &ImageRequest) -> Preference {
    Preference::new(request.query.format, request.accept.as_ref())
}
