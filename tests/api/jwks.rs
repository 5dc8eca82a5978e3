//! Tokens the server signs verify against its published JWKS, before and after a key
//! rotation done by the `janua keys rotate` command on the same database.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde_json::Value;

use super::helpers::TestApp;

async fn published_keys(app: &TestApp) -> JwkSet {
    app.http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies `token` using only what the JWKS publishes.
fn verify_with_jwks(jwks: &JwkSet, token: &str, issuer: &str) -> Value {
    let kid = decode_header(token).unwrap().kid.unwrap();
    let jwk = jwks
        .find(&kid)
        .unwrap_or_else(|| panic!("{kid} is not published"));
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(decode_header(token).unwrap().alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[issuer]);
    decode::<Value>(token, &key, &validation).unwrap().claims
}

/// Longer than the keyring trusts its snapshot of the key table (5 s), so the next use reads
/// the table again.
const KEY_RELOAD_AGE: Duration = Duration::from_secs(6);

async fn rotation_keeps_old_tokens_valid(algorithm: &str) {
    let app = TestApp::spawn_with(&[("JWT_ALGORITHM", algorithm)]).await;
    let issuer = app.app.keyring.issuer().to_owned();
    let before = app.access_token().await;
    let old_kid = decode_header(&before).unwrap().kid.unwrap();
    let claims = verify_with_jwks(&published_keys(&app).await, &before, &issuer);
    assert_eq!(claims["amr"][0], "pwd");

    let rotated = app.janua(&["keys", "rotate"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let new_kid = String::from_utf8(rotated.stdout).unwrap().trim().to_owned();
    assert_ne!(new_kid, old_kid);

    app.clock.advance(KEY_RELOAD_AGE);
    let jwks = published_keys(&app).await;
    assert!(
        jwks.find(&old_kid).is_some() && jwks.find(&new_kid).is_some(),
        "rotation not published: {jwks:?}"
    );
    let after = app.access_token().await;
    assert_eq!(
        decode_header(&after).unwrap().kid.as_deref(),
        Some(new_kid.as_str()),
        "the server did not sign with the rotated key"
    );
    verify_with_jwks(&jwks, &before, &issuer);
    verify_with_jwks(&jwks, &after, &issuer);

    let listing = String::from_utf8(app.janua(&["keys", "list"]).stdout).unwrap();
    assert!(
        listing.contains(&format!("{new_kid}  ")) && listing.contains("active"),
        "{listing}"
    );
    assert!(listing.contains("published until"), "{listing}");
}

#[tokio::test]
async fn rs256_tokens_verify_before_and_after_rotation() {
    rotation_keeps_old_tokens_valid("RS256").await;
}

#[tokio::test]
async fn es256_and_eddsa_keys_are_selectable() {
    for algorithm in ["ES256", "EdDSA"] {
        let app = TestApp::spawn_with(&[("JWT_ALGORITHM", algorithm)]).await;
        let token = app.access_token().await;
        assert_eq!(
            format!("{:?}", decode_header(&token).unwrap().alg).to_uppercase(),
            algorithm.to_uppercase()
        );
        let keys = published_keys(&app).await;
        verify_with_jwks(&keys, &token, app.app.keyring.issuer());
        // ID tokens are always RS256: an RSA key is published beside the configured one.
        let types: Vec<String> = keys
            .keys
            .iter()
            .map(|k| format!("{:?}", k.algorithm))
            .collect();
        assert_eq!(keys.keys.len(), 2, "{types:?}");
        assert!(types.iter().any(|t| t.starts_with("RSA")), "{types:?}");
    }
}

#[tokio::test]
async fn openid_configuration_points_at_the_jwks() {
    let app = TestApp::spawn().await;
    let document: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["issuer"], app.url(""));
    assert_eq!(document["jwks_uri"], app.url("/.well-known/jwks.json"));
    assert_eq!(
        document["id_token_signing_alg_values_supported"][0],
        "RS256"
    );
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn().await;
    let foreign = other.access_token().await;
    let genuine = app.access_token().await;
    let mut tampered = genuine.clone();
    tampered.insert_str(genuine.rfind('.').unwrap() + 1, "AAAA");
    for token in [foreign.as_str(), tampered.as_str(), "not.a.jwt", "x"] {
        let status = super::helpers::call_raw(
            app.channel().await,
            "/janua.auth.v1.AuthService/GetCurrentUser",
            Some(token),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{token}");
    }
}
