//! `POST /oauth/token` (RFC 6749 §4.4): the client_credentials grant, for confidential
//! clients that allow it. No refresh token and no ID token are issued with it.
//!
//! `authorization_code` and `refresh_token` are recognized but answer
//! `unsupported_grant_type` until the authorization-code flow arrives; `password`,
//! `implicit` and anything else are unsupported for good.

use serde_json::json;

use super::{AuthorizationServer, client_auth, error::OAuthError, request::Params};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    oauth::{GrantType, RegisteredClient},
};

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
            "client_credentials" => {}
            // Arrive with the authorization-code flow (issue #16).
            "authorization_code" | "refresh_token" => {
                return Err(OAuthError::unsupported_grant_type(
                    "this grant type is not offered yet; use client_credentials",
                ));
            }
            _ => {
                return Err(OAuthError::unsupported_grant_type(
                    "the grant type is not supported",
                ));
            }
        }
        let credentials = client_auth::presented(headers, params)?;
        let registered = self
            .authenticate_client(credentials, client.ip_address.as_deref())
            .await?;
        if !registered.allows_grant(GrantType::ClientCredentials) {
            return Err(OAuthError::unauthorized_client(
                "the client may not use the client_credentials grant",
            ));
        }
        let scopes = granted_scopes(&registered, params.get("scope"))?;
        let issued = self
            .issue_access_token(&registered, registered.client_id.as_str(), &scopes)
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

/// The scopes of the token: those requested, each one the client's (else
/// `invalid_scope`), or all of the client's when none are requested.
fn granted_scopes(
    client: &RegisteredClient,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let allowed = &client.settings.allowed_scopes;
    let Some(requested) = requested else {
        return Ok(allowed.clone());
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return Err(OAuthError::invalid_scope(format!(
                "the client may not ask for the scope {scope:?}"
            )));
        }
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    if granted.is_empty() {
        return Ok(allowed.clone());
    }
    Ok(granted)
}
