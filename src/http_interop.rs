//! One line each way between this crate and the `http` crate (axum, hyper, tower users).

use bytes::Bytes;
use http::header::HeaderValue;

use crate::limits::Limits;
use crate::request::{ImageRequest, Method};
use crate::response::ImageResponse;
use crate::{Error, Result};

impl Method {
    /// The method from an `http::Method`; one the crate never answers is
    /// [`Error::MethodNotAllowed`], allowing every method the crate answers on some path
    /// ([`ApiRequest::refuse_method`](crate::request::ApiRequest::refuse_method) names a path's own).
    pub fn from_http(method: &http::Method) -> Result<Self> {
        match *method {
            http::Method::GET => Ok(Method::Get),
            http::Method::HEAD => Ok(Method::Head),
            http::Method::POST => Ok(Method::Post),
            http::Method::PUT => Ok(Method::Put),
            http::Method::DELETE => Ok(Method::Delete),
            _ => Err(Error::MethodNotAllowed {
                allowed: &[
                    Method::Get,
                    Method::Head,
                    Method::Post,
                    Method::Put,
                    Method::Delete,
                ],
            }),
        }
    }
}

impl ImageRequest {
    /// Parses the request line and headers of an `http` request.
    ///
    /// ```
    /// use person_image::request::ImageRequest;
    /// use person_image::Limits;
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
        let mut out = http::Response::new(response.body.clone());
        *out.status_mut() = response.status;
        let headers = out.headers_mut();
        for (name, value) in response.headers() {
            // Every value the crate produces is visible ASCII; skip rather than panic if not.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        out
    }
}

/// The path and query of `uri`.
pub(crate) fn target(uri: &http::Uri) -> &str {
    uri.path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str())
}
