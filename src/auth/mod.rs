//! Who may see what: the [`Authenticator`] trait and a configurable reference implementation.

mod action;
mod credentials;
mod secret;
mod static_auth;

use crate::person_id::PersonId;
use crate::Result;

pub use action::Action;
pub use credentials::{CallerIdentity, Credentials, CredentialsError};
pub use secret::Secret;
pub use static_auth::StaticAuthenticator;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// A stable identifier of the caller (user name, ticket owner, token subject).
    pub name: String,
}

impl Principal {
    /// A principal named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Principal { name: name.into() }
    }
}

/// Checks credentials and permissions.
///
/// Return [`crate::Error::unauthenticated`] (401) for missing or wrong credentials,
/// [`crate::Error::forbidden`] (403) from `authorize`, and [`crate::Error::authenticator`] (500)
/// when the check itself failed. Never put the secret into an error message.
pub trait Authenticator: Send + Sync {
    /// Who is calling, or 401.
    fn authenticate(&self, identity: &CallerIdentity) -> Result<Principal>;

    /// Whether `principal` may do `action` to `person`'s photo, or 403.
    ///
    /// Called after [`authenticate`](Self::authenticate) and before the store is touched. An
    /// authenticator that only knows readers should refuse the actions that
    /// [write](Action::is_write).
    fn authorize(&self, principal: &Principal, person: PersonId, action: Action) -> Result<()>;

    /// The schemes this authenticator accepts, for `WWW-Authenticate` on a 401 (e.g. `Basic`).
    fn challenges(&self) -> Vec<String> {
        vec!["Basic".into(), "SOTicket".into(), "Bearer".into()]
    }

    /// The ways in, one short phrase each (`Basic`, `SOTicket`, `Bearer`, `a session cookie with
    /// the X-XSRF-TOKEN header`), for the 401 of a request that sent no credentials at all
    /// ([`CredentialsError::is_missing`]): `Unauthenticated: no credentials sent; authenticate
    /// with Basic, Bearer, or a session cookie with the X-XSRF-TOKEN header`. Never a secret.
    ///
    /// Default: the scheme of each of [`challenges`](Self::challenges) (the text before its first
    /// space). An authenticator that accepts sessions ([`Credentials::Session`]) should add them.
    fn ways_to_authenticate(&self) -> Vec<String> {
        self.challenges()
            .iter()
            .filter_map(|challenge| challenge.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    }
}

impl<A: Authenticator + ?Sized> Authenticator for std::sync::Arc<A> {
    fn authenticate(&self, identity: &CallerIdentity) -> Result<Principal> {
        (**self).authenticate(identity)
    }
    fn authorize(&self, principal: &Principal, person: PersonId, action: Action) -> Result<()> {
        (**self).authorize(principal, person, action)
    }
    fn challenges(&self) -> Vec<String> {
        (**self).challenges()
    }
    fn ways_to_authenticate(&self) -> Vec<String> {
        (**self).ways_to_authenticate()
    }
}
