//! Token material: opaque 256-bit random tokens (refresh and one-time tokens) that are only
//! ever stored as their SHA-256, and the claims of access tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::AccessClaims;

/// A fresh opaque token: 32 random bytes, base64url. Shown once; store `digest(token)`.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of an opaque token: SHA-256, hex. (Runs on every refresh and every
/// API-key call, so it writes into one buffer instead of a string per byte.)
pub fn digest(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(hash.len() * 2);
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// What an access token says about its session.
pub struct AccessGrant<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub email: &'a str,
    pub organization_id: Option<&'a str>,
    pub organization_role: Option<&'a str>,
    pub permissions: Vec<String>,
    pub amr: Vec<String>,
}

/// The claims of an access token issued now for `grant`.
pub fn access_claims(
    issuer: &str,
    grant: AccessGrant<'_>,
    now: DateTime<Utc>,
    ttl: std::time::Duration,
) -> AccessClaims {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    AccessClaims {
        iss: issuer.to_owned(),
        sub: grant.user_id.to_owned(),
        aud: issuer.to_owned(),
        exp: now.timestamp().saturating_add(ttl),
        iat: now.timestamp(),
        jti: uuid::Uuid::now_v7().to_string(),
        sid: grant.session_id.to_owned(),
        email: Some(grant.email.to_owned()),
        org_id: grant.organization_id.map(str::to_owned),
        org_role: grant.organization_role.map(str::to_owned),
        amr: grant.amr,
        permissions: grant.permissions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_are_256_bit_and_distinct() {
        let a = new_opaque_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|b| b.len()).ok(), Some(32));
        assert_ne!(a, new_opaque_token());
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
