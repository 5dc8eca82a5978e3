//! The token set of a user's grant, at the code's exchange and at each refresh: an access
//! token with the granted (or narrowed) scopes, the refresh token the caller stored, and an
//! ID token when `openid` is among the scopes. Every issue is audited with the token's
//! `jti` and the grant's id, never a token.

use serde_json::json;

use super::{AuthorizationServer, access_token::Subject, error::OAuthError, grant::TokenAnswer};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    ids::UserId,
    oauth::RegisteredClient,
    store::{accounts, entities::oauth_grant, memberships},
};

/// What one issue is for.
pub(super) struct UserTokenRequest<'a> {
    pub client: &'a RegisteredClient,
    pub grant: &'a oauth_grant::Model,
    pub scopes: &'a [String],
    /// The refresh token already stored under the grant, to hand out.
    pub refresh_token: Option<String>,
    /// The request's nonce (the code's exchange only).
    pub nonce: Option<String>,
    /// `authorization_code` or `refresh_token`, for the audit trail.
    pub grant_type: &'static str,
    pub client_info: &'a ClientInfo,
}

impl AuthorizationServer {
    pub(super) async fn issue_user_tokens(
        &self,
        request: UserTokenRequest<'_>,
    ) -> Result<TokenAnswer, OAuthError> {
        let invalid = || OAuthError::invalid_grant("the user can no longer sign in");
        let account = accounts::find_by_id(&self.db, &request.grant.user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(invalid)?;
        let membership = memberships::find_membership(
            &self.db,
            request.client.organization_id.as_str(),
            &request.grant.user_id,
        )
        .await?;
        let subject = Subject::User {
            grant: request.grant,
            org_role: membership.map(|m| m.role),
        };
        let issued = self
            .issue_access_token(request.client, subject, request.scopes)
            .await?;
        let id_token = if request.scopes.iter().any(|s| s == "openid") {
            Some(
                self.issue_id_token(
                    request.grant,
                    &account,
                    request.scopes,
                    &issued.token,
                    request.nonce,
                )
                .await?,
            )
        } else {
            None
        };
        let event = AuditEvent::new(
            "oauth.token_issued",
            Actor::User(UserId::from_trusted(request.grant.user_id.clone())),
        )
        .organization(request.client.organization_id.as_str())
        .target("oauth_client", request.client.client_id.as_str())
        .client(request.client_info.clone())
        .metadata(json!({
            "client_id": request.client.client_id.as_str(),
            "grant_type": request.grant_type,
            "grant_id": request.grant.id,
            "scopes": issued.claims.scope,
            "jti": issued.claims.jti,
            "refresh_token": request.refresh_token.is_some(),
            "id_token": id_token.is_some(),
        }));
        audit::record(&self.db, self.clock.now(), event).await?;
        let mut answer = json!({
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.claims.exp - issued.claims.iat,
            "scope": issued.claims.scope,
        });
        if let Some(refresh_token) = request.refresh_token {
            answer["refresh_token"] = json!(refresh_token);
        }
        if let Some(id_token) = id_token {
            answer["id_token"] = json!(id_token);
        }
        Ok(TokenAnswer(answer))
    }
}
