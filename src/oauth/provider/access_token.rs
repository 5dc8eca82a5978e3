//! The access tokens Janua issues to OAuth clients: RFC 9068 JWTs (`typ: at+jwt`) signed
//! with Janua's current key, so a resource server verifies them from the JWKS alone.
//!
//! Claims: `iss` (Janua's issuer), `sub` (the user's id; for client_credentials the
//! client_id), `aud` (the client's `access_token_audience`, never Janua's issuer),
//! `client_id`, `scope` (space-separated), `jti`, `iat`, `exp` (the `ACCESS_TOKEN_TTL` of
//! Janua's own tokens) and `org_id`, the organization that registered the client. A user's
//! token adds `sid` (the Janua session), `grant_id` (the authorization it comes from),
//! `auth_time` and, when the user is a member of the client's organization, `org_role`.
//! Janua's own API refuses them (`Keyring::verify` takes no `at+jwt` token and requires its
//! issuer as audience).

use serde::{Deserialize, Serialize};

use super::{AuthorizationServer, live_store};
use crate::{error::Error, oauth::RegisteredClient, store::entities::oauth_grant};

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_role: Option<String>,
}

/// A token just issued, with its claims (for the answer and the audit trail).
pub struct IssuedToken {
    pub token: String,
    pub claims: ClientAccessClaims,
}

/// Whom a token is for: the client itself, or a user through one of their grants.
pub enum Subject<'a> {
    Client,
    User {
        grant: &'a oauth_grant::Model,
        org_role: Option<String>,
    },
}

impl AuthorizationServer {
    /// Signs an access token of `client` for `subject` with `scopes`.
    pub(super) async fn issue_access_token(
        &self,
        client: &RegisteredClient,
        subject: Subject<'_>,
        scopes: &[String],
    ) -> Result<IssuedToken, Error> {
        let now = self.clock.now().timestamp();
        let lifetime = i64::try_from(self.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let mut claims = ClientAccessClaims {
            iss: self.keyring.issuer().to_owned(),
            sub: client.client_id.to_string(),
            aud: client.access_token_audience().to_owned(),
            client_id: client.client_id.to_string(),
            scope: scopes.join(" "),
            jti: uuid::Uuid::now_v7().to_string(),
            iat: now,
            exp: now.saturating_add(lifetime),
            org_id: client.organization_id.to_string(),
            sid: None,
            grant_id: None,
            auth_time: None,
            org_role: None,
        };
        if let Subject::User { grant, org_role } = subject {
            claims.sub.clone_from(&grant.user_id);
            claims.sid = Some(grant.session_id.clone());
            claims.grant_id = Some(grant.id.clone());
            claims.auth_time = Some(grant.auth_time.timestamp());
            claims.org_role = org_role;
        }
        let token = self.keyring.sign_client_access_token(&claims).await?;
        Ok(IssuedToken { token, claims })
    }

    /// The claims of a live client access token: signed by Janua, not expired, not revoked,
    /// its grant (if a user's) standing, and its client still registered, enabled and of
    /// the token's organization. None for anything else. The signature is checked once per
    /// node (the keyring remembers it); the rest is read on every call, in one query.
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
        let facts = live_store::TokenFacts {
            jti: &claims.jti,
            client_id: &claims.client_id,
            organization_id: &claims.org_id,
            grant_id: claims.grant_id.as_deref(),
        };
        let stands = live_store::access_token_stands(&self.db, &facts, self.clock.now()).await?;
        Ok(stands.then_some(claims))
    }
}
