//! Credentials from `Authorization`, the XSRF double-submit cookie and `SO-AppToken` (SPEC §1–2).

use super::Secret;
use crate::error::Error;
use crate::headers::syntax::is_tchar;

/// The longest header value (in bytes) looked at; longer ones are a 401 before any work is done.
pub(crate) const MAX_CREDENTIAL_HEADER_LEN: usize = 8 * 1024;

/// At most this many cookies are kept from a request's `Cookie` lines; the rest are dropped.
const MAX_COOKIES: usize = 256;

/// The cookie of the XSRF double-submit check.
const XSRF_COOKIE: &str = "XSRF-TOKEN";

/// Why the credentials of a request could not be read: a 401 waiting to be reported.
///
/// Kept in [`ImageRequest::identity`](crate::request::ImageRequest::identity) so a bad query is reported
/// (400) before bad credentials (401), as SPEC §2 orders them; clonable, unlike [`Error`], and
/// turned into [`Error::Unauthenticated`] by `?`. The reason never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unauthenticated: {reason}")]
pub struct CredentialsError {
    reason: String,
    /// The request carried no credentials at all (see [`CredentialsError::is_missing`]).
    missing: bool,
}

impl CredentialsError {
    fn new(reason: impl Into<String>) -> Self {
        CredentialsError {
            reason: reason.into(),
            missing: false,
        }
    }

    /// The request carried nothing to authenticate with: no `Authorization` header, no
    /// `X-XSRF-TOKEN` header and no cookie.
    fn missing() -> Self {
        CredentialsError {
            reason: format!("{NO_CREDENTIALS}; {}", ways_to_authenticate(&DEFAULT_WAYS)),
            missing: true,
        }
    }

    /// Why, without the secret.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether the request carried no credentials at all: no `Authorization` header, no
    /// `X-XSRF-TOKEN` header and no cookie (a cookie without the XSRF header is a session
    /// attempt, and its error names the XSRF check instead).
    ///
    /// [`reason`](Self::reason) then names every way the parser takes (`Basic`, `SOTicket`,
    /// `Bearer`, a session cookie with the XSRF header); [`ImageService`](crate::ImageService)
    /// answers instead with the ways its authenticator accepts
    /// ([`Authenticator::ways_to_authenticate`](super::Authenticator::ways_to_authenticate)).
    pub fn is_missing(&self) -> bool {
        self.missing
    }

    /// The 401 of a request without credentials, naming `ways` (from
    /// [`Authenticator::ways_to_authenticate`](super::Authenticator::ways_to_authenticate)).
    pub(crate) fn no_credentials(ways: &[String]) -> Self {
        let reason = match ways {
            [] => format!("{NO_CREDENTIALS}, and this service accepts none"),
            ways => format!("{NO_CREDENTIALS}; {}", ways_to_authenticate(ways)),
        };
        CredentialsError {
            reason,
            missing: true,
        }
    }
}

/// The start of the reason of a request without credentials.
const NO_CREDENTIALS: &str = "no credentials sent";

/// What the credentials parser accepts, for the reason of [`CredentialsError::missing`].
const DEFAULT_WAYS: [&str; 4] = ["Basic", "SOTicket", "Bearer", SESSION_WAY];

/// How [`Authenticator::ways_to_authenticate`](super::Authenticator::ways_to_authenticate) names a
/// session: the cookie plus the XSRF double-submit.
pub(crate) const SESSION_WAY: &str = "a session cookie with the X-XSRF-TOKEN header";

/// `authenticate with A, B, or C` (`A or B`, `A`).
fn ways_to_authenticate<S: AsRef<str>>(ways: &[S]) -> String {
    let mut text = String::from("authenticate with ");
    for (index, way) in ways.iter().enumerate() {
        if index > 0 {
            text.push_str(match (ways.len(), index + 1 == ways.len()) {
                (2, _) => " or ",
                (_, true) => ", or ",
                (_, false) => ", ",
            });
        }
        text.push_str(way.as_ref());
    }
    text
}

impl From<CredentialsError> for Error {
    fn from(error: CredentialsError) -> Self {
        Error::Unauthenticated {
            reason: error.reason,
            challenges: Vec::new(),
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// The user name (not secret).
        user: String,
        /// The password.
        password: Secret,
    },
    /// `Authorization: SOTicket 7T:...`.
    SoTicket(Secret),
    /// `Authorization: Bearer ...`.
    Bearer(Secret),
    /// No `Authorization`, but `X-XSRF-TOKEN` matched the `XSRF-TOKEN` cookie: the request's cookies.
    Session {
        /// Every cookie of the request, name and value.
        cookies: Vec<(String, Secret)>,
    },
}

/// What the caller sent to identify itself: the credentials and the partner app token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The parsed credentials.
    pub credentials: Credentials,
    /// `SO-AppToken`, when sent.
    pub app_token: Option<Secret>,
}

impl CallerIdentity {
    /// Parses the credentials from header values (all raw bytes, as received).
    ///
    /// `authorization` is the `Authorization` header; `xsrf_header` the `X-XSRF-TOKEN` header;
    /// `cookie_headers` every `Cookie` header line; `app_token` the `SO-AppToken` header.
    ///
    /// `Authorization` accepts the schemes `Basic`, `SOTicket` and `Bearer` (any case). Without it,
    /// the `X-XSRF-TOKEN` header must equal an `XSRF-TOKEN` cookie, and the request's cookies become
    /// [`Credentials::Session`]. Every failure is a 401 whose message never contains a secret;
    /// header values longer than 8 KiB or not UTF-8 are rejected. A request with neither
    /// `Authorization`, `X-XSRF-TOKEN` nor a cookie has no credentials at all: its error
    /// [is missing](CredentialsError::is_missing) and names the ways to authenticate.
    ///
    /// ```
    /// use person_image::auth::{CallerIdentity, Credentials};
    /// let identity = CallerIdentity::from_headers(Some(b"Basic dXNlcjpwYXNz"), None, &[], None)?;
    /// assert!(matches!(identity.credentials, Credentials::Basic { ref user, .. } if user == "user"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_headers(
        authorization: Option<&[u8]>,
        xsrf_header: Option<&[u8]>,
        cookie_headers: &[&[u8]],
        app_token: Option<&[u8]>,
    ) -> Result<Self, CredentialsError> {
        let credentials = match authorization {
            Some(value) => parse_authorization(header_text("Authorization", value)?)?,
            None => session_credentials(xsrf_header, cookie_headers)?,
        };
        let app_token = match app_token {
            Some(value) => Some(header_text("SO-AppToken", value)?)
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            None => None,
        };
        Ok(CallerIdentity {
            credentials,
            app_token,
        })
    }
}

/// A header value as text with surrounding spaces and tabs removed, or a 401 naming the header.
fn header_text<'a>(name: &str, value: &'a [u8]) -> Result<&'a str, CredentialsError> {
    if value.len() > MAX_CREDENTIAL_HEADER_LEN {
        return Err(CredentialsError::new(format!(
            "the {name} header is too long (more than {MAX_CREDENTIAL_HEADER_LEN} bytes)"
        )));
    }
    let text = std::str::from_utf8(value)
        .map_err(|_| CredentialsError::new(format!("the {name} header is not valid UTF-8")))?;
    Ok(text.trim_matches(is_ows))
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn parse_authorization(value: &str) -> Result<Credentials, CredentialsError> {
    let (scheme, rest) = value.split_once(is_ows).unwrap_or((value, ""));
    let rest = rest.trim_start_matches(is_ows);
    if scheme.eq_ignore_ascii_case("Basic") {
        parse_basic(rest)
    } else if scheme.eq_ignore_ascii_case("SOTicket") {
        if rest.is_empty() {
            return Err(CredentialsError::new("the SOTicket ticket is empty"));
        }
        Ok(Credentials::SoTicket(Secret::new(rest)))
    } else if scheme.eq_ignore_ascii_case("Bearer") {
        if rest.is_empty() {
            return Err(CredentialsError::new("the Bearer token is empty"));
        }
        Ok(Credentials::Bearer(Secret::new(rest)))
    } else {
        // The "scheme" is not echoed: a client that forgot the scheme sends its token there.
        Err(CredentialsError::new(
            "unsupported Authorization scheme; use Basic, SOTicket or Bearer",
        ))
    }
}

fn parse_basic(encoded: &str) -> Result<Credentials, CredentialsError> {
    if encoded.is_empty() {
        return Err(CredentialsError::new("the Basic credentials are empty"));
    }
    let decoded = crate::base64::decode(encoded.as_bytes()).ok_or_else(|| {
        CredentialsError::new("the Basic credentials are not valid padded base64")
    })?;
    let text = String::from_utf8(decoded).map_err(|_| {
        CredentialsError::new("the Basic credentials are not UTF-8 after base64 decoding")
    })?;
    let Some((user, password)) = text.split_once(':') else {
        return Err(CredentialsError::new(
            "the Basic credentials must be base64 of user:password, but have no colon",
        ));
    };
    if user.is_empty() {
        return Err(CredentialsError::new("the Basic user name is empty"));
    }
    Ok(Credentials::Basic {
        user: user.to_owned(),
        password: Secret::new(password),
    })
}

/// The XSRF double-submit check, then every cookie of the request as a session.
fn session_credentials(
    xsrf_header: Option<&[u8]>,
    cookie_headers: &[&[u8]],
) -> Result<Credentials, CredentialsError> {
    let missing = || {
        CredentialsError::new(
            "XSRF token missing: send the XSRF-TOKEN cookie and the same value in X-XSRF-TOKEN \
             (or use an Authorization header)",
        )
    };
    let header = match xsrf_header {
        Some(value) => header_text("X-XSRF-TOKEN", value)?,
        // Nothing at all: say how to authenticate rather than what the XSRF check wants.
        None if parse_cookies(cookie_headers)?.is_empty() => {
            return Err(CredentialsError::missing())
        }
        None => return Err(missing()),
    };
    if header.is_empty() {
        return Err(missing());
    }
    let cookies = parse_cookies(cookie_headers)?;
    let mut found = false;
    let mut matched = false;
    // Every XSRF-TOKEN cookie is compared (browsers may send one per path), without stopping early.
    for (_, value) in cookies.iter().filter(|(name, _)| name == XSRF_COOKIE) {
        found |= !value.expose().is_empty();
        matched |= !value.expose().is_empty() && *value == Secret::new(header);
    }
    if !found {
        return Err(missing());
    }
    if !matched {
        return Err(CredentialsError::new(
            "XSRF token does not match the XSRF-TOKEN cookie",
        ));
    }
    Ok(Credentials::Session { cookies })
}

/// Parses every `Cookie` line (`name=value; name2="value2"`), skipping malformed members.
///
/// Names are case-sensitive (RFC 6265); a value may be wrapped in double quotes, which are removed.
fn parse_cookies(lines: &[&[u8]]) -> Result<Vec<(String, Secret)>, CredentialsError> {
    let mut cookies = Vec::new();
    for line in lines {
        if line.len() > MAX_CREDENTIAL_HEADER_LEN {
            return Err(CredentialsError::new(format!(
                "a Cookie header is too long (more than {MAX_CREDENTIAL_HEADER_LEN} bytes)"
            )));
        }
        for member in line.split(|&b| b == b';') {
            if cookies.len() >= MAX_COOKIES {
                return Ok(cookies);
            }
            if let Some(cookie) = parse_cookie(member) {
                cookies.push(cookie);
            }
        }
    }
    Ok(cookies)
}

fn parse_cookie(member: &[u8]) -> Option<(String, Secret)> {
    let member = member.trim_ascii();
    let equals = member.iter().position(|&b| b == b'=')?;
    let name = member.get(..equals)?.trim_ascii();
    let value = member.get(equals + 1..)?.trim_ascii();
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    };
    if value.iter().any(|&b| b.is_ascii_control() || b == b'"') {
        return None;
    }
    let name = std::str::from_utf8(name).ok()?;
    let value = std::str::from_utf8(value).ok()?;
    Some((name.to_owned(), Secret::new(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Result<T> = std::result::Result<T, CredentialsError>;

    fn auth(value: &[u8]) -> Result<Credentials> {
        CallerIdentity::from_headers(Some(value), None, &[], None).map(|id| id.credentials)
    }

    fn session(xsrf: Option<&[u8]>, cookies: &[&[u8]]) -> Result<Credentials> {
        CallerIdentity::from_headers(None, xsrf, cookies, None).map(|id| id.credentials)
    }

    fn reason(result: Result<Credentials>) -> String {
        let error = Error::from(result.unwrap_err());
        assert_eq!(error.status(), 401, "{error}");
        error.to_string()
    }

    #[test]
    fn parses_every_authorization_scheme() {
        let cases: Vec<(&[u8], Credentials)> = vec![
            (
                b"Basic dXNlcjpwYXNz",
                Credentials::Basic {
                    user: "user".into(),
                    password: Secret::new("pass"),
                },
            ),
            (
                b"basic \t dXNlcjpwYTpzcw==",
                Credentials::Basic {
                    user: "user".into(),
                    password: Secret::new("pa:ss"),
                },
            ),
            (
                b"BASIC dTo=",
                Credentials::Basic {
                    user: "u".into(),
                    password: Secret::new(""),
                },
            ),
            (
                "Basic w6VzYTpww6Vzcw==".as_bytes(),
                Credentials::Basic {
                    user: "åsa".into(),
                    password: Secret::new("påss"),
                },
            ),
            (
                b"SOTicket 7T:abc",
                Credentials::SoTicket(Secret::new("7T:abc")),
            ),
            (
                b"SoTicket\t7T:abc ",
                Credentials::SoTicket(Secret::new("7T:abc")),
            ),
            (
                b"SOTICKET   7T:x",
                Credentials::SoTicket(Secret::new("7T:x")),
            ),
            (
                b"Bearer abc.def-ghi",
                Credentials::Bearer(Secret::new("abc.def-ghi")),
            ),
            (b"  bearer x==  ", Credentials::Bearer(Secret::new("x=="))),
        ];
        for (header, expected) in cases {
            let text = String::from_utf8_lossy(header).into_owned();
            assert_eq!(auth(header).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn malformed_authorization_is_401_with_a_reason() {
        let too_long = format!("Bearer {}", "a".repeat(MAX_CREDENTIAL_HEADER_LEN));
        let cases: Vec<(&[u8], &str)> = vec![
            (b"Basic", "Basic credentials are empty"),
            (b"Basic   ", "Basic credentials are empty"),
            (b"Basic dXNlcjpwYXNz=", "not valid padded base64"),
            (b"Basic dXNlcjpwYXM", "not valid padded base64"),
            (b"Basic dXN=cjpwYXNz", "not valid padded base64"),
            (b"Basic dQ==dQ==", "not valid padded base64"),
            (b"Basic dX*lcjpwYXNz", "not valid padded base64"),
            (b"Basic dXNlcg==", "have no colon"),
            (b"Basic OnBhc3M=", "user name is empty"),
            (b"Basic /w==", "not UTF-8 after base64 decoding"),
            (b"SOTicket", "SOTicket ticket is empty"),
            (b"SOTicket  ", "SOTicket ticket is empty"),
            (b"Bearer", "Bearer token is empty"),
            (b"", "use Basic, SOTicket or Bearer"),
            (b"Digest username=x", "use Basic, SOTicket or Bearer"),
            (b"Negotiate abc", "use Basic, SOTicket or Bearer"),
            (b"BasicdXNlcjpwYXNz", "use Basic, SOTicket or Bearer"),
            (
                b"Bearer \xff\xfe",
                "Authorization header is not valid UTF-8",
            ),
            (too_long.as_bytes(), "Authorization header is too long"),
        ];
        for (header, expected) in cases {
            let text = String::from_utf8_lossy(header).into_owned();
            let message = reason(auth(header));
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn error_messages_never_contain_the_secret() {
        let headers: [&[u8]; 4] = [
            b"sekrit-token",
            b"Token sekrit-token",
            b"Basic c2Vrcml0LXRva2Vu",
            b"Basic c2Vrcml0LXRva2Vu=",
        ];
        for header in headers {
            let message = reason(auth(header));
            assert!(!message.contains("sekrit"), "{message}");
            assert!(!message.contains("c2Vrcml0"), "{message}");
        }
        let message = reason(session(
            Some(b"sekrit-header"),
            &[b"XSRF-TOKEN=sekrit-cookie"],
        ));
        assert!(!message.contains("sekrit"), "{message}");
    }

    #[test]
    fn xsrf_double_submit() {
        let ok = session(Some(b"tok123"), &[b"a=1; XSRF-TOKEN=tok123", b"b=\"two\""]).unwrap();
        assert_eq!(
            ok,
            Credentials::Session {
                cookies: vec![
                    ("a".into(), Secret::new("1")),
                    ("XSRF-TOKEN".into(), Secret::new("tok123")),
                    ("b".into(), Secret::new("two")),
                ]
            }
        );
        let quoted = session(Some(b" tok "), &[b"XSRF-TOKEN=\"tok\""]);
        assert!(quoted.is_ok());
        let second_cookie_matches = session(Some(b"new"), &[b"XSRF-TOKEN=old; XSRF-TOKEN=new"]);
        assert!(second_cookie_matches.is_ok());

        type Case<'a> = (Option<&'a [u8]>, Vec<&'a [u8]>, &'a str);
        let cases: Vec<Case> = vec![
            (None, vec![b"XSRF-TOKEN=tok"], "XSRF token missing"),
            (None, vec![b"session=s"], "XSRF token missing"),
            (Some(b"tok"), vec![], "XSRF token missing"),
            (Some(b""), vec![b"XSRF-TOKEN="], "XSRF token missing"),
            (Some(b"tok"), vec![b"XSRF-TOKEN="], "XSRF token missing"),
            (Some(b"tok"), vec![b"xsrf-token=tok"], "XSRF token missing"),
            (Some(b"tok"), vec![b"OTHER=tok"], "XSRF token missing"),
            (
                Some(b"tok"),
                vec![b"XSRF-TOKEN=tok2"],
                "XSRF token does not match the XSRF-TOKEN cookie",
            ),
            (
                Some(b"tok"),
                vec![b"XSRF-TOKEN=TOK"],
                "XSRF token does not match the XSRF-TOKEN cookie",
            ),
            (
                Some(b"\xff"),
                vec![b"XSRF-TOKEN=tok"],
                "X-XSRF-TOKEN header is not valid UTF-8",
            ),
        ];
        for (header, cookies, expected) in cases {
            let message = reason(session(header, &cookies));
            assert!(
                message.contains(expected),
                "{header:?} {cookies:?}: {message}"
            );
        }
    }

    #[test]
    fn no_credentials_at_all_names_the_ways_in() {
        let everything = "no credentials sent; authenticate with Basic, SOTicket, Bearer, or a \
                          session cookie with the X-XSRF-TOKEN header";
        let cookieless: [&[&[u8]]; 3] = [&[], &[b""], &[b" ; =x; noequals"]];
        for cookies in cookieless {
            let error = session(None, cookies).unwrap_err();
            assert!(error.is_missing(), "{cookies:?}");
            assert_eq!(error.reason(), everything);
        }
        // Anything of a session (a cookie, the XSRF header, even empty) is a session attempt.
        type Attempt<'a> = (Option<&'a [u8]>, &'a [&'a [u8]]);
        let attempts: [Attempt; 3] = [
            (None, &[b"session=s"]),
            (Some(b""), &[]),
            (Some(b"tok"), &[]),
        ];
        for (header, cookies) in attempts {
            let error = session(header, cookies).unwrap_err();
            assert!(!error.is_missing(), "{header:?} {cookies:?}");
            assert!(error.reason().contains("XSRF"), "{error}");
        }
        // As does any Authorization header, empty or malformed.
        assert!(!auth(b"").unwrap_err().is_missing());

        let ways = |ways: &[&str]| {
            let ways: Vec<String> = ways.iter().map(|way| (*way).to_owned()).collect();
            CredentialsError::no_credentials(&ways).to_string()
        };
        assert_eq!(
            ways(&["Basic"]),
            "Unauthenticated: no credentials sent; authenticate with Basic"
        );
        assert_eq!(
            ways(&["Basic", "Bearer"]),
            "Unauthenticated: no credentials sent; authenticate with Basic or Bearer"
        );
        assert_eq!(
            ways(&["Basic", "Bearer", SESSION_WAY]),
            "Unauthenticated: no credentials sent; authenticate with Basic, Bearer, or a session \
             cookie with the X-XSRF-TOKEN header"
        );
        assert_eq!(
            ways(&[]),
            "Unauthenticated: no credentials sent, and this service accepts none"
        );
    }

    #[test]
    fn authorization_wins_over_the_session() {
        let credentials =
            CallerIdentity::from_headers(Some(b"Bearer t"), Some(b"x"), &[b"XSRF-TOKEN=y"], None)
                .unwrap()
                .credentials;
        assert_eq!(credentials, Credentials::Bearer(Secret::new("t")));
    }

    #[test]
    fn parses_cookies_skipping_malformed_members() {
        let lines: [&[u8]; 3] = [
            b"a=1;b=2 ; ;=nameless; noequals; c = 3 ",
            b"d=\"quoted value\"; e=\"; f=x\x01y; g h=1; \xff=1; i=\xc3\xa5",
            b"A=upper; a=again",
        ];
        let cookies = parse_cookies(&lines).unwrap();
        let pairs: Vec<(&str, &str)> = cookies
            .iter()
            .map(|(name, value)| (name.as_str(), value.expose()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "quoted value"),
                ("i", "å"),
                ("A", "upper"),
                ("a", "again"),
            ]
        );
    }

    #[test]
    fn cookie_count_and_size_are_capped() {
        let many = "k=v; ".repeat(1_000);
        let cookies = parse_cookies(&[many.as_bytes()]).unwrap();
        assert_eq!(cookies.len(), MAX_COOKIES);
        let huge = format!("XSRF-TOKEN={}", "a".repeat(1 << 20));
        let message = reason(session(Some(b"a"), &[huge.as_bytes()]));
        assert!(message.contains("Cookie header is too long"), "{message}");
    }

    #[test]
    fn app_token_is_trimmed_and_optional() {
        let cases: [(Option<&[u8]>, Option<&str>); 4] = [
            (None, None),
            (Some(b""), None),
            (Some(b"   "), None),
            (Some(b" app-123 "), Some("app-123")),
        ];
        for (header, expected) in cases {
            let identity =
                CallerIdentity::from_headers(Some(b"Bearer t"), None, &[], header).unwrap();
            assert_eq!(identity.app_token.as_ref().map(Secret::expose), expected);
        }
        let error =
            CallerIdentity::from_headers(Some(b"Bearer t"), None, &[], Some(b"\xff")).unwrap_err();
        assert!(error
            .to_string()
            .contains("SO-AppToken header is not valid UTF-8"));
    }

    #[test]
    fn debug_never_prints_a_secret() {
        let identities = [
            CallerIdentity::from_headers(Some(b"Basic YWxpY2U6UEFTU1dPUkQtMQ=="), None, &[], None),
            CallerIdentity::from_headers(Some(b"SOTicket 7T:TICKET-2"), None, &[], None),
            CallerIdentity::from_headers(Some(b"Bearer TOKEN-3"), None, &[], Some(b"APP-4")),
            CallerIdentity::from_headers(
                None,
                Some(b"XSRF-5"),
                &[b"XSRF-TOKEN=XSRF-5; session=COOKIE-6"],
                Some(b"APP-4"),
            ),
        ];
        let mut all = String::new();
        for identity in identities {
            let identity = identity.unwrap();
            all.push_str(&format!(
                "{identity:?} {:?} {identity:#?}",
                identity.credentials
            ));
        }
        for secret in [
            "PASSWORD-1",
            "TICKET-2",
            "TOKEN-3",
            "APP-4",
            "XSRF-5",
            "COOKIE-6",
        ] {
            assert!(!all.contains(secret), "{secret} leaked in {all}");
        }
        assert!(all.contains("alice"), "{all}");
        assert!(all.contains("session"), "{all}");
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(<redacted>)");
    }
}
