//! OpenID Connect ID tokens (Core §2): always RS256 (the keyring keeps an RS256 key beside
//! `JWT_ALGORITHM`'s), `aud` the client.
//! Claims: `iss sub aud exp iat auth_time nonce amr acr azp sid at_hash`, with `email` and
//! `email_verified` for the `email` scope and `name`, `preferred_username` and `updated_at`
//! for `profile`.
//!
//! `acr` says how strongly the user proved who they are: `urn:janua:acr:mfa` when the
//! session passed a second step (or used a passkey), `urn:janua:acr:pwd` otherwise.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AuthorizationServer;
use crate::{
    error::Error,
    store::entities::{oauth_grant, user},
};

pub const ACR_MFA: &str = "urn:janua:acr:mfa";
pub const ACR_PASSWORD: &str = "urn:janua:acr:pwd";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    pub acr: String,
    pub azp: String,
    pub sid: String,
    pub at_hash: String,
    #[serde(flatten)]
    pub profile: UserClaims,
}

/// The user's claims a scope releases (shared with UserInfo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

impl UserClaims {
    /// What `scopes` release of `account`.
    pub fn of(account: &user::Model, scopes: &[String]) -> Self {
        let has = |scope: &str| scopes.iter().any(|s| s == scope);
        let mut claims = Self::default();
        if has("email") {
            claims.email = Some(account.email.clone());
            claims.email_verified = Some(account.email_verified);
        }
        if has("profile") {
            claims.name = Some(account.display_name.clone()).filter(|n| !n.is_empty());
            claims.preferred_username = Some(account.email.clone());
            claims.updated_at = Some(account.updated_at.timestamp());
        }
        claims
    }
}

/// The `acr` of a session that used `amr`.
pub fn acr(amr: &[String]) -> &'static str {
    // A second step adds its method to the first's; a passkey is two factors in one.
    if amr.len() >= 2 || amr.iter().any(|m| m == "hwk") {
        ACR_MFA
    } else {
        ACR_PASSWORD
    }
}

/// `at_hash` (Core §3.1.3.6): the left half of the access token's SHA-256 (the hash of
/// RS256, the ID tokens' algorithm), base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

impl AuthorizationServer {
    /// Signs the ID token of `grant` for `account`, beside `access_token`. `nonce` only
    /// with the code's exchange (Core §12.2: a refreshed ID token carries none).
    pub(super) async fn issue_id_token(
        &self,
        grant: &oauth_grant::Model,
        account: &user::Model,
        scopes: &[String],
        access_token: &str,
        nonce: Option<String>,
    ) -> Result<String, Error> {
        let now = self.clock.now().timestamp();
        let lifetime = i64::try_from(self.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let amr: Vec<String> = grant.amr.split_whitespace().map(str::to_owned).collect();
        let claims = IdTokenClaims {
            iss: self.keyring.issuer().to_owned(),
            sub: grant.user_id.clone(),
            aud: grant.client_id.clone(),
            exp: now.saturating_add(lifetime),
            iat: now,
            auth_time: grant.auth_time.timestamp(),
            nonce,
            acr: acr(&amr).to_owned(),
            amr,
            azp: grant.client_id.clone(),
            sid: grant.session_id.clone(),
            at_hash: at_hash(access_token),
            profile: UserClaims::of(account, scopes),
        };
        self.keyring.sign_id_token(&claims).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256_base64url() {
        // OIDC Core appendix A.3's example: access token and its at_hash (RS256).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn acr_is_mfa_only_for_two_kinds_of_factor_or_a_passkey() {
        let amr = |m: &[&str]| m.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(acr(&amr(&["pwd"])), ACR_PASSWORD);
        assert_eq!(acr(&amr(&["email"])), ACR_PASSWORD);
        assert_eq!(acr(&amr(&["pwd", "otp"])), ACR_MFA);
        assert_eq!(acr(&amr(&["hwk"])), ACR_MFA);
    }
}
