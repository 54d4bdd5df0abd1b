//! One line each way between this crate and the `http` crate (axum, hyper, tower users).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};

use crate::limits::Limits;
use crate::request::{ImageRequest, Method};
use crate::response::ImageResponse;
use crate::service::{ImageService, PersonImageService};
use crate::{Error, Result};

impl Method {
    /// GET or HEAD from an `http::Method`; anything else is [`Error::MethodNotAllowed`].
    pub fn from_http(method: &http::Method) -> Result<Self> {
        match *method {
            http::Method::GET => Ok(Method::Get),
            http::Method::HEAD => Ok(Method::Head),
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
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        ImageRequest::parse(method, target, headers, limits)
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
        _ => "x-unknown",
    }
}

impl ImageService {
    /// Answers an `http` request: parse, authenticate, render, respond. Errors become their
    /// status with a `{"Message": "..."}` body.
    pub fn handle_http<B>(&self, request: &http::Request<B>) -> http::Response<Bytes> {
        respond_http(self, request.method(), request.uri(), request.headers()).into()
    }
}

/// Parses an `http` request line and headers under `service`'s limits and answers it; a method
/// other than GET or HEAD is a 405, a request that does not parse its 400 or 404.
pub(crate) fn respond_http<S: PersonImageService + ?Sized>(
    service: &S,
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> ImageResponse {
    let parsed = Method::from_http(method).and_then(|method| {
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |pq| pq.as_str());
        let headers = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        ImageRequest::parse(method, target, headers, &service.limits())
    });
    match parsed {
        Ok(request) => service.respond(&request),
        Err(error) => {
            let method = Method::from_http(method).unwrap_or(Method::Get);
            crate::service::refuse_unparsed(service, &error, method)
        }
    }
}
