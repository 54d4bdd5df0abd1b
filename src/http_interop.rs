//! One line each way between this crate and the `http` crate (axum, hyper, tower users).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};

use crate::limits::Limits;
use crate::request::{ApiRequest, ImageRequest, Method};
use crate::response::ImageResponse;
use crate::service::{ImageService, PersonImageService};
use crate::{Error, Result};

impl Method {
    /// The method from an `http::Method`; one the crate never answers is
    /// [`Error::MethodNotAllowed`].
    pub fn from_http(method: &http::Method) -> Result<Self> {
        match *method {
            http::Method::GET => Ok(Method::Get),
            http::Method::HEAD => Ok(Method::Head),
            http::Method::POST => Ok(Method::Post),
            http::Method::PUT => Ok(Method::Put),
            http::Method::DELETE => Ok(Method::Delete),
            _ => Err(Error::MethodNotAllowed),
        }
    }
}

impl ImageRequest {
    /// Parses the request line and headers of an `http` request.
    ///
    /// ```
    /// use person_image::{ImageRequest, Limits};
    /// let request = http::Request::get("/api/v1/Person/7/Image?w=64")
    ///     .header("Authorization", "Bearer demo-token")
    ///     .body(())?;
    /// let (parts, _) = request.into_parts();
    /// let parsed = ImageRequest::from_http(&parts, &Limits::default())?;
    /// assert_eq!(parsed.person.get(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_http(parts: &http::request::Parts, limits: &Limits) -> Result<Self> {
        let method = Method::from_http(&parts.method)?;
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        ImageRequest::parse(method, target(&parts.uri), headers, limits)
    }
}

impl From<ImageResponse> for http::Response<Bytes> {
    fn from(response: ImageResponse) -> Self {
        let status = http::StatusCode::from_u16(response.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut out = http::Response::new(response.body.clone());
        *out.status_mut() = status;
        let headers = out.headers_mut();
        for (name, value) in response.headers() {
            // Every value the crate produces is visible ASCII; skip rather than panic if not.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(HeaderName::from_static(lowercase(name)), value);
            }
        }
        out
    }
}

/// `http` wants lowercase static header names.
fn lowercase(name: &'static str) -> &'static str {
    match name {
        "Content-Type" => "content-type",
        "Content-Length" => "content-length",
        "X-Content-Type-Options" => "x-content-type-options",
        "ETag" => "etag",
        "Last-Modified" => "last-modified",
        "Cache-Control" => "cache-control",
        "Vary" => "vary",
        "WWW-Authenticate" => "www-authenticate",
        "Allow" => "allow",
        _ => "x-unknown",
    }
}

impl ImageService {
    /// Answers an `http` request whose body has been read (an upload's photo, a batch's JSON;
    /// ignored by the other calls): parse, authenticate, do the work, respond. Errors become their
    /// status with a `{"Message": "..."}` body. Read the body under [`ApiRequest::body_limit`]
    /// (the [`tower`](crate::tower) service does).
    ///
    /// ```
    /// # use person_image::{auth::StaticAuthenticator, store::InMemory, ImageService};
    /// # let service = ImageService::builder().store(InMemory::new())
    /// #     .authenticator(StaticAuthenticator::new().bearer("t", "me")).build()?;
    /// let request = http::Request::get("/api/v1/Person/7/Image")
    ///     .header("Authorization", "Bearer t")
    ///     .body(bytes::Bytes::new())?;
    /// assert_eq!(service.handle_http(request).status(), 404); // no such person
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle_http<B: Into<Bytes>>(&self, request: http::Request<B>) -> http::Response<Bytes> {
        let (parts, body) = request.into_parts();
        respond_http(self, &parts.method, &parts.uri, &parts.headers, body.into()).into()
    }
}

/// Parses an `http` request (its body already read) under `service`'s limits and answers it; a
/// method the crate never answers is a 405, a request that does not parse its 400, 404 or 413.
pub(crate) fn respond_http<S: PersonImageService + ?Sized>(
    service: &S,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    body: Bytes,
) -> ImageResponse {
    let parsed = Method::from_http(method).and_then(|method| {
        let headers = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        ApiRequest::parse(method, target(uri), headers, body, &service.limits())
    });
    match parsed {
        Ok(request) => service.answer(&request),
        Err(error) => {
            let method = Method::from_http(method).unwrap_or(Method::Get);
            crate::service::refuse_unparsed(service, &error, method)
        }
    }
}

/// The path and query of `uri`.
pub(crate) fn target(uri: &http::Uri) -> &str {
    uri.path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str())
}
