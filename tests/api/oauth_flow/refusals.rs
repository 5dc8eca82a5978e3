//! What the authorization endpoint refuses: before the redirect URI is known good, an error
//! page and never a redirect; after, the error goes back with `state` and `iss`. Consent
//! denied is `access_denied`; `prompt=none` without a session is `login_required`; a form
//! without its CSRF token changes nothing; a foreign origin gets no CORS grant.

use super::{Browser, REDIRECT, Setting, authorize_path, callback_params, setting, urlencoding};
use crate::{auth::PASSWORD, helpers::TestApp};

#[tokio::test]
async fn bad_clients_and_redirect_uris_get_a_page_and_the_rest_goes_back_to_the_client() {
    let app = TestApp::spawn().await;
    let Setting { client_id, email } = setting(&app, true).await;
    let mut browser = Browser::new(&app);
    let path = authorize_path(&client_id, "");
    for variant in [
        "https://app.example.com/callback/",
        "https://app.example.com/callbac",
        "https://app.example.com/callbackx",
        "https://APP.example.com/callback",
        "https://app.example.com/Callback",
        "https://app.example.com/callback?x=1",
        "https://app.example.com.evil.com/callback",
    ] {
        let bad = path.replace(&urlencoding(REDIRECT), &urlencoding(variant));
        let (status, location, body) = browser.get(&bad).await;
        assert_eq!((status, location), (400, None), "{variant}");
        assert!(body.contains("Sign-in request refused"), "{body}");
    }
    let unknown = path.replace(&client_id, "0190-not-a-client");
    assert_eq!(browser.get(&unknown).await.0, 400);

    // The same request POSTed (OIDC Core §3.1.2.1) is read the same way.
    let query = path.split_once('?').unwrap().1;
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let posted = "<form method=\"post\" action=\"/oauth/authorize\"></form>";
    let (status, location, _) = browser.post_form(posted, &fields).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/oauth/sign-in"));

    // RFC 8252: a loopback IP redirect URI matches on any port.
    let loopback = path.replace(
        &urlencoding(REDIRECT),
        &urlencoding("http://127.0.0.1:51000/cb"),
    );
    let location = browser.get_redirect(&loopback).await;
    assert!(location.starts_with("/oauth/sign-in"), "{location}");

    let error_of = |location: &str| callback_params(location)["error"].clone();
    let implicit = path.replace("response_type=code", "response_type=token");
    let location = browser.get_redirect(&implicit).await;
    assert_eq!(error_of(&location), "unsupported_response_type");
    assert_eq!(callback_params(&location)["state"], "st-1");
    let plain = path.replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(
        error_of(&browser.get_redirect(&plain).await),
        "invalid_request"
    );
    let no_pkce = path
        .replace("&code_challenge_method=S256", "")
        .replace(&format!("&code_challenge={}", super::CHALLENGE), "");
    assert_eq!(
        error_of(&browser.get_redirect(&no_pkce).await),
        "invalid_request"
    );
    let none = authorize_path(&client_id, "&prompt=none");
    assert_eq!(
        error_of(&browser.get_redirect(&none).await),
        "login_required"
    );

    // A form without its CSRF token changes nothing.
    let sign_in = browser.get_redirect(&path).await;
    let page = browser.get_page(&sign_in).await;
    let (status, _, body) = browser
        .post_form(
            &page,
            &[
                ("csrf_token", ""),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(!browser.has_cookie("janua_session"));

    // Consent denied goes back as access_denied.
    let consent = browser
        .submit(&page, &[("email", email.as_str()), ("password", PASSWORD)])
        .await;
    let page = browser.get_page(&consent).await;
    let denied = browser.submit(&page, &[("decision", "deny")]).await;
    assert!(denied.starts_with(REDIRECT));
    assert_eq!(error_of(&denied), "access_denied");
    // Not consented: prompt=none with a session is consent_required.
    assert_eq!(
        error_of(&browser.get_redirect(&none).await),
        "consent_required"
    );
}

#[tokio::test]
async fn only_the_clients_own_origins_get_cors_on_the_browser_endpoints() {
    let app = TestApp::spawn().await;
    let Setting { client_id, .. } = setting(&app, false).await;
    let ask = |origin: &'static str| {
        let request = app
            .http
            .post(app.url("/oauth/token"))
            .header("origin", origin)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", "x"),
            ]);
        async move { request.send().await.unwrap() }
    };
    let own = ask("https://app.example.com").await;
    assert_eq!(
        own.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let foreign = ask("https://evil.example").await;
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let preflight = |origin: &'static str| {
        let request = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/oauth/userinfo"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization");
        async move { request.send().await.unwrap() }
    };
    let own = preflight("https://app.example.com").await;
    assert_eq!(
        own.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let foreign = preflight("https://evil.example").await;
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
