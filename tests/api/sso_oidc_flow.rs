//! OIDC connections and social sign-in through the real port, against a real OpenID
//! Provider the test starts (`tests/peers/oidc_provider.py`): discovery, JWKS, the browser's
//! walk through authorize and login, Janua's callback, the code exchange. Its misbehaving
//! modes hand Janua ID tokens that are wrong in one way each; none may yield a code.

pub mod provider;

use serde_json::{Value, json};

use self::provider::{
    APP_REDIRECT, CLIENT_ID, CLIENT_SECRET, Provider, authorize, exchange, follow, sign_in, start,
};
use crate::{
    auth::{PASSWORD, login, register, rest},
    fixtures::User,
    helpers::{TestApp, jwt_claims},
};

async fn sso_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("SSO_ALLOWED_REDIRECT_URIS", APP_REDIRECT)];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

/// An organization owned by a new user, with an OIDC connection to `provider` for `domain`.
async fn oidc_connection(
    app: &TestApp,
    provider: &Provider,
    domain: &str,
) -> (User, String, String) {
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let (status, body) = rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&owner.token),
        json!({
            "name": "Acme IdP",
            "protocol": "SSO_PROTOCOL_OIDC",
            "domains": [domain],
            "jit_provisioning": true,
            "enabled": true,
            "default_role": "viewer",
            "oidc": {"issuer": provider.base, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    crate::domains::mark_domain_verified(app, &org, domain).await;
    let connection = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["acs_url"],
        app.url(&format!("/api/v1/sso/oidc/{connection}/callback"))
    );
    (owner, org, connection)
}

fn unique_domain() -> String {
    format!("d{}.example.test", uuid::Uuid::now_v7().simple())
}

fn person(sub: &str, email: &str) -> Value {
    json!({
        "sub": sub, "email": email, "email_verified": true,
        "given_name": "Grace", "family_name": "Hopper", "name": "Grace Hopper",
    })
}

async fn members(app: &TestApp, owner: &User, org: &str) -> Vec<Value> {
    let path = format!("/api/v1/organizations/{org}/members");
    let (status, body) = rest(app, "GET", &path, Some(&owner.token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body["members"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_oidc_sign_in_creates_the_member_just_in_time_and_then_recognises_them() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let app = sso_app(&[]).await;
    let domain = unique_domain();
    let (owner, org, connection) = oidc_connection(&app, &provider, &domain).await;
    let email = format!("grace@{domain}");

    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        person("idp-grace", &email),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], email);
    assert_eq!(body["user"]["email_verified"], true);
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();
    let claims = jwt_claims(body["tokens"]["access_token"].as_str().unwrap());
    assert!(
        claims["amr"].as_array().unwrap().contains(&json!("sso")),
        "{claims}"
    );
    let (status, me) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        body["tokens"]["access_token"].as_str(),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{me}");
    let member = members(&app, &owner, &org)
        .await
        .into_iter()
        .find(|m| m["user_id"] == user_id.as_str())
        .expect("the new user is a member");
    assert_eq!(member["role"], "viewer");

    // Again, found by email domain this time: the same account, through the linked identity
    // (the IdP now reports another address).
    let again = sign_in(
        &app,
        json!({"email": email}),
        person("idp-grace", &format!("g.hopper@{domain}")),
    )
    .await;
    let (status, body) = exchange(&app, &again.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], user_id.as_str());

    // The code is single use.
    let (status, body) = exchange(&app, &again.code()).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn tampered_id_tokens_are_refused_without_a_code() {
    let app = sso_app(&[]).await;
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
        let domain = unique_domain();
        let (owner, org, connection) = oidc_connection(&app, &provider, &domain).await;
        let outcome = sign_in(
            &app,
            json!({"connection_id": connection}),
            person(&format!("idp-{mode}"), &format!("mallory@{domain}")),
        )
        .await;
        assert_eq!(outcome.error(), "SSO_AUTHENTICATION_ERROR", "{mode}");
        assert_eq!(
            members(&app, &owner, &org).await.len(),
            1,
            "{mode}: nobody was provisioned"
        );
        let (status, _) = login(&app, &format!("mallory@{domain}"), PASSWORD).await;
        assert_eq!(status, 401, "{mode}");
    }
}

#[tokio::test]
async fn a_state_works_once_and_only_for_its_own_connection() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let app = sso_app(&[]).await;
    let domain = unique_domain();
    let (_, _, connection) = oidc_connection(&app, &provider, &domain).await;
    let (_, _, other) = oidc_connection(&app, &provider, &unique_domain()).await;
    let email = format!("ada@{domain}");

    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        person("idp-ada", &email),
    )
    .await;
    outcome.code();
    // The same callback again: its state was taken.
    let replay = follow(&outcome.callback).await;
    assert_ne!(replay.status, 303, "{replay:?}");
    assert_eq!(
        replay.body["error"]["code"], "SSO_AUTHENTICATION_ERROR",
        "{replay:?}"
    );

    // A state that was never issued.
    let invented = outcome.callback.replace("state=", "state=x");
    let answer = follow(&invented).await;
    assert_eq!(
        answer.body["error"]["code"], "SSO_AUTHENTICATION_ERROR",
        "{answer:?}"
    );

    // A state issued for one connection, brought to another's callback.
    let url = start(&app, json!({"connection_id": connection})).await;
    let callback = authorize(&app, &url, person("idp-ada", &email)).await;
    let crossed = callback.replace(&connection, &other);
    let answer = follow(&crossed).await;
    assert_eq!(answer.error(), "SSO_AUTHENTICATION_ERROR");
    // Taken by the failed attempt: the right connection cannot use it either.
    assert!(follow(&callback).await.location.is_none());
}

#[tokio::test]
async fn userinfo_fills_what_the_id_token_lacks_and_post_authentication_works() {
    let Some(provider) = Provider::start(&["--misbehave", "userinfo-only", "--auth", "post"]).await
    else {
        return;
    };
    let app = sso_app(&[]).await;
    let domain = unique_domain();
    let (_, _, connection) = oidc_connection(&app, &provider, &domain).await;
    let email = format!("linus@{domain}");
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        person("idp-linus", &email),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], email);
    assert_eq!(body["user"]["display_name"], "Grace Hopper");
}

#[tokio::test]
async fn issuers_must_be_https_or_loopback() {
    let app = sso_app(&[]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    for issuer in [
        "http://idp.example.com",
        "not a url",
        "https://idp.example.com/?x=1",
    ] {
        let (status, body) = rest(
            &app,
            "POST",
            &format!("/api/v1/organizations/{org}/sso/connections"),
            Some(&owner.token),
            json!({
                "name": "Bad", "protocol": "SSO_PROTOCOL_OIDC", "enabled": true,
                "oidc": {"issuer": issuer, "client_id": "c", "client_secret": "s"},
            }),
        )
        .await;
        assert_eq!(
            body["error"]["code"], "SSO_CONFIGURATION_ERROR",
            "{issuer}: {body}"
        );
        assert_ne!(status, 200);
    }
    let path = format!("/api/v1/organizations/{org}/sso/connections");
    let (_, list) = rest(&app, "GET", &path, Some(&owner.token), Value::Null).await;
    assert_eq!(list["connections"], json!([]), "nothing was created");
}

fn github_user(id: u64, emails: Value) -> Value {
    json!({"id": id, "login": format!("user{id}"), "name": "Octo Cat", "emails": emails})
}

fn github_email(address: &str, verified: bool) -> Value {
    json!({"email": address, "primary": true, "verified": verified})
}

#[tokio::test]
async fn github_links_an_existing_account_only_through_a_verified_primary_email() {
    let Some(github) = Provider::start(&[]).await else {
        return;
    };
    let oauth = format!("{}/login/oauth", github.base);
    let app = sso_app(&[
        ("GITHUB_CLIENT_ID", CLIENT_ID),
        ("GITHUB_CLIENT_SECRET", CLIENT_SECRET),
        ("GITHUB_OAUTH_URL", &oauth),
        ("GITHUB_API_URL", &github.base),
    ])
    .await;
    let email = crate::auth::unique_email("octo");
    let existing = register(&app, &email).await;
    let existing_id = existing["user"]["id"].as_str().unwrap();
    let target = json!({"provider": "github"});

    // Someone whose GitHub account lists that address unverified gets nothing.
    let outcome = sign_in(
        &app,
        target.clone(),
        github_user(666, json!([github_email(&email, false)])),
    )
    .await;
    assert!(outcome.error().starts_with("SSO_"), "{outcome:?}");

    // Verified on GitHub but not yet at Janua: a pre-registered account could be someone
    // else's squat, so it is not linked.
    let outcome = sign_in(
        &app,
        target.clone(),
        github_user(7, json!([github_email(&email, true)])),
    )
    .await;
    assert_eq!(outcome.error(), "SSO_PROVISIONING_ERROR", "{outcome:?}");
    janua::store::accounts::mark_email_proven(&app.app.db, existing_id, chrono::Utc::now())
        .await
        .unwrap();

    // The owner, with it verified on GitHub and at Janua, is linked to their account.
    let outcome = sign_in(
        &app,
        target.clone(),
        github_user(7, json!([github_email(&email, true)])),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], existing_id);

    // From then on the GitHub id finds the account, whatever address GitHub reports.
    let moved = crate::auth::unique_email("moved");
    let outcome = sign_in(
        &app,
        target.clone(),
        github_user(7, json!([github_email(&moved, true)])),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], existing_id);

    // The unverified claimant still cannot get in.
    let outcome = sign_in(
        &app,
        target,
        github_user(666, json!([github_email(&email, false)])),
    )
    .await;
    assert!(outcome.error().starts_with("SSO_"), "{outcome:?}");
}

#[tokio::test]
async fn microsoft_multi_tenant_tokens_are_checked_against_their_own_tenant() {
    let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let Some(microsoft) = Provider::start(&["--tenant", tenant]).await else {
        return;
    };
    let issuer = format!("{}/common/v2.0", microsoft.base);
    let app = sso_app(&[
        ("MICROSOFT_CLIENT_ID", CLIENT_ID),
        ("MICROSOFT_CLIENT_SECRET", CLIENT_SECRET),
        ("MICROSOFT_ISSUER", &issuer),
    ])
    .await;
    let email = crate::auth::unique_email("ms");
    let outcome = sign_in(
        &app,
        json!({"provider": "microsoft"}),
        person("ms-oid-1", &email),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], email);
}

#[tokio::test]
async fn unconfigured_or_unknown_social_providers_are_refused() {
    let app = sso_app(&[]).await;
    for (provider, reason) in [
        ("google", "SSO_CONFIGURATION_ERROR"),
        ("myspace", "SSO_CONFIGURATION_ERROR"),
    ] {
        let (status, body) = rest(
            &app,
            "POST",
            "/api/v1/sso/start",
            None,
            json!({"provider": provider, "redirect_uri": APP_REDIRECT}),
        )
        .await;
        assert_eq!(body["error"]["code"], reason, "{provider}: {body}");
        assert_ne!(status, 200);
    }
}
