//! The other ways to sign in on the hosted page: a passkey (the page's script, played by
//! the software authenticator, posts the assertion with the page's form) and the
//! "continue with" buttons of the organization's SSO connection, through a real OpenID
//! Provider (`tests/peers/oidc_provider.py`), back to the page and on to the application.

use serde_json::json;

use super::{Browser, REDIRECT, authorize_path, callback_params, exchange};
use crate::{
    auth::rest,
    helpers::{TestApp, jwt_claims},
    oauth_clients::{create_client, web_client},
    passkeys::{account_with_passkey, passkey_app},
    sso_oidc::provider::provider_redirect,
    sso_oidc_flow::provider::{APP_REDIRECT, CLIENT_ID, CLIENT_SECRET, Provider},
};

/// A public client without consent, registered by a new organization of `app`.
async fn client_of_new_org(app: &TestApp) -> (String, String, String) {
    let owner = app.signed_in_user("op-owner").await;
    let org = app.organization_of(&owner, "Apps").await;
    let answer = create_client(
        app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_PUBLIC"),
    )
    .await;
    (
        answer["client"]["client_id"].as_str().unwrap().to_owned(),
        org,
        owner.token,
    )
}

#[tokio::test]
async fn a_passkey_signs_in_on_the_hosted_page() {
    let app = passkey_app().await;
    let (client_id, _, _) = client_of_new_org(&app).await;
    let (_, _, user_id, mut authenticator) = account_with_passkey(&app).await;
    let mut browser = Browser::new(&app);
    let sign_in = browser.get_redirect(&authorize_path(&client_id, "")).await;
    let (status, _, page) = browser.get(&sign_in).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sign in with a passkey"), "{page}");
    assert!(page.contains("<script nonce=\""), "{page}");
    let (_, options) = rest(
        &app,
        "POST",
        "/api/v1/mfa/passkeys/login/options",
        None,
        json!({}),
    )
    .await;
    let challenge_id = options["challenge_id"].as_str().unwrap();
    let assertion = authenticator.get(options["options_json"].as_str().unwrap());
    let passkey_form = format!(
        "x<form{}",
        page.split("id=\"passkey-form\"").nth(1).unwrap()
    );
    let passkey_form = passkey_form.replacen(
        "x<form",
        "<form method=\"post\" action=\"/oauth/sign-in\"",
        1,
    );
    let consent = browser
        .submit(
            &passkey_form,
            &[
                ("challenge_id", challenge_id),
                ("credential_json", &assertion),
            ],
        )
        .await;
    // The client skips consent for its organization's members only; this user is none.
    assert!(consent.starts_with("/oauth/consent"), "{consent}");
    let page = browser.get_page(&consent).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    let (status, tokens) = exchange(&app, &client_id, &callback_params(&callback)["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], user_id.as_str());
    assert_eq!(id_token["amr"], json!(["hwk"]));
    assert_eq!(id_token["acr"], "urn:janua:acr:mfa");
}

#[tokio::test]
async fn the_organizations_sso_connection_signs_in_through_its_button() {
    let Some(provider) = Provider::start(&[]).await else {
        return;
    };
    let app = TestApp::spawn_with(&[("SSO_ALLOWED_REDIRECT_URIS", APP_REDIRECT)]).await;
    let (client_id, org, owner_token) = client_of_new_org(&app).await;
    let domain = format!("d{}.example.test", uuid::Uuid::now_v7().simple());
    let (status, connection) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&owner_token),
        json!({
            "name": "Acme IdP",
            "protocol": "SSO_PROTOCOL_OIDC",
            "domains": [domain],
            "jit_provisioning": true,
            "enabled": true,
            "oidc": {"issuer": provider.base, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        }),
    )
    .await;
    assert_eq!(status, 200, "{connection}");
    crate::domains::mark_domain_verified(&app, &org, &domain).await;

    let mut browser = Browser::new(&app);
    let sign_in = browser.get_redirect(&authorize_path(&client_id, "")).await;
    let page = browser.get_page(&sign_in).await;
    assert!(page.contains("Continue with Acme IdP"), "{page}");
    let link = page
        .split("href=\"")
        .find(|part| part.starts_with("/oauth/sign-in/continue"))
        .and_then(|part| part.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let to_provider = browser.get_redirect(&link).await;
    let email = format!("grace@{domain}");
    let claims =
        json!({"sub": "idp-grace", "email": email, "email_verified": true, "name": "Grace"});
    let janua_callback = provider_redirect(&url::Url::parse(&to_provider).unwrap(), &claims).await;
    let back = browser
        .get_redirect(&path_of(janua_callback.as_ref()))
        .await;
    assert!(back.contains("/oauth/sign-in/sso?code="), "{back}");
    let callback = browser.get_redirect(&path_of(&back)).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    let (status, tokens) = exchange(&app, &client_id, &callback_params(&callback)["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], email.as_str());
    assert_eq!(id_token["amr"], json!(["sso"]));
}

/// The path and query of an absolute URL on the test server.
fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}
