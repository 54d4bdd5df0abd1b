//! What goes back to the caller: status, headers and body, independent of any HTTP library.

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::StatusCode;
use mime::Mime;

use crate::headers::{ETag, Vary};
use crate::request::Method;
use crate::Error;

/// The media type of JSON bodies: errors (`{"Message": ...}`) and the base64 image when only JSON
/// is acceptable (SPEC §4.3).
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// [`JSON_CONTENT_TYPE`] as a [`Mime`].
pub(crate) fn json_mime() -> Mime {
    JSON_CONTENT_TYPE.parse().unwrap_or(mime::APPLICATION_JSON)
}

/// A response to an image request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageResponse {
    /// The HTTP status (200, 304, or an error status).
    pub status: StatusCode,
    /// The media type of `body` (or of the body a GET would have sent, for HEAD); `None` for a
    /// response that describes no body (204, 304).
    pub content_type: Option<Mime>,
    /// The bytes to send; empty for HEAD and 304.
    pub body: Bytes,
    /// `Content-Length`: the length of the body a GET sends (kept for HEAD).
    pub content_length: u64,
    /// Strong entity tag of the representation.
    pub etag: Option<ETag>,
    /// `Last-Modified`, when the store knows it.
    pub last_modified: Option<SystemTime>,
    /// `Cache-Control` value, e.g. `private, max-age=3600`.
    pub cache_control: Option<String>,
    /// The request headers the answer depends on (`Accept`, the language headers), sent as
    /// `Vary`.
    pub vary: Vary,
    /// `WWW-Authenticate` challenges (on 401).
    pub www_authenticate: Vec<String>,
    /// The methods the target takes, sent as `Allow` when not empty: on the 405 of a write to a
    /// read-only service ([`Error::ReadOnly`]), `GET, HEAD`.
    pub allow: Vec<Method>,
    /// `Retry-After` seconds: on the `503` of an unavailable store
    /// ([`Error::StoreUnavailable`]).
    pub retry_after: Option<u32>,
}

impl ImageResponse {
    /// A 200 response carrying `body` of type `content_type`.
    pub fn ok(content_type: Mime, body: Bytes) -> Self {
        ImageResponse {
            status: StatusCode::OK,
            content_type: Some(content_type),
            content_length: body.len() as u64,
            body,
            etag: None,
            last_modified: None,
            cache_control: None,
            vary: Vary::NONE,
            www_authenticate: Vec::new(),
            allow: Vec::new(),
            retry_after: None,
        }
    }

    /// A 200 response carrying `document` as JSON.
    pub(crate) fn json(document: &impl serde::Serialize) -> Self {
        // Serializing the crate's own documents (strings, numbers, null) cannot fail.
        let body = serde_json::to_vec(document).unwrap_or_default();
        ImageResponse::ok(json_mime(), Bytes::from(body))
    }

    /// A 204 No Content: no body, no `Content-Type`.
    pub fn no_content() -> Self {
        ImageResponse {
            status: StatusCode::NO_CONTENT,
            content_type: None,
            ..ImageResponse::ok(mime::APPLICATION_OCTET_STREAM, Bytes::new())
        }
    }

    /// A 304 Not Modified: no body, no `Content-Type` or `Content-Length` sent.
    pub fn not_modified() -> Self {
        ImageResponse {
            status: StatusCode::NOT_MODIFIED,
            content_type: None,
            ..ImageResponse::ok(mime::APPLICATION_OCTET_STREAM, Bytes::new())
        }
    }

    /// The error as a response: its status, a `{"Message": "..."}` JSON body (the vendor's shape),
    /// `WWW-Authenticate` on a 401 and `Allow` on a 405.
    pub fn from_error(error: &Error) -> Self {
        let body = message_body(&error.message());
        let allow = match error {
            Error::ReadOnly { .. } => vec![Method::Get, Method::Head],
            Error::MethodNotAllowed { allowed } => allowed.to_vec(),
            _ => Vec::new(),
        };
        let www_authenticate = match error {
            Error::Unauthenticated { challenges, .. } => challenges.clone(),
            _ => Vec::new(),
        };
        ImageResponse {
            status: error.status(),
            allow,
            www_authenticate,
            retry_after: error.retry_after(),
            ..ImageResponse::ok(json_mime(), body)
        }
    }

    /// Every header to send, in a stable order.
    pub fn headers(&self) -> Vec<(HeaderName, String)> {
        let mut headers = Vec::with_capacity(9);
        // A 304 describes the representation the client already has, a 204 has none: no body
        // headers.
        if self.status != StatusCode::NOT_MODIFIED && self.status != StatusCode::NO_CONTENT {
            if let Some(content_type) = &self.content_type {
                headers.push((header::CONTENT_TYPE, content_type.to_string()));
            }
            headers.push((header::CONTENT_LENGTH, self.content_length.to_string()));
        }
        headers.push((header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()));
        if let Some(etag) = &self.etag {
            headers.push((header::ETAG, etag.as_str().to_owned()));
        }
        if let Some(modified) = self.last_modified {
            let date = crate::headers::http_date::format(modified);
            headers.push((header::LAST_MODIFIED, date));
        }
        if let Some(cache_control) = &self.cache_control {
            headers.push((header::CACHE_CONTROL, cache_control.clone()));
        }
        if let Some(vary) = self.vary.header_value() {
            headers.push((header::VARY, vary));
        }
        for challenge in &self.www_authenticate {
            headers.push((header::WWW_AUTHENTICATE, challenge.clone()));
        }
        if !self.allow.is_empty() {
            let methods: Vec<&str> = self.allow.iter().map(|method| method.as_str()).collect();
            headers.push((header::ALLOW, methods.join(", ")));
        }
        if let Some(seconds) = self.retry_after {
            headers.push((header::RETRY_AFTER, seconds.to_string()));
        }
        headers
    }

    /// Drops the body but keeps `Content-Length` (for HEAD).
    pub(crate) fn without_body(mut self) -> Self {
        self.body = Bytes::new();
        self
    }
}

/// A JSON object whose members keep the order given: the vendor's documents list them so.
#[derive(Debug)]
pub(crate) struct JsonObject(pub(crate) Vec<(&'static str, serde_json::Value)>);

impl serde::Serialize for JsonObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The vendor's error body: `{"Message":"..."}`.
pub(crate) fn message_body(message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "Message": message }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_vendor_json() {
        let response = ImageResponse::from_error(&Error::ImageNotFound);
        assert_eq!(response.status, 404);
        assert_eq!(&response.body[..], br#"{"Message":"Image not found"}"#);
        assert_eq!(response.content_length, response.body.len() as u64);
    }

    #[test]
    fn a_read_only_refusal_says_what_is_allowed() {
        let response = ImageResponse::from_error(&Error::ReadOnly { hint: None });
        assert_eq!(response.status, 405);
        assert!(response
            .headers()
            .contains(&(header::ALLOW, "GET, HEAD".to_owned())));
        assert_eq!(
            &response.body[..],
            br#"{"Message":"This service is read-only: it does not accept uploads or deletes"}"#
        );
        let response = ImageResponse::from_error(&Error::MethodNotAllowed {
            allowed: &[Method::Get, Method::Head, Method::Put],
        });
        assert!(response
            .headers()
            .contains(&(header::ALLOW, "GET, HEAD, PUT".to_owned())));
    }

    #[test]
    fn messages_escape_controls_and_quotes() {
        assert_eq!(
            &message_body("a\"b\\c\n\u{1}")[..],
            br#"{"Message":"a\"b\\c\n\u0001"}"#
        );
    }
}
