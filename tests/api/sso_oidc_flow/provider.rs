//! A browser's walk through a whole sign-in: StartSso, the provider (see
//! `sso_oidc::provider`), Janua's callback, ExchangeSsoCode.

use serde_json::{Value, json};
use url::Url;

pub use crate::sso_oidc::provider::{CLIENT_ID, CLIENT_SECRET, Provider, browser};
use crate::{auth::rest, helpers::TestApp, sso_oidc::provider::provider_redirect};

/// Where the app wants the browser back (`SSO_ALLOWED_REDIRECT_URIS`).
pub const APP_REDIRECT: &str = "https://app.example.test/sso/done";

/// Where Janua's last answer of a sign-in sent the browser, or its error body.
#[derive(Debug)]
pub struct Outcome {
    pub status: u16,
    pub location: Option<Url>,
    pub body: Value,
    /// The callback URL the provider sent the browser to (for replays).
    pub callback: String,
}

impl Outcome {
    fn param(&self, name: &str) -> Option<String> {
        let location = self.location.as_ref()?;
        location
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The one-time code the app received; fails the test when there is none.
    pub fn code(&self) -> String {
        assert_eq!(self.status, 303, "{self:?}");
        let location = self.location.as_ref().unwrap();
        assert!(location.as_str().starts_with(APP_REDIRECT), "{location}");
        self.param("code")
            .unwrap_or_else(|| panic!("no code: {self:?}"))
    }

    /// The `error` reason the app received instead of a code (and that no code came).
    pub fn error(&self) -> String {
        assert_eq!(self.param("code"), None, "{self:?}");
        self.param("error")
            .unwrap_or_else(|| panic!("not redirected with an error: {self:?}"))
    }
}

/// `POST /api/v1/sso/start` with `target` (connection_id, email or provider): the URL to
/// send the browser to.
pub async fn start(app: &TestApp, target: Value) -> Url {
    let mut body = target;
    body["redirect_uri"] = json!(APP_REDIRECT);
    let (status, answer) = rest(app, "POST", "/api/v1/sso/start", None, body).await;
    assert_eq!(status, 200, "{answer}");
    Url::parse(answer["redirect_url"].as_str().unwrap()).unwrap()
}

/// The browser at the provider: opens `authorization_url`, signs in as `claims`, and returns
/// the URL the provider redirects to (Janua's callback, on this test's port).
pub async fn authorize(app: &TestApp, authorization_url: &Url, claims: Value) -> String {
    let location = provider_redirect(authorization_url, &claims).await;
    assert!(location.as_str().starts_with(&app.url("/")), "{location}");
    location.to_string()
}

/// The browser back at Janua's callback URL.
pub async fn follow(callback: &str) -> Outcome {
    let answer = browser().get(callback).send().await.unwrap();
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get("location")
        .map(|l| Url::parse(l.to_str().unwrap()).unwrap());
    let body = answer.json().await.unwrap_or(Value::Null);
    Outcome {
        status,
        location,
        body,
        callback: callback.to_owned(),
    }
}

/// A whole sign-in: start with `target`, sign in at the provider as `claims`, come back.
pub async fn sign_in(app: &TestApp, target: Value, claims: Value) -> Outcome {
    let url = start(app, target).await;
    let callback = authorize(app, &url, claims).await;
    follow(&callback).await
}

/// `POST /api/v1/sso/exchange`: (status, {user, tokens}).
pub async fn exchange(app: &TestApp, code: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/sso/exchange",
        None,
        json!({"code": code}),
    )
    .await
}
