//! The provider's signing keys (its JWKS), cached for an hour. A token signed with a key we do
//! not know yet (the provider rotated) triggers one refetch, at most once a minute per JWKS,
//! so forged `kid`s cannot make Janua hammer the provider.

use std::time::Duration;

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse},
};
use url::Url;

use super::{Oidc, http};
use crate::error::{Error, SsoFailure};

/// How long a fetched key set is reused.
const JWKS_TTL: Duration = Duration::from_secs(3600);
/// At most one refetch per key set within this window.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

impl Oidc {
    /// The key that verifies a token with header `kid` and `alg`, from the provider's JWKS.
    ///
    /// # Errors
    /// `SSO_AUTHENTICATION_ERROR` when no published key fits; `SSO_METADATA_ERROR` when the
    /// key set cannot be fetched.
    pub async fn verification_key(
        &self,
        jwks_uri: &Url,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, Error> {
        let key = format!("sso:oidc:jwks:{jwks_uri}");
        let keys = match self.cached::<JwkSet>(&key).await {
            Some(keys) => keys,
            None => self.fetch_jwks(jwks_uri, &key).await?,
        };
        if let Some(found) = select(&keys, kid, alg) {
            return decoding_key(found);
        }
        let refetch_guard = format!("sso:oidc:jwks-refetch:{jwks_uri}");
        let may_refetch = self
            .cache
            .set_if_absent(&refetch_guard, b"1", REFETCH_INTERVAL)
            .await
            .unwrap_or(false);
        if may_refetch {
            let keys = self.fetch_jwks(jwks_uri, &key).await?;
            if let Some(found) = select(&keys, kid, alg) {
                return decoding_key(found);
            }
        }
        Err(Error::sso(
            SsoFailure::Authentication,
            "the ID token is signed with a key the identity provider does not publish",
        ))
    }

    async fn fetch_jwks(&self, jwks_uri: &Url, cache_key: &str) -> Result<JwkSet, Error> {
        let what = "OIDC JWKS";
        let answer =
            http::send(self.http.get(jwks_uri.clone()), what, SsoFailure::Metadata).await?;
        let raw: RawKeySet = answer.success(what, SsoFailure::Metadata)?;
        let keys = usable_keys(raw);
        self.remember(cache_key, &keys, JWKS_TTL).await;
        Ok(keys)
    }
}

#[derive(serde::Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// The keys Janua can use: RSA and EC signing keys. Others (encryption keys, symmetric or
/// unknown types) are skipped rather than failing the whole set, as providers publish them
/// side by side.
fn usable_keys(raw: RawKeySet) -> JwkSet {
    let keys = raw
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter(|jwk| {
            matches!(
                jwk.algorithm,
                AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_)
            )
        })
        .collect();
    JwkSet { keys }
}

/// The key for a token: by `kid` when the token names one, else the only key of the right
/// type. The key must fit `alg`, and its own `alg`, when published, must be `alg`.
fn select<'a>(keys: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let fits = |jwk: &&Jwk| {
        let type_fits = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => alg == Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) => {
                alg == Algorithm::ES256 && ec.curve == EllipticCurve::P256
            }
            _ => false,
        };
        let alg_fits = jwk
            .common
            .key_algorithm
            .is_none_or(|published| published == KeyAlgorithm::from(alg));
        type_fits && alg_fits
    };
    match kid {
        Some(kid) => keys.find(kid).filter(fits),
        None => {
            let mut candidates = keys.keys.iter().filter(fits);
            let only = candidates.next()?;
            candidates.next().is_none().then_some(only)
        }
    }
}

fn decoding_key(jwk: &Jwk) -> Result<DecodingKey, Error> {
    DecodingKey::from_jwk(jwk).map_err(|_| {
        Error::sso(
            SsoFailure::Metadata,
            "the identity provider publishes a malformed signing key",
        )
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn set(keys: serde_json::Value) -> JwkSet {
        usable_keys(serde_json::from_value(serde_json::json!({ "keys": keys })).unwrap())
    }

    const N: &str = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";

    #[test]
    fn keys_are_chosen_by_kid_type_and_published_algorithm() {
        let keys = set(serde_json::json!([
            {"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": N, "e": "AQAB"},
            {"kty": "weird", "kid": "skipped"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        ]));
        assert_eq!(
            keys.keys.len(),
            2,
            "encryption, unknown and symmetric keys are skipped"
        );
        assert!(select(&keys, Some("rsa"), Algorithm::RS256).is_some());
        assert!(select(&keys, Some("rsa"), Algorithm::ES256).is_none());
        assert!(select(&keys, Some("ps"), Algorithm::RS256).is_none());
        assert!(select(&keys, Some("missing"), Algorithm::RS256).is_none());
        let only = select(&keys, None, Algorithm::RS256).unwrap();
        assert_eq!(
            only.common.key_id.as_deref(),
            Some("rsa"),
            "the PS256 key does not fit"
        );
        let two = set(serde_json::json!([
            {"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": N, "e": "AQAB"},
        ]));
        assert!(
            select(&two, None, Algorithm::RS256).is_none(),
            "two RSA keys: ambiguous"
        );
        assert!(decoding_key(select(&keys, Some("rsa"), Algorithm::RS256).unwrap()).is_ok());
    }
}
