//! `POST /oauth/token` (RFC 6749 §3.2): `authorization_code` (`code_grant`), `refresh_token`
//! (`refresh_grant`) and `client_credentials` (here: confidential clients that allow it; no
//! refresh token and no ID token). `password`, `implicit` and anything else are
//! unsupported for good.

use serde_json::json;

use super::{
    AuthorizationServer, access_token::Subject, client_auth, error::OAuthError, request::Params,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::OAuthClientId,
    oauth::{ClientType, GrantType, RegisteredClient},
};

/// The OpenID Connect scopes, which speak of a signed-in user: never a client's own token's.
const USER_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A token answer (RFC 6749 §5.1).
pub struct TokenAnswer(pub serde_json::Value);

impl AuthorizationServer {
    /// Answers a token request of `params` from `client`.
    pub async fn token(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<TokenAnswer, OAuthError> {
        match params.required("grant_type")? {
            "client_credentials" => self.client_credentials(headers, params, client).await,
            "authorization_code" => self.code_grant(headers, params, client).await,
            "refresh_token" => self.refresh_grant(headers, params, client).await,
            _ => Err(OAuthError::unsupported_grant_type(
                "the grant type is not supported",
            )),
        }
    }

    /// The client of a user's grant: a confidential client by its credentials, or a public
    /// client by its `client_id` alone (`none`), which must then present no secret.
    pub(super) async fn grant_client(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<RegisteredClient, OAuthError> {
        if let Some(credentials) = client_auth::presented(headers, params)? {
            return self
                .authenticate_client(Some(credentials), client.ip_address.as_deref())
                .await;
        }
        // No credentials at all: the client should authenticate, so the Basic challenge.
        let refused = || OAuthError::invalid_client(true);
        let client_id = params.get("client_id").ok_or_else(refused)?;
        let client_id = OAuthClientId::parse("client_id", client_id).map_err(|_| refused())?;
        match self.clients.find_client(&client_id).await? {
            Some(registered) if registered.client_type == ClientType::Public => Ok(registered),
            Some(_) | None => Err(refused()),
        }
    }

    /// `grant_client`, which must also be registered for `grant`.
    pub(super) async fn client_for_grant(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
        grant: GrantType,
    ) -> Result<RegisteredClient, OAuthError> {
        let registered = self.grant_client(headers, params, client).await?;
        if !registered.allows_grant(grant) {
            return Err(OAuthError::unauthorized_client(format!(
                "the client may not use the {} grant",
                grant.as_str()
            )));
        }
        Ok(registered)
    }

    async fn client_credentials(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<TokenAnswer, OAuthError> {
        let credentials = client_auth::presented(headers, params)?;
        let registered = self
            .authenticate_client(credentials, client.ip_address.as_deref())
            .await?;
        if !registered.allows_grant(GrantType::ClientCredentials) {
            return Err(OAuthError::unauthorized_client(
                "the client may not use the client_credentials grant",
            ));
        }
        // A machine's token: the scopes about a signed-in user are not the client's to have.
        let machine_scopes: Vec<String> = registered
            .settings
            .allowed_scopes
            .iter()
            .filter(|s| !USER_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect();
        let scopes = granted_scopes(&machine_scopes, params.get("scope"))?;
        let issued = self
            .issue_access_token(&registered, Subject::Client, &scopes)
            .await?;
        self.audit_issued(&registered, &issued.claims, client)
            .await?;
        let lifetime = issued.claims.exp - issued.claims.iat;
        Ok(TokenAnswer(json!({
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": issued.claims.scope,
        })))
    }

    async fn audit_issued(
        &self,
        registered: &RegisteredClient,
        claims: &super::access_token::ClientAccessClaims,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let event = AuditEvent::new("oauth.token_issued", Actor::System)
            .organization(registered.organization_id.as_str())
            .target("oauth_client", registered.client_id.as_str())
            .client(client.clone())
            .metadata(json!({
                "client_id": registered.client_id.as_str(),
                "grant_type": "client_credentials",
                "scopes": claims.scope,
                "jti": claims.jti,
            }));
        audit::record(&self.db, self.clock.now(), event).await?;
        Ok(())
    }
}

/// The scopes of a token: those requested, each one of `allowed` (else `invalid_scope`),
/// or all of `allowed` when none are requested.
pub(super) fn granted_scopes(
    allowed: &[String],
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.to_vec());
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return Err(OAuthError::invalid_scope(format!(
                "the scope {scope:?} is not one that may be asked for here"
            )));
        }
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    if granted.is_empty() {
        return Ok(allowed.to_vec());
    }
    Ok(granted)
}
