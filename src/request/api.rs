//! Every call the crate answers, parsed from method, target, headers and body: the image itself
//! (read, replace, delete), its info, and the batch for list views.

use bytes::Bytes;

use super::batch::{parse_batch_body, MAX_BATCH_BODY_BYTES};
use super::fit::Fit;
use super::info_edit::{parse_focal_point_body, InfoEdit, MAX_INFO_EDIT_BODY_BYTES};
use super::multipart::{form_data_boundary, parts};
use super::path::{parse_route, Route};
use super::query::Dimension;
use super::{Headers, ImageRequest, Method};
use crate::auth::{CallerIdentity, CredentialsError};
use crate::headers::{IfMatch, IfNoneMatch};
use crate::limits::Limits;
use crate::person_id::PersonId;
use crate::{Error, Result};

/// The multipart form field an upload carries its photo in, as in the vendor's API.
pub const UPLOAD_FIELD: &str = "image";

/// Room for a multipart body's delimiters and part headers on top of the photo itself.
const MULTIPART_OVERHEAD_BYTES: u64 = 64 * 1024;

/// One parsed call.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiRequest {
    /// `GET`/`HEAD /api/v1/Person/{id}/Image`.
    Image(ImageRequest),
    /// `PUT`/`POST /api/v1/Person/{id}/Image`: store a new photo.
    Upload(UploadRequest),
    /// `DELETE /api/v1/Person/{id}/Image`.
    Delete(PersonRequest),
    /// `GET`/`HEAD /api/v1/Person/{id}/ImageInfo`.
    Info(PersonRequest),
    /// `PUT /api/v1/Person/{id}/ImageInfo`: set or clear the focal point (an extension).
    EditInfo(InfoEdit),
    /// `POST /api/v1/Agents/Person/GetPersonImages`.
    Batch(BatchRequest),
}

/// A new photo for a person: the raw body, or the `image` field of a `multipart/form-data` body.
///
/// The body is kept as sent; [`UploadRequest::image`] finds the photo in it, so a service checks
/// first whether it takes uploads at all and who is calling, and only then reads the body.
#[derive(Debug)]
pub struct UploadRequest {
    /// `PUT` or `POST` (the same call).
    pub method: Method,
    /// Whose photo.
    pub person: PersonId,
    /// The caller's credentials, or the 401 their parsing produced.
    pub identity: std::result::Result<CallerIdentity, CredentialsError>,
    /// The body as sent.
    pub body: Bytes,
    /// The body's `Content-Type`, when sent.
    pub content_type: Option<String>,
}

impl UploadRequest {
    /// The photo: the `image` part of a `multipart/form-data` body, else the whole body; with the
    /// type the client declared for it (the part's or the body's `Content-Type`; the service
    /// trusts the bytes, not this). A 400 for a malformed multipart body or a body with two
    /// `image` fields, [`Error::MissingImage`] when there is no photo.
    pub fn image(&self) -> Result<(Bytes, Option<String>)> {
        upload_image(self.body.clone(), self.content_type.as_deref())
    }
}

/// A call about one person's photo that carries no body: delete, info.
#[derive(Debug)]
pub struct PersonRequest {
    /// The method (`DELETE`, or `GET`/`HEAD` for info).
    pub method: Method,
    /// Whose photo.
    pub person: PersonId,
    /// The caller's credentials, or the 401 their parsing produced.
    pub identity: std::result::Result<CallerIdentity, CredentialsError>,
    /// `If-None-Match`, when sent and valid.
    pub if_none_match: Option<IfNoneMatch>,
}

/// Many persons' photos at one size, always PNG: what a list view needs.
#[derive(Debug)]
pub struct BatchRequest {
    /// The persons, in the order the answer keeps; at most [`Limits::max_batch_persons`].
    pub persons: Vec<PersonId>,
    /// `ScaledWidth` (absent or 0: not constrained).
    pub width: Option<Dimension>,
    /// `ScaledHeight` (absent or 0: not constrained).
    pub height: Option<Dimension>,
    /// `Fit` (an extension of the vendor's API; absent: [`Fit::Contain`]).
    pub fit: Fit,
    /// The caller's credentials, or the 401 their parsing produced.
    pub identity: std::result::Result<CallerIdentity, CredentialsError>,
}

impl ApiRequest {
    /// How many body bytes the call `method target` may carry: 0 when its body is never read
    /// (reads, delete, unknown paths), else the upload limit ([`Limits::max_source_bytes`] plus
    /// room for multipart framing) or the batch limit. A front end reads at most this many bytes
    /// and answers 413 beyond it ([`Error::PayloadTooLarge`]).
    pub fn body_limit(method: Method, target: &str, limits: &Limits) -> u64 {
        match (method, parse_route(target)) {
            (Method::Put | Method::Post, Ok(Some((Route::Image(_), _)))) => limits
                .max_source_bytes
                .saturating_add(MULTIPART_OVERHEAD_BYTES),
            (Method::Post, Ok(Some((Route::PersonImages, _)))) => MAX_BATCH_BODY_BYTES,
            (Method::Put, Ok(Some((Route::ImageInfo(_), _)))) => MAX_INFO_EDIT_BODY_BYTES,
            _ => 0,
        }
    }

    /// Parses a call. `body` is what was read under [`ApiRequest::body_limit`] (empty for calls
    /// without a body).
    ///
    /// Errors: 404 for a path that is none of ours, 405 for a method the path does not take, 400
    /// for a bad id, query or body, 413 for a body over the limit, and the vendor's 400
    /// ([`Error::MissingImage`], from [`UploadRequest::image`]) for an upload without an image.
    /// As for reads, credentials are
    /// parsed here but their error waits in `identity`, so a 400 comes before a 401.
    ///
    /// ```
    /// use person_image::request::{ApiRequest, Method};
    /// use person_image::Limits;
    /// let headers = [("Authorization", &b"Bearer t"[..]), ("Content-Type", &b"image/png"[..])];
    /// let body = std::fs::read("fixtures/persons/2.png")?;
    /// let call = ApiRequest::parse(
    ///     Method::Put,
    ///     "/api/v1/Person/7/Image",
    ///     headers,
    ///     body.into(),
    ///     &Limits::default(),
    /// )?;
    /// let ApiRequest::Upload(upload) = call else { unreachable!() };
    /// assert_eq!(upload.person.get(), 7);
    /// let (image, declared_mime) = upload.image()?;
    /// assert_eq!(declared_mime.as_deref(), Some("image/png"));
    /// assert!(image.starts_with(b"\x89PNG"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse<'a>(
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: Bytes,
        limits: &Limits,
    ) -> Result<Self> {
        let Some((route, _query)) = parse_route(target)? else {
            return Err(Error::NoRoute);
        };
        // Calls without a body ignore whatever was sent; the others refuse more than their limit.
        let limit = Self::body_limit(method, target, limits);
        if limit > 0 && body.len() as u64 > limit {
            return Err(Error::PayloadTooLarge { max: limit });
        }
        let headers: Vec<(&'a str, &'a [u8])> = headers.into_iter().collect();
        let allowed = route.allowed();
        match (route, method) {
            (Route::Image(_), Method::Get | Method::Head) => {
                ImageRequest::parse(method, target, headers, limits).map(ApiRequest::Image)
            }
            (Route::Image(person), Method::Put | Method::Post) => {
                let found = Headers::collect(headers);
                let content_type = found
                    .content_type
                    .and_then(|value| std::str::from_utf8(value).ok())
                    .map(|value| value.trim().to_owned())
                    .filter(|value| !value.is_empty());
                Ok(ApiRequest::Upload(UploadRequest {
                    method,
                    person,
                    identity: found.identity(),
                    body,
                    content_type,
                }))
            }
            (Route::Image(person), Method::Delete) => {
                Ok(ApiRequest::Delete(person_request(method, person, headers)))
            }
            (Route::ImageInfo(person), Method::Get | Method::Head) => {
                Ok(ApiRequest::Info(person_request(method, person, headers)))
            }
            (Route::ImageInfo(person), Method::Put) => {
                let focal_point = parse_focal_point_body(&body)?;
                let found = Headers::collect(headers);
                Ok(ApiRequest::EditInfo(InfoEdit {
                    person,
                    identity: found.identity(),
                    if_match: IfMatch::parse(found.if_match.iter().copied()),
                    focal_point,
                }))
            }
            (Route::PersonImages, Method::Post) => {
                let found = Headers::collect(headers);
                let batch = parse_batch_body(&body, limits)?;
                Ok(ApiRequest::Batch(BatchRequest {
                    persons: batch.persons,
                    width: batch.width,
                    height: batch.height,
                    fit: batch.fit,
                    identity: found.identity(),
                }))
            }
            _ => Err(Error::MethodNotAllowed { allowed }),
        }
    }

    /// The answer to a method the crate does not take (`PATCH`, say) on `target`: `405` with the
    /// path's own methods, or `404` for a path that is not ours.
    pub fn refuse_method(target: &str) -> Error {
        match parse_route(target) {
            Ok(Some((route, _))) => Error::MethodNotAllowed {
                allowed: route.allowed(),
            },
            Ok(None) => Error::NoRoute,
            Err(error) => error,
        }
    }

    /// The call's method.
    pub fn method(&self) -> Method {
        match self {
            ApiRequest::Image(request) => request.method,
            ApiRequest::Upload(request) => request.method,
            ApiRequest::Delete(request) | ApiRequest::Info(request) => request.method,
            ApiRequest::EditInfo(_) => Method::Put,
            ApiRequest::Batch(_) => Method::Post,
        }
    }

    /// The person the call is about; `None` for a batch.
    pub fn person(&self) -> Option<PersonId> {
        match self {
            ApiRequest::Image(request) => Some(request.person),
            ApiRequest::Upload(request) => Some(request.person),
            ApiRequest::Delete(request) | ApiRequest::Info(request) => Some(request.person),
            ApiRequest::EditInfo(request) => Some(request.person),
            ApiRequest::Batch(_) => None,
        }
    }
}

fn person_request<'a>(
    method: Method,
    person: PersonId,
    headers: Vec<(&'a str, &'a [u8])>,
) -> PersonRequest {
    let found = Headers::collect(headers);
    PersonRequest {
        method,
        person,
        identity: found.identity(),
        if_none_match: IfNoneMatch::parse(found.if_none_match.iter().copied()),
    }
}

/// The photo of an upload body: the `image` part of a multipart body, else the whole body; with
/// its declared type.
fn upload_image(body: Bytes, content_type: Option<&str>) -> Result<(Bytes, Option<String>)> {
    let (image, declared) = match content_type.map(form_data_boundary).transpose()?.flatten() {
        Some(boundary) => {
            let mut found = parts(&body, &boundary)?
                .into_iter()
                .filter(|part| part.name.as_deref() == Some(UPLOAD_FIELD));
            let part = found.next().ok_or(Error::MissingImage)?;
            if found.next().is_some() {
                return Err(Error::invalid(
                    "body",
                    format!("has more than one {UPLOAD_FIELD:?} field"),
                ));
            }
            (part.body, part.content_type)
        }
        None => (body, content_type.map(str::to_owned)),
    };
    if image.is_empty() {
        return Err(Error::MissingImage);
    }
    Ok((image, declared))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, target: &str, content_type: &str, body: &[u8]) -> Result<ApiRequest> {
        let headers = [
            ("Authorization", &b"Bearer t"[..]),
            ("Content-Type", content_type.as_bytes()),
        ];
        ApiRequest::parse(
            method,
            target,
            headers,
            Bytes::copy_from_slice(body),
            &Limits::default(),
        )
    }

    #[test]
    fn routes_each_method() {
        let image = "/api/v1/Person/7/Image";
        let cases = [
            (Method::Get, image, "Image"),
            (Method::Head, image, "Image"),
            (Method::Put, image, "Upload"),
            (Method::Post, image, "Upload"),
            (Method::Delete, image, "Delete"),
            (Method::Get, "/api/v1/Person/7/ImageInfo", "Info"),
            (Method::Head, "/api/v1/Person/7/ImageInfo", "Info"),
            (
                Method::Post,
                "/api/v1/Agents/Person/GetPersonImages",
                "Batch",
            ),
            (Method::Put, "/api/v1/Person/7/ImageInfo", "EditInfo"),
        ];
        for (method, target, expected) in cases {
            let body: &[u8] = match expected {
                "Batch" => br#"{"PersonIds":[7]}"#,
                "EditInfo" => br#"{"FocalPoint":null}"#,
                _ => b"GIF89a",
            };
            let call = parse(method, target, "image/gif", body).unwrap();
            let kind = format!("{call:?}");
            assert!(
                kind.starts_with(expected),
                "{method:?} {target}: {kind:.30}"
            );
            assert_eq!(call.method(), method);
        }
        for (method, target) in [
            (Method::Delete, "/api/v1/Person/7/ImageInfo"),
            (Method::Post, "/api/v1/Person/7/ImageInfo"),
            (Method::Get, "/api/v1/Agents/Person/GetPersonImages"),
        ] {
            let error = parse(method, target, "", b"").unwrap_err();
            assert_eq!(error.status(), 405, "{method:?} {target}");
        }
        assert_eq!(
            parse(Method::Put, "/other", "", b"x").unwrap_err().status(),
            404
        );
    }

    #[test]
    fn uploads_take_the_raw_body_or_the_image_field() {
        let raw = parse(
            Method::Put,
            "/api/v1/Person/7/Image",
            "image/png",
            b"\x89PNG",
        )
        .unwrap();
        let ApiRequest::Upload(raw) = raw else {
            panic!()
        };
        assert_eq!(&raw.image().unwrap().0[..], b"\x89PNG");
        let body = "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.gif\"\r\n\
                    Content-Type: image/gif\r\n\r\nGIF89a\r\n--b--\r\n";
        let call = parse(
            Method::Post,
            "/api/v1/Person/7/Image",
            "multipart/form-data; boundary=b",
            body.as_bytes(),
        )
        .unwrap();
        let ApiRequest::Upload(upload) = call else {
            panic!()
        };
        let (image, declared_mime) = upload.image().unwrap();
        assert_eq!(&image[..], b"GIF89a");
        assert_eq!(declared_mime.as_deref(), Some("image/gif"));
    }

    #[test]
    fn uploads_without_exactly_one_image_are_400() {
        let target = "/api/v1/Person/7/Image";
        let field = |name: &str| {
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\nGIF89a\r\n")
        };
        let multipart = "multipart/form-data; boundary=b";
        let cases = [
            ("image/jpeg", String::new(), "Image bitmap is missing"),
            (
                multipart,
                format!("{}--b--", field("photo")),
                "Image bitmap is missing",
            ),
            (
                multipart,
                format!("{}{}--b--", field("image"), field("image")),
                "more than one",
            ),
            (
                "multipart/form-data; boundary=zz",
                format!("{}--b--", field("image")),
                "boundary",
            ),
        ];
        for (content_type, body, expected) in cases {
            let ApiRequest::Upload(upload) =
                parse(Method::Put, target, content_type, body.as_bytes()).unwrap()
            else {
                panic!()
            };
            let error = upload.image().unwrap_err();
            assert_eq!(error.status(), 400, "{body}");
            assert!(error.to_string().contains(expected), "{error}");
        }
    }

    #[test]
    fn bodies_over_the_limit_are_413_and_reads_take_none() {
        let limits = Limits::default().max_source_bytes(10);
        let target = "/api/v1/Person/7/Image";
        let limit = ApiRequest::body_limit(Method::Put, target, &limits);
        assert_eq!(limit, 10 + MULTIPART_OVERHEAD_BYTES);
        assert_eq!(ApiRequest::body_limit(Method::Get, target, &limits), 0);
        assert_eq!(ApiRequest::body_limit(Method::Delete, target, &limits), 0);
        let body = Bytes::from(vec![b'x'; limit as usize + 1]);
        let error = ApiRequest::parse(Method::Put, target, [], body, &limits).unwrap_err();
        assert_eq!(error.status(), 413);
    }
}
