//! Turns the credential of a request into its `Caller`: an access token (signature, then
//! the session's revocation) or an organization's API key.

use std::sync::Arc;

use crate::{
    clock::Clock,
    crypto::Keyring,
    error::Error,
    orgs::api_keys::{self, API_KEY_PREFIX},
    principal::{AccessClaims, Caller},
    revocation::Revocations,
    store::Db,
};

/// Turns a credential into a caller: an access token with a valid signature and a session
/// not revoked, or an API key that is neither revoked nor expired.
pub struct Authenticator {
    keyring: Arc<Keyring>,
    revocations: Arc<Revocations>,
    db: Db,
    clock: Arc<dyn Clock>,
}

impl Authenticator {
    pub fn new(
        keyring: Arc<Keyring>,
        revocations: Arc<Revocations>,
        db: Db,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            keyring,
            revocations,
            db,
            clock,
        }
    }

    /// An API key (recognized by its `janua_sk_` prefix) or an access token.
    pub async fn authenticate(&self, credential: &str) -> Result<Caller, Error> {
        if credential.starts_with(API_KEY_PREFIX) {
            let key = api_keys::authenticate(&self.db, credential, self.clock.now()).await?;
            return Ok(Caller::ApiKey(key));
        }
        let claims: AccessClaims = self.keyring.verify(credential).await?;
        if self.revocations.is_revoked(&claims.sid).await? {
            return Err(Error::Token("session revoked".into()));
        }
        Ok(Caller::User(claims.into()))
    }
}
