//! The `refresh_token` grant (RFC 6749 §6) with rotation: each refresh spends the token and
//! hands out a new one under the same grant. A spent token presented again within
//! `REUSE_GRACE` is a parallel refresh (two tabs, a retry after a lost answer) and also
//! succeeds; later it is a stolen token, and the whole grant (every refresh and access token
//! issued from its code) is revoked. The scope may narrow, never widen; the refresh token
//! keeps the grant's scope (§6). The grant must still stand: not revoked, its session live.

use std::time::Duration;

use super::{
    AuthorizationServer, error::OAuthError, grant::TokenAnswer, grant_store,
    issue::UserTokenRequest, request::Params,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::tokens,
    ids::UserId,
    oauth::GrantType,
    store::entities::{oauth_grant, oauth_refresh_token},
};

/// How long after its rotation a refresh token still refreshes.
pub const REUSE_GRACE: Duration = Duration::from_secs(10);

impl AuthorizationServer {
    pub(super) async fn refresh_grant(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<TokenAnswer, OAuthError> {
        let registered = self
            .client_for_grant(headers, params, client, GrantType::RefreshToken)
            .await?;
        let presented = params.required("refresh_token")?;
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        let hash = tokens::digest(presented);
        let row = grant_store::find_refresh_token(&self.db, &hash)
            .await?
            .ok_or_else(invalid)?;
        let grant = grant_store::find_grant(&self.db, &row.grant_id)
            .await?
            .filter(|g| g.client_id == registered.client_id.as_str())
            .ok_or_else(invalid)?;
        let now = self.clock.now();
        if grant.revoked_at.is_some() || row.expires_at <= now {
            return Err(invalid());
        }
        if !self.rotates(&row, now).await? {
            self.refresh_reused(&grant, client).await?;
            return Err(invalid());
        }
        if self.auth.live_session(&grant.session_id).await?.is_none() {
            return Err(invalid());
        }
        self.auth.keep_session_alive(&grant.session_id).await?;
        let granted: Vec<String> = grant.scope.split(' ').map(str::to_owned).collect();
        let scopes = super::grant::granted_scopes(&granted, params.get("scope"))?;
        let refresh_token = self.new_refresh_token(&registered, &grant).await?;
        self.issue_user_tokens(UserTokenRequest {
            client: &registered,
            grant: &grant,
            scopes: &scopes,
            refresh_token,
            nonce: None,
            grant_type: "refresh_token",
            client_info: client,
        })
        .await
    }

    /// Spends the token; true when this refresh may go on (it was unspent, or spent within
    /// the grace window).
    async fn rotates(
        &self,
        row: &oauth_refresh_token::Model,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, OAuthError> {
        let within_grace = |used_at: chrono::DateTime<chrono::Utc>| {
            (now - used_at).to_std().is_ok_and(|age| age <= REUSE_GRACE) || used_at > now
        };
        if let Some(used_at) = row.used_at {
            return Ok(within_grace(used_at));
        }
        if grant_store::mark_refresh_token_used(&self.db, &row.token_hash, now).await? {
            return Ok(true);
        }
        // A parallel refresh spent it a moment ago.
        let used_at = grant_store::find_refresh_token(&self.db, &row.token_hash)
            .await?
            .and_then(|r| r.used_at);
        Ok(used_at.is_some_and(within_grace))
    }

    /// A rotated refresh token came back after the grace window: revoke the grant.
    async fn refresh_reused(
        &self,
        grant: &oauth_grant::Model,
        client: &ClientInfo,
    ) -> Result<(), OAuthError> {
        crate::telemetry::refresh_token_reused();
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if grant_store::revoke_grant(&txn, &grant.id, now, "refresh_token_reuse").await? {
            let event = AuditEvent::new(
                "oauth.refresh_token_reuse",
                Actor::User(UserId::from_trusted(grant.user_id.clone())),
            )
            .target("oauth_client", &grant.client_id)
            .client(client.clone())
            .failed()
            .metadata(serde_json::json!({"grant_id": grant.id}));
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
