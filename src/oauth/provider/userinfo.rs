//! The UserInfo endpoint (OIDC Core §5.3), GET or POST with the access token as a Bearer
//! credential (RFC 6750): the user's `sub` and the claims the token's scopes release. The
//! token must be live, a user's (not a client_credentials token) and carry `openid`.

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::{AuthorizationServer, error::OAuthError, id_token::UserClaims};
use crate::store::accounts;

impl AuthorizationServer {
    pub async fn userinfo(&self, headers: &HeaderMap) -> Result<Value, OAuthError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| OAuthError::invalid_token("a Bearer access token is required"))?;
        let invalid =
            || OAuthError::invalid_token("the access token is invalid, expired or revoked");
        let claims = self.live_access_token(token).await?.ok_or_else(invalid)?;
        if claims.grant_id.is_none() {
            return Err(invalid());
        }
        let scopes: Vec<String> = claims.scope.split(' ').map(str::to_owned).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(OAuthError::insufficient_scope(
                "the token lacks the openid scope",
            ));
        }
        let account = accounts::find_by_id(&self.db, &claims.sub)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(invalid)?;
        let mut answer =
            serde_json::to_value(UserClaims::of(&account, &scopes)).unwrap_or_else(|_| json!({}));
        answer["sub"] = json!(claims.sub);
        Ok(answer)
    }
}
