//! The OIDC relying party and social sign-in (`janua::sso::oidc`) against a real OpenID
//! Provider the test starts (`tests/peers/oidc_provider.py`): discovery, JWKS, the browser's
//! walk through authorize and login, the code exchange, ID token validation, userinfo. Its
//! misbehaving modes hand Janua ID tokens that are wrong in one way each; none may pass.

pub mod provider;

use std::sync::Arc;

use janua::{
    cache::InProcessCache,
    clock::SystemClock,
    config::Config,
    sso::oidc::{Callback, IssuerPolicy, Oidc, OidcClient, Social, SocialProvider},
};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use url::Url;

use self::provider::{CLIENT_ID, CLIENT_SECRET, Provider, REDIRECT_URI, authorize};

fn oidc() -> Arc<Oidc> {
    let cache = Arc::new(InProcessCache::new("test:"));
    Arc::new(Oidc::new(cache, Arc::new(SystemClock)).unwrap())
}

fn client(issuer: &str) -> OidcClient {
    OidcClient {
        issuer: issuer.to_owned(),
        policy: IssuerPolicy::Exact,
        client_id: CLIENT_ID.to_owned(),
        client_secret: SecretString::from(CLIENT_SECRET),
        scopes: vec![],
        redirect_uri: Url::parse(REDIRECT_URI).unwrap(),
    }
}

fn person(sub: &str) -> Value {
    json!({
        "sub": sub, "email": "grace@acme.test", "email_verified": true,
        "given_name": "Grace", "family_name": "Hopper", "name": "Grace Hopper",
    })
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// A whole OIDC sign-in with `client`: start, the provider signs in `claims`, finish.
async fn sign_in(
    oidc: &Oidc,
    client: &OidcClient,
    claims: &Value,
) -> Result<Map<String, Value>, janua::error::Error> {
    let started = oidc.start(client, "state-1").await?;
    assert_eq!(query(&started.url, "state").as_deref(), Some("state-1"));
    assert_eq!(
        query(&started.url, "scope").as_deref(),
        Some("openid email profile")
    );
    let (code, state) = authorize(&started.url, claims).await;
    assert_eq!(state, "state-1");
    oidc.finish(
        client,
        &Callback {
            code: &code,
            nonce: started.nonce.as_deref(),
            code_verifier: &started.code_verifier,
        },
    )
    .await
}

#[tokio::test]
async fn an_oidc_sign_in_yields_the_providers_verified_claims() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let claims = sign_in(&oidc(), &client(&provider.base), &person("idp-grace"))
        .await
        .unwrap();
    assert_eq!(claims["sub"], "idp-grace");
    assert_eq!(claims["email"], "grace@acme.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["iss"], provider.base.as_str());
}

#[tokio::test]
async fn userinfo_fills_what_the_id_token_lacks_with_post_client_authentication() {
    let args = ["--misbehave", "userinfo-only", "--auth", "post"];
    let Some(provider) = Provider::start(&args).await else {
        return;
    };
    let claims = sign_in(&oidc(), &client(&provider.base), &person("idp-linus"))
        .await
        .unwrap();
    assert_eq!(claims["email"], "grace@acme.test");
    assert_eq!(claims["name"], "Grace Hopper");
}

#[tokio::test]
async fn tampered_id_tokens_are_refused() {
    for mode in [
        "bad-nonce",
        "wrong-key",
        "wrong-audience",
        "expired",
        "alg-none",
        "hs256",
    ] {
        let Some(provider) = Provider::start(&["--misbehave", mode]).await else {
            return;
        };
        let err = sign_in(&oidc(), &client(&provider.base), &person("mallory"))
            .await
            .unwrap_err();
        assert_eq!(err.reason(), "SSO_AUTHENTICATION_ERROR", "{mode}: {err}");
    }
}

#[tokio::test]
async fn a_wrong_code_verifier_or_a_reused_code_is_refused() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let oidc = oidc();
    let client = client(&provider.base);
    let started = oidc.start(&client, "s").await.unwrap();
    let (code, _) = authorize(&started.url, &person("u1")).await;
    let mut callback = Callback {
        code: &code,
        nonce: started.nonce.as_deref(),
        code_verifier: "not-the-verifier-of-this-sign-in-0123456789",
    };
    let err = oidc.finish(&client, &callback).await.unwrap_err();
    assert_eq!(err.reason(), "SSO_AUTHENTICATION_ERROR");
    // The provider spent the code on the failed attempt; the right verifier is too late.
    callback.code_verifier = &started.code_verifier;
    let err = oidc.finish(&client, &callback).await.unwrap_err();
    assert_eq!(err.reason(), "SSO_AUTHENTICATION_ERROR");
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_refused() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let err = oidc()
        .start(&client(&format!("{}/tenant-b", provider.base)), "s")
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "SSO_METADATA_ERROR", "{err}");
    let err = oidc()
        .start(&client("http://127.0.0.1:9"), "s")
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "SSO_METADATA_ERROR", "unreachable: {err}");
}

fn social(vars: &[(&str, &str)]) -> Social {
    let config =
        Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    Social::new(oidc(), config.social, config.issuer)
}

async fn social_sign_in(
    social: &Social,
    provider: SocialProvider,
    claims: &Value,
) -> Result<Map<String, Value>, janua::error::Error> {
    let started = social.start(provider, "state-1").await?;
    let redirect = query(&started.url, "redirect_uri").unwrap();
    assert_eq!(
        redirect,
        format!("http://localhost:4100/api/v1/sso/social/{provider}/callback")
    );
    let (code, _) = authorize(&started.url, claims).await;
    social
        .finish(
            provider,
            &Callback {
                code: &code,
                nonce: started.nonce.as_deref(),
                code_verifier: &started.code_verifier,
            },
        )
        .await
}

#[tokio::test]
async fn github_gives_only_a_primary_verified_email() {
    let Some(github) = Provider::start(&[]).await else {
        return;
    };
    let oauth = format!("{}/login/oauth", github.base);
    let social = social(&[
        ("GITHUB_CLIENT_ID", CLIENT_ID),
        ("GITHUB_CLIENT_SECRET", CLIENT_SECRET),
        ("GITHUB_OAUTH_URL", &oauth),
        ("GITHUB_API_URL", &github.base),
    ]);
    let user = |verified: bool| {
        json!({"id": 7, "login": "octo", "name": "Octo Cat", "emails": [
            {"email": "octo@acme.test", "primary": true, "verified": verified},
            {"email": "other@acme.test", "primary": false, "verified": true},
        ]})
    };
    let claims = social_sign_in(&social, SocialProvider::Github, &user(true))
        .await
        .unwrap();
    assert_eq!(claims["sub"], "7");
    assert_eq!(claims["email"], "octo@acme.test");
    assert_eq!(claims["email_verified"], true);
    let claims = social_sign_in(&social, SocialProvider::Github, &user(false))
        .await
        .unwrap();
    assert_eq!(claims["sub"], "7");
    assert!(!claims.contains_key("email"), "{claims:?}");
    assert!(!claims.contains_key("email_verified"));
}

#[tokio::test]
async fn microsoft_multi_tenant_tokens_are_checked_against_their_own_tenant() {
    let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let Some(microsoft) = Provider::start(&["--tenant", tenant]).await else {
        return;
    };
    let issuer = format!("{}/common/v2.0", microsoft.base);
    let social = social(&[
        ("MICROSOFT_CLIENT_ID", CLIENT_ID),
        ("MICROSOFT_CLIENT_SECRET", CLIENT_SECRET),
        ("MICROSOFT_ISSUER", &issuer),
    ]);
    let claims = social_sign_in(&social, SocialProvider::Microsoft, &person("ms-1"))
        .await
        .unwrap();
    assert_eq!(claims["tid"], tenant);
    assert_eq!(claims["iss"], format!("{}/{tenant}/v2.0", microsoft.base));
    // The same provider as an organization's connection (exact issuer) is refused.
    let err = oidc().start(&client(&issuer), "s").await.unwrap_err();
    assert_eq!(err.reason(), "SSO_METADATA_ERROR");
}

#[tokio::test]
async fn unconfigured_social_providers_are_refused() {
    let err = social(&[])
        .start(SocialProvider::Google, "s")
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "SSO_CONFIGURATION_ERROR");
}
