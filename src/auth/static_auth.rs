//! A fixed set of users, tickets, tokens and sessions: for demos, tests and small deployments.

use super::{Authenticator, Principal};
use crate::credentials::CallerIdentity;
use crate::path::PersonId;
use crate::Result;

/// An authenticator configured with known credentials.
#[derive(Debug, Default, Clone)]
pub struct StaticAuthenticator {}

impl Authenticator for StaticAuthenticator {
    fn authenticate(&self, identity: &CallerIdentity) -> Result<Principal> {
        let _ = identity;
        Err(crate::Error::unauthenticated("credentials rejected"))
    }

    fn authorize(&self, principal: &Principal, person: PersonId) -> Result<()> {
        let _ = (principal, person);
        Ok(())
    }
}
