//! `Provider`: a running OpenID Provider / GitHub stand-in (`tests/peers/oidc_provider.py`,
//! written against the specs with PyJWT, independent of Janua's relying party), and a
//! browser's walk through its sign-in page.

use std::process::Stdio;

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, ChildStdin, Command},
};
use url::Url;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/oidc_provider.py");
pub const CLIENT_ID: &str = "janua-client";
/// With characters Basic authentication must form-encode.
pub const CLIENT_SECRET: &str = "s3cret: with/odd+chars, and long enough for HS256";
/// Janua's callback as the relying party registers it (the tests read the redirect, they
/// do not follow it).
pub const REDIRECT_URI: &str = "http://127.0.0.1:4100/api/v1/sso/oidc/test/callback";

/// A running provider on 127.0.0.1; stopped on drop.
pub struct Provider {
    pub base: String,
    _child: Child,
    /// Held open: the peer exits when it closes.
    _stdin: ChildStdin,
}

impl Provider {
    /// Starts the provider with extra `args` (`--misbehave MODE`, `--auth post`,
    /// `--tenant TID`). None when no Python with PyJWT is available (and peers are optional).
    pub async fn start(args: &[&str]) -> Option<Self> {
        let python = crate::helpers::python_with("jwt")?;
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .await
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .expect("oidc_provider.py printed no port");
        Some(Self {
            base: format!("http://127.0.0.1:{port}"),
            _child: child,
            _stdin: stdin,
        })
    }
}

/// A client that, like a test harness watching a browser, sees each redirect.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The browser at the provider: opens `authorization_url`, signs in as `claims`, and
/// returns where the provider redirects it (the client's redirect URI, with its answer).
pub async fn provider_redirect(authorization_url: &Url, claims: &Value) -> Url {
    let browser = browser();
    let page = browser.get(authorization_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200, "{authorization_url}");
    let page = page.text().await.unwrap();
    let txn = page
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let origin = authorization_url.origin().ascii_serialization();
    let answer = browser
        .post(format!("{origin}/login"))
        .form(&[("txn", txn), ("claims", &claims.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

/// [`provider_redirect`], reduced to the `code` and `state` it carries.
pub async fn authorize(authorization_url: &Url, claims: &Value) -> (String, String) {
    let location = provider_redirect(authorization_url, claims).await;
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    (param("code"), param("state"))
}
