//! `POST /oauth/introspect` (RFC 7662). The caller is an OAuth client (Basic or post
//! credentials) or an organization's API key (`Authorization: Bearer janua_sk_…`). A
//! client access token or refresh token is active for callers of the organization that
//! registered its client; Janua's user access tokens introspect for API keys, through the same domain
//! function as IntrospectToken. Anything else, whatever the reason, is exactly
//! `{"active": false}`.

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::{
    AuthorizationServer, access_token::ClientAccessClaims, client_auth, error::OAuthError,
    grant_store, live_store, request::Params,
};
use crate::{
    audit::ClientInfo,
    credentials::tokens,
    ids::OrganizationId,
    orgs::api_keys::API_KEY_PREFIX,
    principal::{ApiKeyPrincipal, Caller, ServiceCaller},
};

/// Who asked.
enum Introspector {
    Client(OrganizationId),
    ApiKey(ApiKeyPrincipal),
}

impl Introspector {
    fn organization(&self) -> &str {
        match self {
            Self::Client(organization) => organization,
            Self::ApiKey(key) => key.organization_id(),
        }
    }
}

impl AuthorizationServer {
    pub async fn introspect(
        &self,
        headers: &HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<Value, OAuthError> {
        let caller = self.introspector(headers, params, client).await?;
        let token = params.required("token")?;
        if let Some(claims) = self.live_access_token(token).await? {
            if claims.org_id == caller.organization() {
                return Ok(client_token_answer(claims));
            }
            return Ok(inactive());
        }
        if let Some(answer) = self
            .live_refresh_token(token, caller.organization())
            .await?
        {
            return Ok(answer);
        }
        let Introspector::ApiKey(key) = caller else {
            return Ok(inactive());
        };
        let answer = self
            .auth
            .introspect(&ServiceCaller::ApiKey(key), token)
            .await?;
        Ok(match answer.claims.filter(|_| answer.active) {
            Some(claims) => json!({
                "active": true,
                "token_type": "Bearer",
                "iss": claims.iss,
                "sub": claims.sub,
                "aud": claims.aud,
                "exp": claims.exp,
                "iat": claims.iat,
                "jti": claims.jti,
                "sid": claims.sid,
                "scope": claims.permissions.join(" "),
                "org_id": claims.org_id,
                "org_role": claims.org_role,
            }),
            None => inactive(),
        })
    }

    /// An API key in `Authorization: Bearer`, else the client's credentials.
    async fn introspector(
        &self,
        headers: &HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<Introspector, OAuthError> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(credential) = bearer {
            if !credential.starts_with(API_KEY_PREFIX) {
                return Err(OAuthError::invalid_client(false));
            }
            return match self.authenticator.authenticate(credential).await {
                Ok(Caller::ApiKey(key)) => Ok(Introspector::ApiKey(key)),
                Ok(Caller::User(_)) | Err(crate::error::Error::Token(_)) => {
                    Err(OAuthError::invalid_client(false))
                }
                Err(other) => Err(other.into()),
            };
        }
        let credentials = client_auth::presented(headers, params)?;
        let registered = self
            .authenticate_client(credentials, client.ip_address.as_deref())
            .await?;
        Ok(Introspector::Client(registered.organization_id))
    }
}

impl AuthorizationServer {
    /// The answer for a refresh token of a client of `organization` that would still
    /// refresh: unspent, unexpired, its grant standing and its client enabled.
    async fn live_refresh_token(
        &self,
        token: &str,
        organization: &str,
    ) -> Result<Option<Value>, OAuthError> {
        let Some(row) = grant_store::find_refresh_token(&self.db, &tokens::digest(token)).await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        if row.used_at.is_some() || row.expires_at <= now {
            return Ok(Some(inactive()));
        }
        let Some(grant) =
            live_store::find_standing_grant(&self.db, &row.grant_id, organization, now).await?
        else {
            return Ok(Some(inactive()));
        };
        Ok(Some(json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": grant.scope,
            "client_id": grant.client_id,
            "sub": grant.user_id,
            "iss": self.keyring.issuer(),
            "iat": row.created_at.timestamp(),
            "exp": row.expires_at.timestamp(),
            "sid": grant.session_id,
        })))
    }
}

fn client_token_answer(claims: ClientAccessClaims) -> Value {
    json!({
        "active": true,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
        "org_id": claims.org_id,
    })
}

/// The one answer for every token that is not active (RFC 7662 §2.2).
fn inactive() -> Value {
    json!({"active": false})
}
