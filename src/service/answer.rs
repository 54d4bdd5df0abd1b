//! Answering HTTP through any [`PersonImageService`]: parse, dispatch to the operation, turn an
//! error into its response, drop the body for `HEAD`, and observe (the request span, the request
//! counter). An extension trait with a blanket impl, as tower's `ServiceExt`: implementations
//! write operations only, and every implementation is answered the same way.

use bytes::Bytes;

use super::PersonImageService;
use crate::limits::Limits;
use crate::metrics::BodyLabel;
use crate::observe::RequestSpan;
use crate::person_id::PersonId;
use crate::request::{ApiRequest, Method};
use crate::response::ImageResponse;
use crate::Error;

/// Answers requests through a [`PersonImageService`]; implemented for every one.
///
/// Errors become their responses (`{"Message": "..."}` body, the error's status,
/// `WWW-Authenticate` on a 401, `Allow` on a read-only 405); with the `tracing` feature each
/// request runs in its `person_image.request` span, with `metrics` it is counted.
///
/// ```
/// use person_image::auth::StaticAuthenticator;
/// use person_image::store::InMemory;
/// use person_image::request::Method;
/// use person_image::{ImageService, PersonImageServiceExt};
///
/// let service =
///     ImageService::builder(InMemory::new(), StaticAuthenticator::new().bearer("t", "me")).build();
/// let response = service.handle(
///     Method::Get,
///     "/api/v1/Person/7/Image",
///     [("Authorization", &b"Bearer t"[..])],
///     bytes::Bytes::new(),
///     service.limits(),
/// );
/// assert_eq!(response.status, 404); // no such person
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait PersonImageServiceExt: PersonImageService {
    /// Answers a parsed call: the operation it names, or the response of its error.
    fn answer(&self, request: &ApiRequest) -> ImageResponse {
        let method = request.method();
        let span = RequestSpan::new(method, request.person().map(PersonId::get));
        let (response, error) = span.in_scope(|| {
            let answered = match request {
                ApiRequest::Image(request) => self.get_image(request),
                ApiRequest::Upload(request) => self.replace_image(request),
                ApiRequest::Delete(request) => self.delete_image(request),
                ApiRequest::Info(request) => self.image_info(request),
                ApiRequest::EditInfo(request) => self.edit_image_info(request),
                ApiRequest::Batch(request) => self.person_images(request),
            };
            match answered {
                Ok(response) => (for_method(response, method), None),
                Err(error) => (error_response(&error, method), Some(error)),
            }
        });
        span.finish(&response, error.as_ref());
        crate::metrics::request(response.status, BodyLabel::of(&response));
        response
    }

    /// Parses a call from its parts (as [`ApiRequest::parse`], `body` read under
    /// [`ApiRequest::body_limit`], empty for calls without one) under `limits`, and answers it;
    /// a call that does not parse is answered with its 400, 404, 405 or 413. Pass the limits the
    /// service renders under ([`ImageService::limits`](crate::ImageService::limits)).
    fn handle<'a>(
        &self,
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: Bytes,
        limits: &Limits,
    ) -> ImageResponse {
        match ApiRequest::parse(method, target, headers, body, limits) {
            Ok(request) => self.answer(&request),
            Err(error) => refuse(&error, method),
        }
    }

    /// [`handle`](Self::handle) for an `http` request whose body has been read (an upload's
    /// photo, a batch's JSON; ignored by the other calls); a method the crate never answers is a
    /// 405. Read the body under [`ApiRequest::body_limit`] (the [`tower`](crate::tower) service
    /// does).
    ///
    /// ```
    /// # use person_image::{auth::StaticAuthenticator, store::InMemory, ImageService};
    /// use person_image::PersonImageServiceExt;
    /// # let service = ImageService::builder(InMemory::new(), StaticAuthenticator::new().bearer("t", "me"))
    /// #     .build();
    /// let request = http::Request::get("/api/v1/Person/7/Image")
    ///     .header("Authorization", "Bearer t")
    ///     .body(bytes::Bytes::new())?;
    /// assert_eq!(service.handle_http(request, service.limits()).status(), 404);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "http")]
    fn handle_http<B: Into<Bytes>>(
        &self,
        request: http::Request<B>,
        limits: &Limits,
    ) -> http::Response<Bytes> {
        let (parts, body) = request.into_parts();
        respond_http(self, &parts, body.into(), limits).into()
    }
}

impl<S: PersonImageService + ?Sized> PersonImageServiceExt for S {}

/// The response for `error`, body dropped for `HEAD`.
fn error_response(error: &Error, method: Method) -> ImageResponse {
    for_method(ImageResponse::from_error(error), method)
}

/// `response` as `method` sends it: without its body for `HEAD`.
fn for_method(response: ImageResponse, method: Method) -> ImageResponse {
    if method == Method::Head {
        response.without_body()
    } else {
        response
    }
}

/// The response to a call that did not parse (or that the front end refused before parsing,
/// such as an oversized body), in its own request span (without a person) and counted like any
/// other.
pub(crate) fn refuse(error: &Error, method: Method) -> ImageResponse {
    let span = RequestSpan::new(method, None);
    let response = span.in_scope(|| error_response(error, method));
    span.finish(&response, Some(error));
    crate::metrics::request(response.status, BodyLabel::of(&response));
    response
}

/// Parses an `http` request (its body already read) under `limits` and answers it through
/// `service`.
#[cfg(feature = "http")]
pub(crate) fn respond_http<S: PersonImageService + ?Sized>(
    service: &S,
    parts: &http::request::Parts,
    body: Bytes,
    limits: &Limits,
) -> ImageResponse {
    let target = crate::http_interop::target(&parts.uri);
    let parsed = match Method::from_http(&parts.method) {
        Ok(method) => {
            let headers = parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes()));
            ApiRequest::parse(method, target, headers, body, limits)
        }
        Err(_) => Err(ApiRequest::refuse_method(target)),
    };
    match parsed {
        Ok(request) => service.answer(&request),
        Err(error) => refuse(
            &error,
            Method::from_http(&parts.method).unwrap_or(Method::Get),
        ),
    }
}
