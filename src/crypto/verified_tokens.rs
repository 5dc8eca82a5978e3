//! Access tokens this node has verified already (Janua's own, and those it issued to OAuth
//! clients), so a token's signature is checked once per node instead of once per request
//! (an RS256 verification is most of the cost of an authenticated read or an
//! introspection). Keyed by the SHA-256 of the verification's kind and the whole token:
//! any change to header, claims or signature is another key, so nothing unverified can
//! match, and a token remembered as one kind never answers a verification of the other (a
//! client's `at+jwt` token is no credential for Janua's API, nor the reverse). A hit still
//! re-checks what can change after verification: the expiry (against the keyring's clock)
//! and that the signing key is still published (a retired key stops its tokens at once).
//! Revocation is not cached here; callers check it on every request.

use std::{any::Any, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use super::keyring::TokenKind;

/// Entries at most: a few MiB of claims at worst; the least useful go first.
const CAPACITY: u64 = 10_000;

/// What no token starts with (a JWT is base64url and dots), ahead of the token in its key:
/// one per kind of verification, so a token remembered as one kind never answers another.
fn domain(kind: TokenKind) -> &'static [u8] {
    match kind {
        TokenKind::Janua => b"janua\0",
        TokenKind::ClientAccessToken => b"at+jwt\0",
        TokenKind::IdTokenHint => b"id_token_hint\0",
    }
}

#[derive(Clone)]
pub(super) struct Entry {
    pub kid: Arc<str>,
    /// `exp` of the token, seconds since the epoch.
    pub exp: i64,
    claims: Arc<dyn Any + Send + Sync>,
}

pub(super) struct VerifiedTokens {
    cache: moka::sync::Cache<[u8; 32], Entry>,
}

impl VerifiedTokens {
    /// Entries leave after `lifetime` (the access-token lifetime) even when still in use;
    /// a token past its `exp` is refused by the caller's check before that.
    pub fn new(lifetime: Duration) -> Self {
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(lifetime.max(Duration::from_secs(1)))
                .build(),
        }
    }

    /// The key of `token` as verified for `kind`.
    pub fn key(kind: TokenKind, token: &str) -> [u8; 32] {
        let mut digest = Sha256::new();
        digest.update(domain(kind));
        digest.update(token.as_bytes());
        digest.finalize().into()
    }

    /// The claims verified for this token as `C`, with the entry's key id and expiry.
    pub fn get<C: Clone + 'static>(&self, key: &[u8; 32]) -> Option<(Entry, C)> {
        let entry = self.cache.get(key)?;
        let claims = entry.claims.downcast_ref::<C>()?.clone();
        Some((entry, claims))
    }

    pub fn insert<C: Send + Sync + 'static>(&self, key: [u8; 32], kid: &str, exp: i64, claims: C) {
        let entry = Entry {
            kid: kid.into(),
            exp,
            claims: Arc::new(claims),
        };
        self.cache.insert(key, entry);
    }

    pub fn forget(&self, key: &[u8; 32]) {
        self.cache.invalidate(key);
    }
}

/// Whether `exp` is past, with the same leeway as a full verification.
pub(super) fn expired(exp: i64, now: DateTime<Utc>, leeway: Duration) -> bool {
    let leeway = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
    exp < now.timestamp().saturating_sub(leeway)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use serde_json::{Value, json};

    use super::*;
    use crate::{
        clock::{Clock, ManualClock},
        crypto::{FieldCipher, FieldKey, Keyring, SigningAlgorithm},
        store,
    };

    const ISSUER: &str = "https://id.cache.example";
    const TTL: Duration = Duration::from_secs(900);

    async fn keyring(clock: Arc<ManualClock>) -> (Keyring, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("j.db").display());
        let db = store::connect(&url).await.unwrap();
        store::migrate(&db).await.unwrap();
        let key = FieldKey::parse(&"22".repeat(32)).unwrap();
        let keyring = Keyring::new(
            db,
            FieldCipher::new(&key),
            SigningAlgorithm::Rs256,
            ISSUER.into(),
            TTL,
            clock,
        );
        keyring.ensure_signing_key().await.unwrap();
        (keyring, dir)
    }

    fn claims(now: i64) -> Value {
        json!({"iss": ISSUER, "aud": ISSUER, "sub": "u1", "exp": now + 900, "iat": now,
               "jti": "j1", "sid": "s1"})
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_until_it_expires_and_a_changed_one_never_matches() {
        let clock = Arc::new(ManualClock::new());
        let (keyring, _dir) = keyring(clock.clone()).await;
        let token = keyring
            .sign(&claims(clock.now().timestamp()))
            .await
            .unwrap();

        let first: Value = keyring.verify(&token).await.unwrap();
        let again: Value = keyring.verify(&token).await.unwrap();
        assert_eq!(first, again);
        let key = VerifiedTokens::key(TokenKind::Janua, &token);
        assert!(keyring.verified.get::<Value>(&key).is_some());
        let as_client = VerifiedTokens::key(TokenKind::ClientAccessToken, &token);
        assert!(keyring.verified.get::<Value>(&as_client).is_none());
        assert!(
            keyring
                .verify_client_access_token::<Value>(&token)
                .await
                .is_err()
        );

        // Another signature on the same header and claims is another key: verified in full.
        let (unsigned, _) = token.rsplit_once('.').unwrap();
        let forged = format!("{unsigned}.{}", "A".repeat(342));
        assert!(keyring.verify::<Value>(&forged).await.is_err());

        clock.advance(TTL + Duration::from_secs(61));
        let err = keyring.verify::<Value>(&token).await.unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
        assert!(keyring.verified.get::<Value>(&key).is_none());
    }

    #[tokio::test]
    async fn a_client_access_token_is_remembered_as_its_own_kind_and_checked_for_expiry_on_a_hit() {
        let clock = Arc::new(ManualClock::new());
        let (keyring, _dir) = keyring(clock.clone()).await;
        let mut claims = claims(clock.now().timestamp());
        claims["aud"] = json!("https://api.example");
        let token = keyring.sign_client_access_token(&claims).await.unwrap();

        let first: Value = keyring.verify_client_access_token(&token).await.unwrap();
        let again: Value = keyring.verify_client_access_token(&token).await.unwrap();
        assert_eq!(first, again);
        let key = VerifiedTokens::key(TokenKind::ClientAccessToken, &token);
        assert!(keyring.verified.get::<Value>(&key).is_some());
        // Remembered as a client's token, it is still no credential for Janua's API.
        assert!(keyring.verify::<Value>(&token).await.is_err());
        let as_janua = VerifiedTokens::key(TokenKind::Janua, &token);
        assert!(keyring.verified.get::<Value>(&as_janua).is_none());

        clock.advance(TTL + Duration::from_secs(61));
        let err = keyring
            .verify_client_access_token::<Value>(&token)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
        assert!(keyring.verified.get::<Value>(&key).is_none());
    }
}
