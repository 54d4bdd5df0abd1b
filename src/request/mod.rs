//! What a call asks, parsed once from method, target, headers and body into typed values that
//! everything downstream reads: [`ApiRequest`] routes every call of the API, [`ImageRequest`]
//! (with its [`ImageQuery`]) is the image itself, [`PersonRequest`], [`UploadRequest`] and
//! [`BatchRequest`] the calls around it.

mod api;
mod batch;
mod fit;
mod info_edit;
mod multipart;
mod path;
mod percent;
mod query;

use crate::auth::{CallerIdentity, CredentialsError};
use crate::headers::{AcceptList, IfNoneMatch, Locale};
use crate::limits::Limits;
use crate::person_id::PersonId;
use crate::{Error, Result};
use path::parse_image_path;

pub use api::{ApiRequest, BatchRequest, PersonRequest, UploadRequest, UPLOAD_FIELD};
pub use fit::Fit;
pub use info_edit::InfoEdit;
pub use query::{Dimension, IfBlank, ImageQuery};

/// The HTTP methods the crate's calls use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// Read; send the body.
    Get,
    /// Same status and headers as `GET`, no body.
    Head,
    /// Upload a photo (raw or multipart body), or ask for a batch of photos.
    Post,
    /// Upload a photo (raw or multipart body).
    Put,
    /// Delete a photo.
    Delete,
}

impl Method {
    /// The method's name as sent on the wire (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// `GET` or `HEAD`: the methods that only read.
    pub fn is_read(self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

/// A fully parsed request for a person's image.
///
/// Credentials stay unparsed-but-typed: a malformed `Authorization` is reported as 401 only after
/// path and query have been validated, in the order of SPEC §2.
#[derive(Debug)]
pub struct ImageRequest {
    /// GET or HEAD.
    pub method: Method,
    /// The person whose image is asked for.
    pub person: PersonId,
    /// `w`, `h`, `type`, `ifBlank`.
    pub query: ImageQuery,
    /// The caller's credentials, or the 401 error their parsing produced.
    pub identity: std::result::Result<CallerIdentity, CredentialsError>,
    /// `Accept`, when at least one `Accept` header was sent.
    pub accept: Option<AcceptList>,
    /// `If-None-Match`, when sent and valid.
    pub if_none_match: Option<IfNoneMatch>,
    /// Language, culture and time zone.
    pub locale: Locale,
}

impl ImageRequest {
    /// Parses a request from its parts. `target` is the path and query (`/api/v1/Person/7/Image?w=64`);
    /// header names are matched case-insensitively.
    ///
    /// Returns `Error::NoRoute` (404) when the path is not the image path,
    /// `Error::MethodNotAllowed` (405) for a method other than GET and HEAD (see
    /// [`ApiRequest::parse`] for the others), and `Error::InvalidParameter` (400) for a bad person
    /// id or query. Credentials are parsed here
    /// but their error is kept in [`ImageRequest::identity`], so a 400 is reported before a 401.
    /// For single-valued headers the first line counts; `Accept`, `Cookie` and `If-None-Match`
    /// lines are all read.
    ///
    /// ```
    /// use person_image::request::{ImageRequest, Method};
    /// use person_image::Limits;
    /// let headers = [("Authorization", &b"Bearer abc"[..]), ("Accept", &b"image/png"[..])];
    /// let request = ImageRequest::parse(
    ///     Method::Get,
    ///     "/api/v1/Person/7/Image?w=64",
    ///     headers,
    ///     &Limits::default(),
    /// )?;
    /// assert_eq!(request.person.get(), 7);
    /// assert!(request.identity.is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse<'a>(
        method: Method,
        target: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        limits: &Limits,
    ) -> Result<Self> {
        let Some((person, raw_query)) = parse_image_path(target)? else {
            return Err(Error::NoRoute);
        };
        if !method.is_read() {
            return Err(Error::MethodNotAllowed {
                allowed: &[Method::Get, Method::Head],
            });
        }
        let query = ImageQuery::parse(raw_query, limits)?;
        let headers = Headers::collect(headers);
        let identity = headers.identity();
        let accept =
            (!headers.accept.is_empty()).then(|| AcceptList::parse(headers.accept.iter().copied()));
        let if_none_match = IfNoneMatch::parse(headers.if_none_match.iter().copied());
        let locale = Locale::from_headers(
            headers.accept_language,
            headers.so_language,
            headers.so_culture,
            headers.so_time_zone,
        );
        Ok(ImageRequest {
            method,
            person,
            query,
            identity,
            accept,
            if_none_match,
            locale,
        })
    }
}

/// The header lines this endpoint reads, by role.
#[derive(Default)]
struct Headers<'a> {
    authorization: Option<&'a [u8]>,
    xsrf_token: Option<&'a [u8]>,
    cookies: Vec<&'a [u8]>,
    app_token: Option<&'a [u8]>,
    accept: Vec<&'a [u8]>,
    if_none_match: Vec<&'a [u8]>,
    if_match: Vec<&'a [u8]>,
    accept_language: Option<&'a [u8]>,
    so_language: Option<&'a [u8]>,
    so_culture: Option<&'a [u8]>,
    so_time_zone: Option<&'a [u8]>,
    content_type: Option<&'a [u8]>,
}

impl<'a> Headers<'a> {
    fn collect(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut found = Headers::default();
        for (name, value) in headers {
            let first = |slot: &mut Option<&'a [u8]>| {
                slot.get_or_insert(value);
            };
            let name = name.trim();
            if name.eq_ignore_ascii_case("authorization") {
                first(&mut found.authorization);
            } else if name.eq_ignore_ascii_case("x-xsrf-token") {
                first(&mut found.xsrf_token);
            } else if name.eq_ignore_ascii_case("cookie") {
                found.cookies.push(value);
            } else if name.eq_ignore_ascii_case("so-apptoken") {
                first(&mut found.app_token);
            } else if name.eq_ignore_ascii_case("accept") {
                found.accept.push(value);
            } else if name.eq_ignore_ascii_case("if-none-match") {
                found.if_none_match.push(value);
            } else if name.eq_ignore_ascii_case("if-match") {
                found.if_match.push(value);
            } else if name.eq_ignore_ascii_case("accept-language") {
                first(&mut found.accept_language);
            } else if name.eq_ignore_ascii_case("so-language") {
                first(&mut found.so_language);
            } else if name.eq_ignore_ascii_case("so-culture") {
                first(&mut found.so_culture);
            } else if name.eq_ignore_ascii_case("so-timezone") {
                first(&mut found.so_time_zone);
            } else if name.eq_ignore_ascii_case("content-type") {
                first(&mut found.content_type);
            }
        }
        found
    }

    /// The caller's credentials, or the 401 their parsing produced.
    fn identity(&self) -> std::result::Result<CallerIdentity, CredentialsError> {
        CallerIdentity::from_headers(
            self.authorization,
            self.xsrf_token,
            &self.cookies,
            self.app_token,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Credentials, Secret};
    use crate::format::OutputFormat;
    use crate::request::IfBlank;

    fn parse(target: &str, headers: &[(&'static str, &'static [u8])]) -> Result<ImageRequest> {
        ImageRequest::parse(
            Method::Get,
            target,
            headers.iter().copied(),
            &Limits::default(),
        )
    }

    #[test]
    fn parses_a_full_request() {
        let headers: [(&str, &[u8]); 11] = [
            ("AUTHORIZATION", b"Bearer tok"),
            ("authorization", b"Basic ignored"),
            ("so-apptoken", b"app"),
            ("Accept", b"image/webp;q=0.9"),
            ("accept", b"image/png;q=0.5"),
            ("If-None-Match", b"\"a\""),
            ("if-none-match", b"W/\"b\""),
            ("Accept-Language", b"da, en;q=0.5"),
            ("SO-Culture", b"da-DK"),
            ("SO-TimeZone", b"CET"),
            ("X-Other", b"whatever"),
        ];
        let request = ImageRequest::parse(
            Method::Head,
            "/api/v1/person/42/image?W=64&type=png&ifBlank=SrNoPhoto",
            headers,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(request.method, Method::Head);
        assert_eq!(request.person, PersonId(42));
        assert_eq!(request.query.width.map(|w| w.get()), Some(64));
        assert_eq!(request.query.height, None);
        assert_eq!(request.query.format, Some(OutputFormat::Png));
        assert_eq!(request.query.if_blank, IfBlank::SrNoPhoto);
        let identity = request.identity.unwrap();
        assert_eq!(
            identity.credentials,
            Credentials::Bearer(Secret::new("tok"))
        );
        assert_eq!(identity.app_token, Some(Secret::new("app")));
        let accept = request.accept.unwrap();
        assert_eq!(accept.quality("image/webp"), 900);
        assert_eq!(accept.quality("image/png"), 500);
        assert_eq!(
            request.if_none_match,
            Some(IfNoneMatch::Tags(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            request.locale,
            Locale {
                language: Some("da".into()),
                culture: Some("da-DK".into()),
                time_zone: Some("CET".into()),
                caption_language: crate::render::CaptionLanguage::Danish,
            }
        );
    }

    #[test]
    fn session_cookies_come_from_every_cookie_line() {
        let request = parse(
            "/api/v1/Person/7/Image",
            &[
                ("Cookie", b"a=1"),
                ("x-xsrf-token", b"t"),
                ("COOKIE", b"XSRF-TOKEN=t"),
            ],
        )
        .unwrap();
        assert_eq!(
            request.identity.unwrap().credentials,
            Credentials::Session {
                cookies: vec![
                    ("a".into(), Secret::new("1")),
                    ("XSRF-TOKEN".into(), Secret::new("t")),
                ]
            }
        );
    }

    #[test]
    fn absent_headers_stay_absent() {
        let request = parse("/api/v1/Person/7/Image", &[]).unwrap();
        assert_eq!(request.query, ImageQuery::default());
        assert!(request.accept.is_none());
        assert!(request.if_none_match.is_none());
        assert_eq!(request.locale, Locale::default());
        let error = request.identity.unwrap_err();
        assert_eq!(crate::Error::from(error.clone()).status(), 401);
        assert!(error.is_missing(), "{error}");
        assert!(error.to_string().contains("no credentials sent"), "{error}");
    }

    #[test]
    fn an_empty_accept_line_is_still_an_accept_header() {
        let request = parse("/api/v1/Person/7/Image", &[("Accept", b"")]).unwrap();
        let accept = request.accept.unwrap();
        assert!(accept.ranges().is_empty());
        assert_eq!(accept.quality("image/png"), 0);
    }

    #[test]
    fn bad_credentials_do_not_fail_the_parse() {
        let request = parse("/api/v1/Person/7/Image", &[("Authorization", b"Digest x")]).unwrap();
        assert_eq!(
            crate::Error::from(request.identity.unwrap_err()).status(),
            401
        );
    }

    #[test]
    fn path_and_query_errors_come_first() {
        let bad_auth: &[(&str, &[u8])] = &[("Authorization", b"Digest x")];
        let cases = [
            ("/api/v1/Person/x/Image", 400, "personId must be"),
            ("/api/v1/Person/7/Image?w=-1", 400, "w must be"),
            ("/api/v1/Person/7/Image?type=bmp", 400, "type must be"),
            ("/api/v1/Person/7/Image?ifBlank=9", 400, "ifBlank must be"),
            ("/api/v1/Person/7/Photo", 404, "No such endpoint"),
            ("/", 404, "No such endpoint"),
        ];
        for (target, status, message) in cases {
            let error = parse(target, bad_auth).unwrap_err();
            assert_eq!(error.status(), status, "{target}");
            assert!(error.to_string().starts_with(message), "{target}: {error}");
        }
        assert!(matches!(
            parse("/other", &[]).unwrap_err(),
            crate::Error::NoRoute
        ));
    }

    #[test]
    fn limits_are_passed_to_the_query() {
        let limits = Limits::default().max_side(10);
        let error = ImageRequest::parse(Method::Get, "/api/v1/Person/7/Image?h=11", [], &limits)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "h must be an integer from 0 to 10 (the configured maximum side), got 11"
        );
    }

    #[test]
    fn so_language_overrides_accept_language() {
        let request = parse(
            "/api/v1/Person/7/Image",
            &[
                ("Accept-Language", b"en"),
                ("SO-Language", b"sv"),
                ("so-language", b"de"),
            ],
        )
        .unwrap();
        assert_eq!(request.locale.language.as_deref(), Some("sv"));
    }
}
