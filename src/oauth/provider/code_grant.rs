//! The `authorization_code` grant (RFC 6749 §4.1.3, RFC 7636): a code is spent once, within
//! `CODE_TTL`, by the client it was issued to, with the redirect URI of its request and the
//! verifier of its PKCE challenge (a verifier without a challenge is refused too). A code
//! presented again is a stolen or replayed code: the grant is revoked, and with it every
//! token issued from the code.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use super::{
    AuthorizationServer, error::OAuthError, grant::TokenAnswer, grant_store,
    issue::UserTokenRequest, request::Params,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::tokens,
    ids::UserId,
    oauth::{GrantType, RegisteredClient},
    store::entities::oauth_grant,
};

impl AuthorizationServer {
    pub(super) async fn code_grant(
        &self,
        headers: &axum::http::HeaderMap,
        params: &Params,
        client: &ClientInfo,
    ) -> Result<TokenAnswer, OAuthError> {
        let registered = self
            .client_for_grant(headers, params, client, GrantType::AuthorizationCode)
            .await?;
        let code = params.required("code")?;
        let redirect_uri = params.required("redirect_uri")?;
        let verifier = params.get("code_verifier");
        let unknown = || OAuthError::invalid_grant("the code is invalid, expired or spent");
        let grant = grant_store::find_grant_by_code(&self.db, &tokens::digest(code))
            .await?
            .ok_or_else(unknown)?;
        let now = self.clock.now();
        if grant.code_used_at.is_some() {
            self.code_replayed(&grant, &registered, client).await?;
            return Err(unknown());
        }
        // Another client's code is not spent by its presentation (nor is it news to it).
        if grant.client_id != registered.client_id.as_str()
            || grant.code_expires_at <= now
            || grant.revoked_at.is_some()
        {
            return Err(unknown());
        }
        // Spent before the redirect URI and verifier are checked: a code gets one try.
        if !grant_store::spend_code(&self.db, &grant.id, now).await? {
            self.code_replayed(&grant, &registered, client).await?;
            return Err(unknown());
        }
        if grant.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        check_verifier(grant.code_challenge.as_deref(), verifier)?;
        if self.auth.live_session(&grant.session_id).await?.is_none() {
            return Err(OAuthError::invalid_grant(
                "the sign-in behind the code has ended",
            ));
        }
        let refresh_token = self.new_refresh_token(&registered, &grant).await?;
        let scopes: Vec<String> = grant.scope.split(' ').map(str::to_owned).collect();
        self.issue_user_tokens(UserTokenRequest {
            client: &registered,
            grant: &grant,
            scopes: &scopes,
            refresh_token,
            nonce: grant.nonce.clone(),
            grant_type: "authorization_code",
            client_info: client,
        })
        .await
    }

    /// A fresh refresh token under `grant` when the client may refresh; stored hashed.
    pub(super) async fn new_refresh_token(
        &self,
        client: &RegisteredClient,
        grant: &oauth_grant::Model,
    ) -> Result<Option<String>, OAuthError> {
        if !client.allows_grant(GrantType::RefreshToken) {
            return Ok(None);
        }
        let token = tokens::new_opaque_token();
        let now = self.clock.now();
        grant_store::insert_refresh_token(
            &self.db,
            crate::store::entities::oauth_refresh_token::Model {
                token_hash: tokens::digest(&token),
                grant_id: grant.id.clone(),
                created_at: now,
                expires_at: now + self.refresh_token_ttl,
                used_at: None,
            },
        )
        .await?;
        Ok(Some(token))
    }

    /// A spent code came back: revoke what it was exchanged for.
    async fn code_replayed(
        &self,
        grant: &oauth_grant::Model,
        presenter: &RegisteredClient,
        client: &ClientInfo,
    ) -> Result<(), OAuthError> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if grant_store::revoke_grant(&txn, &grant.id, now, "code_replayed").await? {
            let event = AuditEvent::new(
                "oauth.code_replayed",
                Actor::User(UserId::from_trusted(grant.user_id.clone())),
            )
            .organization(presenter.organization_id.as_str())
            .target("oauth_client", &grant.client_id)
            .client(client.clone())
            .failed()
            .metadata(serde_json::json!({
                "grant_id": grant.id,
                "presented_by": presenter.client_id.as_str(),
            }));
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// The PKCE check (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) is the challenge.
fn check_verifier(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier given, but the authorization request had no code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            // Both are public-length base64url strings; a timing difference reveals nothing
            // an attacker holding the verifier does not know.
            if well_formed && computed == challenge {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_verifier(Some(challenge), Some(verifier)).is_ok());
        assert!(check_verifier(Some(challenge), Some(&verifier.replace('d', "e"))).is_err());
        assert!(check_verifier(Some(challenge), None).is_err());
        assert!(check_verifier(None, Some(verifier)).is_err());
        assert!(check_verifier(None, None).is_ok());
        assert!(check_verifier(Some(challenge), Some("short")).is_err());
    }
}
