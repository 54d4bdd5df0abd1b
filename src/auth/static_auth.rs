//! A fixed set of users, tickets, tokens and sessions: for demos, tests and small deployments.

use std::collections::HashSet;
use std::fmt;

use super::credentials::SESSION_WAY;
use super::secret::constant_time_eq;
use super::{Action, Authenticator, Principal};
use super::{CallerIdentity, Credentials, Secret};
use crate::person_id::PersonId;
use crate::{Error, Result};

/// An authenticator configured with known credentials.
///
/// Each builder method enables one way in; only the enabled schemes are advertised by
/// [`Authenticator::challenges`]. Every secret is compared in constant time, against every
/// configured entry, so the time taken says nothing about how close a guess was or which entry
/// matched. `Debug` shows user names and counts, never a password, ticket, token or cookie value.
///
/// ```
/// use person_image::PersonId;
/// use person_image::auth::{
///     Action, Authenticator, CallerIdentity, Credentials, Principal, Secret, StaticAuthenticator,
/// };
///
/// let auth = StaticAuthenticator::new()
///     .user("alice", "s3cret")
///     .bearer("token-123", "reporting-app")
///     .read_only("reporting-app")
///     .deny("alice", PersonId(13));
///
/// let identity = CallerIdentity {
///     credentials: Credentials::Basic {
///         user: "alice".into(),
///         password: Secret::new("s3cret"),
///     },
///     app_token: None,
/// };
/// let alice = auth.authenticate(&identity)?;
/// assert!(auth.authorize(&alice, PersonId(7), Action::ReplaceImage).is_ok());
/// assert_eq!(auth.authorize(&alice, PersonId(13), Action::ReadImage).unwrap_err().status(), 403);
/// let reporting = Principal::new("reporting-app");
/// assert!(auth.authorize(&reporting, PersonId(7), Action::ReadImage).is_ok());
/// assert_eq!(auth.authorize(&reporting, PersonId(7), Action::DeleteImage).unwrap_err().status(), 403);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default, Clone)]
pub struct StaticAuthenticator {
    users: Vec<(String, Secret)>,
    tickets: Vec<(Secret, String)>,
    bearers: Vec<(Secret, String)>,
    sessions: Vec<SessionCookie>,
    app_token: Option<Secret>,
    denied: HashSet<(String, PersonId)>,
    read_only: HashSet<String>,
}

/// A session cookie that identifies a principal.
#[derive(Clone)]
struct SessionCookie {
    name: String,
    value: Secret,
    principal: String,
}

impl StaticAuthenticator {
    /// An authenticator that accepts nobody until configured.
    pub fn new() -> Self {
        StaticAuthenticator::default()
    }

    /// Accepts `Authorization: Basic` with this user name and password; the principal is the user.
    #[must_use]
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((name.into(), Secret::new(password)));
        self
    }

    /// Accepts `Authorization: SOTicket <ticket>` as `principal`.
    #[must_use]
    pub fn ticket(mut self, ticket: impl Into<String>, principal: impl Into<String>) -> Self {
        self.tickets.push((Secret::new(ticket), principal.into()));
        self
    }

    /// Accepts `Authorization: Bearer <token>` as `principal`.
    #[must_use]
    pub fn bearer(mut self, token: impl Into<String>, principal: impl Into<String>) -> Self {
        self.bearers.push((Secret::new(token), principal.into()));
        self
    }

    /// Accepts a session (no `Authorization`, XSRF check passed) whose cookie `cookie_name` has the
    /// value `cookie_value`, as `principal`.
    #[must_use]
    pub fn session_cookie(
        mut self,
        cookie_name: impl Into<String>,
        cookie_value: impl Into<String>,
        principal: impl Into<String>,
    ) -> Self {
        self.sessions.push(SessionCookie {
            name: cookie_name.into(),
            value: Secret::new(cookie_value),
            principal: principal.into(),
        });
        self
    }

    /// Requires every caller to also send this `SO-AppToken`; without it, or with another, 401.
    #[must_use]
    pub fn require_app_token(mut self, token: impl Into<String>) -> Self {
        self.app_token = Some(Secret::new(token));
        self
    }

    /// Lets `principal` read photos and their info but not replace or delete them (403).
    #[must_use]
    pub fn read_only(mut self, principal: impl Into<String>) -> Self {
        self.read_only.insert(principal.into());
        self
    }

    /// Refuses `principal` every action on the photo of `person` (403). Everything else stays
    /// allowed.
    #[must_use]
    pub fn deny(mut self, principal: impl Into<String>, person: PersonId) -> Self {
        self.denied.insert((principal.into(), person));
        self
    }

    fn check_basic(&self, user: &str, password: &Secret) -> Result<Principal> {
        let mut found = None;
        for (name, expected) in &self.users {
            // `&`, not `&&`: the password is compared even when the name differs.
            let matches =
                constant_time_eq(name.as_bytes(), user.as_bytes()) & (expected == password);
            if matches && found.is_none() {
                found = Some(name);
            }
        }
        found
            .map(Principal::new)
            .ok_or_else(|| Error::unauthenticated("Basic credentials rejected"))
    }

    fn check_session(&self, cookies: &[(String, Secret)]) -> Result<Principal> {
        let mut found = None;
        for session in &self.sessions {
            for (name, value) in cookies {
                let matches = name == &session.name && session.value == *value;
                if matches && found.is_none() {
                    found = Some(&session.principal);
                }
            }
        }
        found
            .map(Principal::new)
            .ok_or_else(|| Error::unauthenticated("no valid session cookie"))
    }

    fn check_app_token(&self, sent: Option<&Secret>) -> Result<()> {
        let Some(expected) = &self.app_token else {
            return Ok(());
        };
        match sent {
            None => Err(Error::unauthenticated("SO-AppToken required")),
            Some(sent) if sent == expected => Ok(()),
            Some(_) => Err(Error::unauthenticated("SO-AppToken rejected")),
        }
    }
}

impl Authenticator for StaticAuthenticator {
    fn authenticate(&self, identity: &CallerIdentity) -> Result<Principal> {
        // `if let` rather than `match`: `Credentials` is non-exhaustive and may grow schemes, which
        // this authenticator then simply does not accept.
        let principal = if let Credentials::Basic { user, password } = &identity.credentials {
            self.check_basic(user, password)
        } else if let Credentials::SoTicket(ticket) = &identity.credentials {
            find_token(&self.tickets, ticket)
                .ok_or_else(|| Error::unauthenticated("SOTicket rejected"))
        } else if let Credentials::Bearer(token) = &identity.credentials {
            find_token(&self.bearers, token)
                .ok_or_else(|| Error::unauthenticated("Bearer token rejected"))
        } else if let Credentials::Session { cookies } = &identity.credentials {
            self.check_session(cookies)
        } else {
            Err(Error::unauthenticated("unsupported credentials"))
        }?;
        self.check_app_token(identity.app_token.as_ref())?;
        Ok(principal)
    }

    fn authorize(&self, principal: &Principal, person: PersonId, action: Action) -> Result<()> {
        let denied = self.denied.contains(&(principal.name.clone(), person))
            || (action.is_write() && self.read_only.contains(&principal.name));
        if denied {
            return Err(Error::forbidden(format!(
                "{} may not {action} person {person}",
                principal.name
            )));
        }
        Ok(())
    }

    fn challenges(&self) -> Vec<String> {
        let mut challenges = Vec::new();
        if !self.users.is_empty() {
            challenges.push(r#"Basic realm="person-image""#.to_owned());
        }
        if !self.tickets.is_empty() {
            challenges.push("SOTicket".to_owned());
        }
        if !self.bearers.is_empty() {
            challenges.push("Bearer".to_owned());
        }
        challenges
    }

    /// The enabled schemes, then sessions when a session cookie is configured.
    fn ways_to_authenticate(&self) -> Vec<String> {
        let enabled = [
            (!self.users.is_empty(), "Basic"),
            (!self.tickets.is_empty(), "SOTicket"),
            (!self.bearers.is_empty(), "Bearer"),
            (!self.sessions.is_empty(), SESSION_WAY),
        ];
        enabled
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, way)| way.to_owned())
            .collect()
    }
}

impl fmt::Debug for StaticAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self.users.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("StaticAuthenticator")
            .field("users", &users)
            .field("tickets", &self.tickets.len())
            .field("bearer_tokens", &self.bearers.len())
            .field("session_cookies", &self.sessions.len())
            .field("requires_app_token", &self.app_token.is_some())
            .field("denied", &self.denied.len())
            .field("read_only", &self.read_only.len())
            .finish()
    }
}

/// The principal of the configured token equal to `sent`, comparing against every entry.
fn find_token(entries: &[(Secret, String)], sent: &Secret) -> Option<Principal> {
    let mut found = None;
    for (token, principal) in entries {
        let matches = token == sent;
        if matches && found.is_none() {
            found = Some(principal);
        }
    }
    found.map(Principal::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_list_only_enabled_schemes() {
        assert!(StaticAuthenticator::new().challenges().is_empty());
        let auth = StaticAuthenticator::new().bearer("t", "p").user("u", "p");
        assert_eq!(
            auth.challenges(),
            [r#"Basic realm="person-image""#, "Bearer"]
        );
    }

    #[test]
    fn ways_to_authenticate_list_only_enabled_ones() {
        assert!(StaticAuthenticator::new().ways_to_authenticate().is_empty());
        let auth = StaticAuthenticator::new().bearer("t", "p").user("u", "p");
        assert_eq!(auth.ways_to_authenticate(), ["Basic", "Bearer"]);
        let auth = auth.ticket("7T:x", "p").session_cookie("s", "v", "p");
        assert_eq!(
            auth.ways_to_authenticate(),
            [
                "Basic",
                "SOTicket",
                "Bearer",
                "a session cookie with the X-XSRF-TOKEN header"
            ]
        );
    }
}
