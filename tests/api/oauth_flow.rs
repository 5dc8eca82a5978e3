//! The authorization code flow through the real port, driven like a browser without
//! JavaScript (cookies kept by hand, redirects read, not followed): the hosted sign-in and
//! consent, the code's exchange with PKCE, the ID token, UserInfo, refresh rotation with
//! its grace window and reuse detection, `prompt=none` on the browser session, the refusals
//! before and after the redirect URI is known good, and RP-initiated logout. The
//! independent clients (openid-client, go-oidc, oidc-client-ts) are in `oidc_peers`.

pub mod browser;
mod refusals;
mod sign_in_ways;

use serde_json::{Value, json};

use super::{
    auth::PASSWORD,
    helpers::{TestApp, jwt_claims},
    oauth_clients::{create_client, web_client},
    oauth_token::read,
};
use browser::Browser;

pub const REDIRECT: &str = "https://app.example.com/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A user, an organization and a public client that asks for consent.
pub struct Setting {
    pub client_id: String,
    pub email: String,
}

pub async fn setting(app: &TestApp, consent: bool) -> Setting {
    let owner = app.signed_in_user("op-owner").await;
    let org = app.organization_of(&owner, "Apps").await;
    let mut body = web_client("OAUTH_CLIENT_TYPE_PUBLIC");
    body["skip_consent"] = json!(!consent);
    let answer = create_client(app, &owner.token, &org, body).await;
    Setting {
        client_id: answer["client"]["client_id"].as_str().unwrap().to_owned(),
        email: owner.email,
    }
}

pub fn authorize_path(client_id: &str, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}\
         &scope=openid+email+profile&state=st-1&nonce=n-1&code_challenge={CHALLENGE}\
         &code_challenge_method=S256{extra}",
        urlencoding(REDIRECT)
    )
}

pub fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The query parameters of a redirect to the client.
pub fn callback_params(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

/// Exchanges `code` as the public client.
pub async fn exchange(app: &TestApp, client_id: &str, code: &str) -> (u16, Value) {
    let fields = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    token_request(app, &fields).await
}

pub async fn refresh(app: &TestApp, client_id: &str, token: &str) -> (u16, Value) {
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ];
    token_request(app, &fields).await
}

async fn token_request(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    let request = app.http.post(app.url("/oauth/token")).form(fields);
    let (status, _, body) = read(request.send().await.unwrap()).await;
    (status, body)
}

#[tokio::test]
async fn a_user_signs_in_consents_and_the_client_gets_refreshes_and_loses_tokens() {
    let app = TestApp::spawn().await;
    let Setting { client_id, email } = setting(&app, true).await;
    let mut browser = Browser::new(&app);

    // Sign in and consent.
    let location = browser.get_redirect(&authorize_path(&client_id, "")).await;
    assert!(location.starts_with("/oauth/sign-in?token="), "{location}");
    let page = browser.get_page(&location).await;
    assert!(page.contains("Sign in to continue to Enclii web"), "{page}");
    let consent = browser
        .submit(&page, &[("email", email.as_str()), ("password", PASSWORD)])
        .await;
    assert!(consent.starts_with("/oauth/consent?token="), "{consent}");
    assert!(browser.has_cookie("janua_session"));
    let page = browser.get_page(&consent).await;
    assert!(page.contains("Enclii web asks to"), "{page}");
    let callback = browser.submit(&page, &[("decision", "allow")]).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    let params = callback_params(&callback);
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], app.app.keyring.issuer());

    // The code's exchange.
    let (status, tokens) = exchange(&app, &client_id, &params["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], client_id.as_str());
    assert_eq!(id_token["azp"], client_id.as_str());
    assert_eq!(id_token["nonce"], "n-1");
    assert_eq!(id_token["email"], email.as_str());
    assert_eq!(id_token["amr"], json!(["pwd"]));
    for claim in ["auth_time", "sid", "at_hash", "acr", "iat", "exp"] {
        assert!(id_token.get(claim).is_some(), "{claim}: {id_token}");
    }
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], "https://api.example.com");
    assert_eq!(access["client_id"], client_id.as_str());
    assert_eq!(access["sub"], id_token["sub"]);

    // UserInfo.
    let userinfo = |token: String| {
        let request = app.http.get(app.url("/oauth/userinfo")).bearer_auth(token);
        async move { read(request.send().await.unwrap()).await }
    };
    let (status, _, claims) = userinfo(tokens["access_token"].as_str().unwrap().into()).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["sub"], id_token["sub"]);
    let posted = app
        .http
        .post(app.url("/oauth/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (status, _, by_post) = read(posted).await;
    assert_eq!(
        (status, &by_post),
        (200, &claims),
        "UserInfo answers POST alike"
    );

    // A second authorization rides the browser session and the remembered consent.
    let again = browser
        .get_redirect(&authorize_path(&client_id, "&prompt=none"))
        .await;
    let code_two = callback_params(&again)["code"].clone();
    let (status, second) = exchange(&app, &client_id, &code_two).await;
    assert_eq!(status, 200, "{second}");

    // Refresh: rotation, the grace window, then reuse revokes the family.
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, rotated) = refresh(&app, &client_id, &first_refresh).await;
    assert_eq!(status, 200, "{rotated}");
    let (status, parallel) = refresh(&app, &client_id, &first_refresh).await;
    assert_eq!(
        status, 200,
        "a parallel refresh within the grace window: {parallel}"
    );
    app.clock.advance(std::time::Duration::from_secs(11));
    let (status, reused) = refresh(&app, &client_id, &first_refresh).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let newest = rotated["refresh_token"].as_str().unwrap();
    let (status, _) = refresh(&app, &client_id, newest).await;
    assert_eq!(status, 400, "the family is revoked");
    let (status, _, _) = userinfo(rotated["access_token"].as_str().unwrap().into()).await;
    assert_eq!(status, 401, "its access tokens too");

    // Replaying a code revokes what it gave.
    let (status, replay) = exchange(&app, &client_id, &code_two).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh(&app, &client_id, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "the replayed code's grant is revoked");

    // RP-initiated logout with the hint signs out at once and returns with state.
    let logout = format!(
        "/oauth/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
        second["id_token"].as_str().unwrap(),
        urlencoding("https://app.example.com/")
    );
    let back = browser.get_redirect(&logout).await;
    assert_eq!(back, "https://app.example.com/?state=bye");
    let after = browser
        .get_redirect(&authorize_path(&client_id, "&prompt=none"))
        .await;
    assert_eq!(callback_params(&after)["error"], "login_required");
}

#[tokio::test]
async fn codes_expire_prompt_login_and_max_age_ask_again_and_logout_asks_without_a_hint() {
    let app = TestApp::spawn().await;
    let Setting { client_id, email } = setting(&app, false).await;
    let mut browser = Browser::new(&app);
    let sign_in = browser.get_redirect(&authorize_path(&client_id, "")).await;
    let page = browser.get_page(&sign_in).await;
    let callback = browser
        .submit(&page, &[("email", email.as_str()), ("password", PASSWORD)])
        .await;
    let code = callback_params(&callback)["code"].clone();
    app.clock.advance(std::time::Duration::from_secs(61));
    let (status, expired) = exchange(&app, &client_id, &code).await;
    assert_eq!(
        (status, expired["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A live session answers at once, unless the request asks for a fresh sign-in.
    let at_once = browser.get_redirect(&authorize_path(&client_id, "")).await;
    assert!(at_once.starts_with(REDIRECT), "{at_once}");
    for fresh in ["&prompt=login", "&max_age=30"] {
        let again = browser
            .get_redirect(&authorize_path(&client_id, fresh))
            .await;
        assert!(again.starts_with("/oauth/sign-in"), "{fresh}: {again}");
    }
    let none_too_old = browser
        .get_redirect(&authorize_path(&client_id, "&prompt=none&max_age=30"))
        .await;
    assert_eq!(callback_params(&none_too_old)["error"], "login_required");

    // Without a hint, logout asks; an unregistered return address is refused outright.
    let refused = format!(
        "/oauth/logout?client_id={client_id}&post_logout_redirect_uri={}",
        urlencoding("https://evil.example/")
    );
    let (status, location, _) = browser.get(&refused).await;
    assert_eq!((status, location), (400, None));
    let confirm = browser
        .get_page(&format!(
            "/oauth/logout?client_id={client_id}&post_logout_redirect_uri={}&state=s",
            urlencoding("https://app.example.com/")
        ))
        .await;
    assert!(confirm.contains(">Sign out</button>"), "{confirm}");
    assert!(browser.has_cookie("janua_session"), "nothing changed yet");
    let back = browser.submit(&confirm, &[("decision", "logout")]).await;
    assert_eq!(back, "https://app.example.com/?state=s");
    assert!(!browser.has_cookie("janua_session"));
    let after = browser.get_redirect(&authorize_path(&client_id, "")).await;
    assert!(after.starts_with("/oauth/sign-in"), "{after}");
}

/// Authlib, an OpenID Connect client independent of Janua, signs a user in as a
/// confidential client (client_secret_basic, PKCE): the README's example with a secret.
#[tokio::test]
async fn authlib_signs_a_user_in_as_a_confidential_client() {
    let app = TestApp::spawn().await;
    let Some(python) = super::helpers::python_with("authlib") else {
        return;
    };
    let owner = app.signed_in_user("op-owner").await;
    let org = app.organization_of(&owner, "Apps").await;
    let mut body = web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL");
    body["redirect_uris"] = json!(["http://127.0.0.1:8000/callback"]);
    let answer = create_client(&app, &owner.token, &org, body).await;
    let issuer = app.app.keyring.issuer().to_owned();
    let output = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/sign_in_with_janua.py"
        ))
        .args([
            issuer.as_str(),
            answer["client"]["client_id"].as_str().unwrap(),
            "http://127.0.0.1:8000/callback",
            owner.email.as_str(),
            PASSWORD,
            answer["client_secret"].as_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("signed in: {}", owner.email)),
        "{stdout}"
    );
    assert!(stdout.contains("refreshed"), "{stdout}");
}

/// A machine's token leaves out the OpenID scopes, which speak of a signed-in user, when
/// the client asks for no scope.
#[tokio::test]
async fn client_credentials_without_a_scope_get_the_clients_own_scopes_only() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("op-owner").await;
    let org = app.organization_of(&owner, "Apps").await;
    let mut body = web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL");
    body["grant_types"] = json!(["authorization_code", "client_credentials"]);
    let answer = create_client(&app, &owner.token, &org, body).await;
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", answer["client"]["client_id"].as_str().unwrap()),
        ("client_secret", answer["client_secret"].as_str().unwrap()),
    ];
    let (status, token) = token_request(&app, &fields).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "projects:read", "{token}");
    let asked = [&fields[..], &[("scope", "openid")]].concat();
    let (status, refused) = token_request(&app, &asked).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}
