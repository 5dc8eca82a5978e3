//! `POST /oauth/revoke` (RFC 7009): a client revokes one of its own access tokens, which
//! introspection reports inactive at once (the `jti` is kept in `oauth_revoked_tokens`
//! until the token's expiry). Unknown, expired and other clients' tokens answer 200 and
//! change nothing, so the answer tells nothing about a token. `token_type_hint` is read
//! as advice only: access tokens are the only kind issued to clients so far.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{AuthorizationServer, client_auth, error::OAuthError, request::Params, store};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    store::entities::oauth_revoked_token,
};

impl AuthorizationServer {
    pub async fn revoke(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<(), OAuthError> {
        let credentials = client_auth::presented(headers, params)?;
        let registered = self
            .authenticate_client(credentials, client.ip_address.as_deref())
            .await?;
        let token = params.required("token")?;
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
}
