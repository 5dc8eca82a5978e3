//! `POST /oauth/revoke` (RFC 7009): a client revokes one of its own tokens. A refresh token
//! revokes its whole grant, so the access tokens issued under it go inactive too; an access
//! token is revoked alone (its `jti` is kept in `oauth_revoked_tokens` until its expiry).
//! Unknown, expired and other clients' tokens answer 200 and change nothing, so the answer
//! tells nothing about a token. `token_type_hint` is read as advice only: both kinds are
//! looked for. Public clients (single-page apps) revoke with their client_id alone.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{AuthorizationServer, error::OAuthError, grant_store, request::Params, store};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::tokens,
    oauth::RegisteredClient,
    store::entities::oauth_revoked_token,
};

impl AuthorizationServer {
    pub async fn revoke(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<(), OAuthError> {
        let registered = self.grant_client(headers, params, client).await?;
        let token = params.required("token")?;
        if self
            .revoke_refresh_token(&registered, token, client)
            .await?
        {
            return Ok(());
        }
        let Some(claims) = self.live_access_token(token).await? else {
            return Ok(());
        };
        if claims.client_id != registered.client_id.as_str() {
            return Ok(());
        }
        let now = self.clock.now();
        let row = oauth_revoked_token::Model {
            jti: claims.jti.clone(),
            client_id: claims.client_id.clone(),
            // Past the verification's leeway for clock skew, so no accepted token outlives it.
            expires_at: DateTime::<Utc>::from_timestamp(claims.exp, 0).unwrap_or(now)
                + chrono::Duration::seconds(120),
            revoked_at: now,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        store::revoke(&txn, row, now).await?;
        let event = AuditEvent::new("oauth.token_revoked", Actor::System)
            .organization(registered.organization_id.as_str())
            .target("oauth_client", registered.client_id.as_str())
            .client(client.clone())
            .metadata(json!({"client_id": claims.client_id, "jti": claims.jti}));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Revokes the grant of `token` when it is one of `registered`'s refresh tokens; false
    /// when it is no refresh token of this client.
    async fn revoke_refresh_token(
        &self,
        registered: &RegisteredClient,
        token: &str,
        client: &ClientInfo,
    ) -> Result<bool, OAuthError> {
        let Some(row) = grant_store::find_refresh_token(&self.db, &tokens::digest(token)).await?
        else {
            return Ok(false);
        };
        let Some(grant) = grant_store::find_grant(&self.db, &row.grant_id)
            .await?
            .filter(|g| g.client_id == registered.client_id.as_str())
        else {
            return Ok(false);
        };
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if grant_store::revoke_grant(&txn, &grant.id, now, "revoked_by_client").await? {
            let event = AuditEvent::new("oauth.grant_revoked", Actor::System)
                .organization(registered.organization_id.as_str())
                .target("oauth_client", registered.client_id.as_str())
                .client(client.clone())
                .metadata(json!({"client_id": grant.client_id, "grant_id": grant.id}));
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        Ok(true)
    }
}
