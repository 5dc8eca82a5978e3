//! Janua as an OpenID Provider, driven by independent, unmodified clients through the real
//! port (issue #16), all against one server:
//! - `openid-client` (npm; `tests/peers/oidc_rp/openid_client_flow.mjs`), a confidential
//!   relying party: discovery, authorization code + PKCE through the hosted pages in headless
//!   Chromium, UserInfo, refresh rotation and reuse detection (past the grace window, on the
//!   server's clock), single sign-on, introspection, revocation, client_credentials;
//! - `coreos/go-oidc` + `x/oauth2` (Go; `tests/peers/go_oidc`), a back end verifying the ID
//!   token (nonce, at_hash), the RFC 9068 access token and a client_credentials token from
//!   the JWKS alone;
//! - `oidc-client-ts` in headless Chromium (`spa_in_chromium.mjs`), a single-page app
//!   signing a person in with password and TOTP, refreshing, signing out;
//! - node `oidc-provider` as the reference (`compare_with_oidc_provider.mjs`): the same
//!   requests to both, Janua's answers held to the contract where the two may differ.
//!
//! Node, its packages (`npm ci`), Debian's Chromium, Go and a Python with pyotp are peers:
//! missing, the test skips, unless `JANUA_TEST_REQUIRE_PEERS` is set.

mod expectations;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use self::expectations::{
    assert_comparison, assert_go, assert_openid_client, assert_spa, markdown,
};
use super::{
    auth::PASSWORD,
    fixtures::User,
    helpers::{TestApp, python_with},
    mfa::{enrolled_user, server_time},
    oauth_clients::create_client,
    users::id_of,
};

/// The audience the confidential client's access tokens are for.
const AUDIENCE: &str = "https://api.enclii.example";
/// How long after a rotation the old refresh token still refreshes (a parallel refresh).
const REUSE_GRACE: Duration = Duration::from_secs(10);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Node with openid-client, oidc-client-ts, oidc-provider and playwright-core, Debian's
/// Chromium and Go, when all are there (tests/run installs them).
fn peers_available() -> bool {
    let packages = [
        "openid-client",
        "oidc-client-ts",
        "oidc-provider",
        "playwright-core",
    ];
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| !root().join("node_modules").join(package).exists())
        .chain(Some("/usr/bin/chromium").filter(|path| !Path::new(path).exists()))
        .chain(Some("go").filter(|_| !runs("go", "version")))
        .chain(Some("node").filter(|_| !runs("node", "--version")))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
        "{missing:?} required when JANUA_TEST_REQUIRE_PEERS is set (tests/run installs them)"
    );
    eprintln!("skipped: no {missing:?}");
    false
}

fn runs(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A free loopback port (the kernel's choice; released for the peer to bind).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The fixtures: an organization, its two clients (the public one skips consent), a person
/// with a password only (not a member: consent is asked) and a member with TOTP too.
pub struct Fixtures {
    issuer: String,
    confidential: Value,
    secret: String,
    public: Value,
    person: User,
    totp_person: (String, String),
    totp_not_before: i64,
    spa_port: u16,
}

async fn fixtures(app: &TestApp, python: &str) -> Fixtures {
    let owner = app.signed_in_user("oidc-owner").await;
    let org = app.organization_of(&owner, "Enclii").await;
    let callback = format!("http://localhost:{}", free_port());
    let spa_port = free_port();
    let spa = format!("http://localhost:{spa_port}");
    let scopes = json!([
        "openid",
        "profile",
        "email",
        "offline_access",
        "projects:read"
    ]);
    let confidential = create_client(
        app,
        &owner.token,
        &org,
        json!({
            "name": "Enclii back office",
            "client_type": "OAUTH_CLIENT_TYPE_CONFIDENTIAL",
            "redirect_uris": [format!("{callback}/callback")],
            "post_logout_redirect_uris": [format!("{callback}/")],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "allowed_scopes": scopes,
            "skip_consent": false,
            "access_token_audience": AUDIENCE,
        }),
    )
    .await;
    let public = create_client(
        app,
        &owner.token,
        &org,
        json!({
            "name": "Enclii web",
            "client_type": "OAUTH_CLIENT_TYPE_PUBLIC",
            "redirect_uris": [format!("{spa}/callback.html")],
            "post_logout_redirect_uris": [format!("{spa}/signed-out.html")],
            "grant_types": ["authorization_code", "refresh_token"],
            "allowed_scopes": scopes,
            "skip_consent": true,
        }),
    )
    .await;
    let person = app.signed_in_user("oidc-person").await;
    // The app's user is a member of the organization: skip_consent holds for members only.
    let enrolled = enrolled_user(app, python).await;
    let (status, me) = app
        .rest("GET", "/api/v1/auth/me", Some(&enrolled.token), Value::Null)
        .await;
    assert_eq!(status, 200, "{me}");
    let member = User {
        id: id_of(&me),
        email: enrolled.email.clone(),
        token: enrolled.token.clone(),
    };
    app.member_of(&owner, &org, &member, "member").await;
    Fixtures {
        issuer: app.app.keyring.issuer().to_owned(),
        secret: confidential["client_secret"].as_str().unwrap().to_owned(),
        confidential: confidential["client"].clone(),
        public: public["client"].clone(),
        person,
        totp_person: (enrolled.email, enrolled.secret),
        // The confirming code's step is spent: the browser types the next step's code.
        totp_not_before: (server_time(app) / 30 + 1) * 30,
        spa_port,
    }
}

pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn clock_offset_ms(app: &TestApp) -> u128 {
    app.clock.advanced().as_millis()
}

/// Runs a peer script of tests/peers/oidc_rp with one JSON argument; its JSON answer.
async fn node_peer(script: &str, input: &Value) -> Value {
    let output = tokio::process::Command::new("node")
        .arg(root().join("tests/peers/oidc_rp").join(script))
        .arg(input.to_string())
        .current_dir(root())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{script}: {error}: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The openid-client flow; when it has rotated a refresh token, the server's clock moves
/// past the reuse grace window before the old token is replayed.
async fn openid_client_flow(app: &TestApp, f: &Fixtures) -> Value {
    let input = json!({
        "issuer": f.issuer,
        "client_id": f.confidential["client_id"],
        "client_secret": f.secret,
        "redirect_uri": f.confidential["redirect_uris"][0],
        "email": f.person.email,
        "password": PASSWORD,
        "client_credentials_scope": "projects:read",
        "pause_before_reuse": true,
    });
    let mut child = tokio::process::Command::new("node")
        .arg(root().join("tests/peers/oidc_rp/openid_client_flow.mjs"))
        .arg(input.to_string())
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let reading = tokio::spawn(async move {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).await.unwrap();
        out
    });
    let mut errors = String::new();
    let talk = async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if line == "ready for reuse" {
                app.clock.advance(REUSE_GRACE + Duration::from_secs(1));
                stdin.write_all(b"go\n").await.unwrap();
            } else {
                errors.push_str(&line);
                errors.push('\n');
            }
        }
        child.wait().await.unwrap()
    };
    let status = tokio::time::timeout(Duration::from_secs(180), talk)
        .await
        .expect("openid_client_flow.mjs took over 3 minutes");
    let out = reading.await.unwrap();
    assert!(status.success(), "openid_client_flow.mjs failed: {errors}");
    serde_json::from_slice(&out).unwrap()
}

/// Builds the Go verifier (its go.sum is committed: offline once the module cache has it)
/// and runs it on the live tokens of the openid-client flow and a client_credentials grant.
async fn go_verifier(f: &Fixtures, tokens: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let binary: PathBuf = dir.path().join("go_oidc");
    let built = tokio::process::Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(root().join("tests/peers/go_oidc"))
        .output()
        .await
        .unwrap();
    assert!(
        built.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let output = tokio::process::Command::new(&binary)
        .args(["-issuer", &f.issuer])
        .args(["-client-id", text(&f.confidential["client_id"])])
        .args(["-id-token", text(&tokens["id_token"])])
        .args(["-nonce", text(&tokens["nonce"])])
        .args(["-access-token", text(&tokens["access_token"])])
        .args(["-audience", AUDIENCE])
        .args(["-cc-client-id", text(&f.confidential["client_id"])])
        .args(["-cc-client-secret", &f.secret])
        .args(["-cc-audience", AUDIENCE])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "go_oidc: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn independent_clients_sign_in_verify_refresh_and_sign_out_through_janua() {
    if !peers_available() {
        return;
    }
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let f = fixtures(&app, &python).await;

    let seen = openid_client_flow(&app, &f).await;
    eprintln!("openid-client: {seen}");
    assert_openid_client(&seen, &f);

    let go = go_verifier(&f, &seen["fresh_tokens"]).await;
    eprintln!("go-oidc: {go}");
    assert_go(&go, &f);

    let spa = node_peer(
        "spa_in_chromium.mjs",
        &json!({
            "issuer": f.issuer,
            "client_id": f.public["client_id"],
            "spa_port": f.spa_port,
            "email": f.totp_person.0,
            "password": PASSWORD,
            "totp_secret": f.totp_person.1,
            "clock_offset_ms": clock_offset_ms(&app),
            "totp_not_before": f.totp_not_before,
        }),
    )
    .await;
    eprintln!("oidc-client-ts: {spa}");
    assert_spa(&spa, &f);

    let compared = tokio::process::Command::new("node")
        .arg(root().join("tests/peers/oidc_rp/compare_with_oidc_provider.mjs"))
        .arg("--json")
        .arg(
            json!({
                "issuer": f.issuer,
                "confidential": {
                    "client_id": f.confidential["client_id"],
                    "client_secret": f.secret,
                    "redirect_uri": f.confidential["redirect_uris"][0],
                    "post_logout_redirect_uri": f.confidential["post_logout_redirect_uris"][0],
                },
                "public": {
                    "client_id": f.public["client_id"],
                    "redirect_uri": f.public["redirect_uris"][0],
                    "post_logout_redirect_uri": f.public["post_logout_redirect_uris"][0],
                },
            })
            .to_string(),
        )
        .current_dir(root())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    assert!(
        compared.status.success(),
        "compare_with_oidc_provider.mjs: {}",
        String::from_utf8_lossy(&compared.stderr)
    );
    let compared: Value = serde_json::from_slice(&compared.stdout).unwrap();
    let rows = compared["rows"].as_array().unwrap();
    // The table docs/oidc-behaviour.md records; shown with --nocapture or on failure.
    eprintln!("{}", markdown(rows));
    assert_comparison(rows);
}
