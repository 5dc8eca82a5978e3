//! ID token validation (OpenID Connect Core §3.1.3.7): the signature with a key from the
//! provider's JWKS, RS256 or ES256 only (never `none`, never HMAC: a shared-secret algorithm
//! would let anyone holding the client secret mint tokens), then `iss`, `aud`/`azp`,
//! `exp`/`iat`/`nbf` with two minutes of clock skew, and the `nonce` of this sign-in.
//!
//! Every failure is `SSO_AUTHENTICATION_ERROR`; the message says which check failed but never
//! repeats the token.

use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::{Oidc, discovery::IssuerPolicy, discovery::ProviderMetadata};
use crate::error::{Error, SsoFailure};

/// Clock skew tolerated between Janua and the provider, in seconds.
const SKEW_SECONDS: i64 = 120;
/// The signature algorithms accepted for ID tokens.
const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// What this sign-in expects of its ID token.
pub struct Expected<'a> {
    pub provider: &'a ProviderMetadata,
    pub policy: IssuerPolicy,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

fn refused(problem: &str) -> Error {
    Error::sso(
        SsoFailure::Authentication,
        format!("the ID token was refused: {problem}"),
    )
}

impl Oidc {
    /// The claims of `token` once its signature and claims pass every check.
    ///
    /// # Errors
    /// `SSO_AUTHENTICATION_ERROR` for any failed check; `SSO_METADATA_ERROR` when the JWKS
    /// cannot be fetched.
    pub async fn verify_id_token(
        &self,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<Map<String, Value>, Error> {
        // An unknown `alg` such as "none" fails to parse here.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| refused("malformed header or unsupported algorithm"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(refused("only RS256 and ES256 signatures are accepted"));
        }
        let key = self
            .verification_key(
                &expected.provider.jwks_uri,
                header.kid.as_deref(),
                header.alg,
            )
            .await?;
        let claims =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &signature_only(header.alg))
                .map_err(|_| refused("bad signature"))?
                .claims;
        check_claims(&claims, expected)?;
        Ok(claims)
    }
}

/// jsonwebtoken checks the signature only; [`check_claims`] does the rest against the
/// injected clock, with the OIDC rules for `aud` and `azp`.
fn signature_only(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), Error> {
    let issuer = expected.provider.expected_issuer(expected.policy, claims);
    let iss = claims.get("iss").and_then(Value::as_str);
    if issuer.is_none() || iss != issuer.as_deref() {
        return Err(refused("wrong issuer"));
    }
    check_audience(claims, expected.client_id)?;
    check_times(claims, expected.now)?;
    if claims.get("nonce").and_then(Value::as_str) != Some(expected.nonce) {
        return Err(refused("wrong nonce"));
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if subject.is_empty() || subject.len() > 255 {
        return Err(refused("missing or overlong subject"));
    }
    Ok(())
}

/// `aud` must contain our client id; with several audiences `azp` must be us too, and a
/// present `azp` must always be us.
fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), Error> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&client_id) {
        return Err(refused("wrong audience"));
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    if azp.is_some_and(|azp| azp != client_id) || (audiences.len() > 1 && azp.is_none()) {
        return Err(refused("wrong authorized party"));
    }
    Ok(())
}

fn check_times(claims: &Map<String, Value>, now: i64) -> Result<(), Error> {
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    let (Some(exp), Some(iat)) = (time("exp"), time("iat")) else {
        return Err(refused("missing exp or iat"));
    };
    if now > exp + SKEW_SECONDS {
        return Err(refused("expired"));
    }
    let not_before = time("nbf").map_or(iat, |nbf| nbf.max(iat));
    if not_before > now + SKEW_SECONDS {
        return Err(refused("issued in the future"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn provider() -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example",
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "jwks_uri": "https://idp.example/jwks",
        }))
        .unwrap()
    }

    fn good_claims() -> Map<String, Value> {
        serde_json::json!({
            "iss": "https://idp.example", "sub": "u1", "aud": "janua", "nonce": "n1",
            "iat": NOW - 10, "exp": NOW + 300,
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn check(changes: Value) -> Result<(), Error> {
        let provider = provider();
        let mut claims = good_claims();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
        let expected = Expected {
            provider: &provider,
            policy: IssuerPolicy::Exact,
            client_id: "janua",
            nonce: "n1",
            now: NOW,
        };
        check_claims(&claims, &expected)
    }

    #[test]
    fn a_token_meeting_every_rule_passes() {
        check(serde_json::json!({})).unwrap();
        check(serde_json::json!({"aud": ["janua", "other"], "azp": "janua"})).unwrap();
        check(serde_json::json!({"exp": NOW - 100, "iat": NOW + 100})).unwrap();
    }

    #[test]
    fn each_broken_rule_is_refused() {
        for (changes, problem) in [
            (
                serde_json::json!({"iss": "https://evil.example"}),
                "wrong issuer",
            ),
            (serde_json::json!({"iss": null}), "wrong issuer"),
            (serde_json::json!({"aud": "other"}), "wrong audience"),
            (serde_json::json!({"aud": ["other"]}), "wrong audience"),
            (
                serde_json::json!({"aud": ["janua", "other"]}),
                "wrong authorized party",
            ),
            (
                serde_json::json!({"azp": "other"}),
                "wrong authorized party",
            ),
            (serde_json::json!({"exp": NOW - 121}), "expired"),
            (serde_json::json!({"exp": null}), "missing exp or iat"),
            (
                serde_json::json!({"iat": NOW + 121}),
                "issued in the future",
            ),
            (
                serde_json::json!({"nbf": NOW + 121}),
                "issued in the future",
            ),
            (serde_json::json!({"nonce": "n2"}), "wrong nonce"),
            (serde_json::json!({"nonce": null}), "wrong nonce"),
            (
                serde_json::json!({"sub": ""}),
                "missing or overlong subject",
            ),
        ] {
            let err = check(changes.clone()).unwrap_err();
            assert_eq!(err.reason(), "SSO_AUTHENTICATION_ERROR");
            assert!(err.to_string().ends_with(problem), "{changes}: {err}");
        }
    }
}
