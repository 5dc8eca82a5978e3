//! The access tokens Janua issues to OAuth clients: RFC 9068 JWTs (`typ: at+jwt`) signed
//! with Janua's current key, so a resource server verifies them from the JWKS alone.
//!
//! Claims: `iss` (Janua's issuer), `sub` (for client_credentials the client_id), `aud` (the
//! client's `access_token_audience`, never Janua's issuer), `client_id`, `scope`
//! (space-separated), `jti`, `iat`, `exp` (the `ACCESS_TOKEN_TTL` of Janua's own tokens)
//! and `org_id`, the organization that registered the client. Janua's own API refuses them
//! (`Keyring::verify` takes no `at+jwt` token and requires its issuer as audience).

use serde::{Deserialize, Serialize};

use super::AuthorizationServer;
use crate::{error::Error, oauth::RegisteredClient};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub org_id: String,
}

/// A token just issued, with its claims (for the answer and the audit trail).
pub struct IssuedToken {
    pub token: String,
    pub claims: ClientAccessClaims,
}

impl AuthorizationServer {
    /// Signs an access token of `client` for `subject` with `scopes`.
    pub(super) async fn issue_access_token(
        &self,
        client: &RegisteredClient,
        subject: &str,
        scopes: &[String],
    ) -> Result<IssuedToken, Error> {
        let now = self.clock.now().timestamp();
        let lifetime = i64::try_from(self.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = ClientAccessClaims {
            iss: self.keyring.issuer().to_owned(),
            sub: subject.to_owned(),
            aud: client.access_token_audience().to_owned(),
            client_id: client.client_id.to_string(),
            scope: scopes.join(" "),
            jti: uuid::Uuid::now_v7().to_string(),
            iat: now,
            exp: now.saturating_add(lifetime),
            org_id: client.organization_id.to_string(),
        };
        let token = self.keyring.sign_client_access_token(&claims).await?;
        Ok(IssuedToken { token, claims })
    }

    /// The claims of a live client access token: signed by Janua, not expired, not revoked,
    /// and its client still registered and enabled. None for anything else.
    pub(super) async fn live_access_token(
        &self,
        token: &str,
    ) -> Result<Option<ClientAccessClaims>, Error> {
        let Ok(claims) = self
            .keyring
            .verify_client_access_token::<ClientAccessClaims>(token)
            .await
        else {
            return Ok(None);
        };
        if super::store::is_revoked(&self.db, &claims.jti).await? {
            return Ok(None);
        }
        let client_id = crate::ids::OAuthClientId::from_trusted(claims.client_id.clone());
        let client = self.clients.find_client(&client_id).await?;
        Ok(client
            .filter(|c| c.organization_id.as_str() == claims.org_id)
            .map(|_| claims))
    }
}
