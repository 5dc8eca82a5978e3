//! TOTP and recovery codes through the real port: enrolment and sign-in with codes from an
//! independent TOTP implementation (Python's pyotp), replay and staleness refused, recovery
//! codes used once, a challenge dying after five wrong answers, step-up for removing a
//! factor, and the seed unreadable at rest.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use janua::proto::janua::mfa::v1::{
    VerifyMfaChallengeRequest, verify_mfa_challenge_request::Answer,
};
use serde_json::{Value, json};
use tonic::Request;

use super::{
    auth::{PASSWORD, access, dump_database, login, register, rest, unique_email},
    helpers::{TestApp, amr, python_with},
};

/// pyotp's code for the `otpauth://` URI at a Unix time.
pub async fn pyotp_code(python: &str, uri: &str, at: i64) -> String {
    let output = tokio::process::Command::new(python)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).at(int(sys.argv[2])))",
            uri,
            &at.to_string(),
        ])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The server's time in Unix seconds (the test app's manual clock): codes are made for it.
pub fn server_time(app: &TestApp) -> i64 {
    janua::clock::Clock::now(app.clock.as_ref()).timestamp()
}

/// Moves the server's clock one TOTP step (30 s) on and returns that step's code: a code
/// the confirmation (or an earlier answer) cannot have used.
pub async fn next_step_code(app: &TestApp, python: &str, uri: &str) -> String {
    app.clock.advance(std::time::Duration::from_secs(30));
    pyotp_code(python, uri, server_time(app)).await
}

/// A user with a confirmed TOTP factor: (email, access token, otpauth URI, recovery codes).
pub struct Enrolled {
    pub email: String,
    pub token: String,
    pub uri: String,
    pub secret: String,
    pub recovery_codes: Vec<String>,
    /// The code ConfirmTotp accepted (used: it must never sign in).
    pub confirmed_with: String,
}

pub async fn enrolled_user(app: &TestApp, python: &str) -> Enrolled {
    let email = unique_email("mfa");
    let token = access(&register(app, &email).await);
    let (status, enrolment) = rest(
        app,
        "POST",
        "/api/v1/mfa/totp/enroll",
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{enrolment}");
    let uri = enrolment["otpauth_uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with("otpauth://totp/Janua:"), "{uri}");
    assert!(!enrolment["qr_png"].as_str().unwrap().is_empty());
    let factor_id = enrolment["factor_id"].as_str().unwrap();
    let (_, me) = rest(app, "GET", "/api/v1/auth/me", Some(&token), Value::Null).await;
    assert_eq!(me["mfa_enabled"], false, "pending until confirmed");

    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/mfa/totp/confirm",
        Some(&token),
        json!({"factor_id": factor_id, "totp_code": "000000"}),
    )
    .await;
    assert_eq!(status, 400, "a wrong code does not confirm: {body}");
    let code = pyotp_code(python, &uri, server_time(app)).await;
    let (status, confirmed) = rest(
        app,
        "POST",
        "/api/v1/mfa/totp/confirm",
        Some(&token),
        json!({"factor_id": factor_id, "totp_code": code}),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    let recovery_codes: Vec<String> =
        serde_json::from_value(confirmed["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery_codes.len(), 10);
    let (_, me) = rest(app, "GET", "/api/v1/auth/me", Some(&token), Value::Null).await;
    assert_eq!(me["mfa_enabled"], true);
    Enrolled {
        email,
        token,
        secret: enrolment["secret"].as_str().unwrap().to_owned(),
        uri,
        recovery_codes,
        confirmed_with: code,
    }
}

/// Password sign-in of an enrolled user: the challenge id.
pub async fn challenge(app: &TestApp, email: &str) -> String {
    let (status, body) = login(app, email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["tokens"].is_null(),
        "no tokens before the second factor: {body}"
    );
    let challenge = &body["mfa_challenge"];
    assert_eq!(challenge["methods"], json!(["totp", "recovery_code"]));
    challenge["challenge_id"].as_str().unwrap().to_owned()
}

pub async fn answer(app: &TestApp, challenge_id: &str, answer: Value) -> (u16, Value) {
    let mut body = answer;
    body["challenge_id"] = json!(challenge_id);
    rest(app, "POST", "/api/v1/mfa/challenge/verify", None, body).await
}

#[tokio::test]
async fn totp_codes_from_pyotp_sign_in_once_and_stale_or_replayed_codes_fail() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;

    // The confirmation used the current step; once the clock reaches the next, its code signs in.
    let code = next_step_code(&app, &python, &user.uri).await;
    let id = challenge(&app, &user.email).await;
    let (status, signed_in) = answer(&app, &id, json!({"totp_code": code})).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(
        amr(signed_in["tokens"]["access_token"].as_str().unwrap()),
        json!(["pwd", "otp"])
    );
    assert_eq!(signed_in["user"]["mfa_enabled"], true);
    let (status, body) = answer(&app, &id, json!({"totp_code": code})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("TOKEN_ERROR")),
        "a challenge answers once"
    );

    // Over gRPC: the same code again is a replay; a code two steps old is stale.
    let mut mfa = app.mfa_client().await;
    for stale in [
        code,
        pyotp_code(&python, &user.uri, server_time(&app) - 60).await,
    ] {
        let id = challenge(&app, &user.email).await;
        let refused = mfa
            .verify_mfa_challenge(Request::new(VerifyMfaChallengeRequest {
                challenge_id: id,
                answer: Some(Answer::TotpCode(stale)),
            }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    }
}

#[tokio::test]
async fn a_recovery_code_works_once_and_five_wrong_answers_end_a_challenge() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    // Account limits high enough that only the challenge's own limit is in play.
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "20"),
        ("LOGIN_LOCK_AFTER_FAILURES", "20"),
    ])
    .await;
    let user = enrolled_user(&app, &python).await;
    let code = user.recovery_codes[3].to_uppercase();
    let id = challenge(&app, &user.email).await;
    let (status, body) = answer(&app, &id, json!({"recovery_code": code})).await;
    assert_eq!(status, 200, "{body}");
    let id = challenge(&app, &user.email).await;
    let (status, _) = answer(&app, &id, json!({"recovery_code": code})).await;
    assert_eq!(status, 401, "a recovery code works once");

    let id = challenge(&app, &user.email).await;
    for _ in 0..5 {
        let (status, _) = answer(&app, &id, json!({"totp_code": "000000"})).await;
        assert_eq!(status, 401);
    }
    let right = next_step_code(&app, &python, &user.uri).await;
    let (status, body) = answer(&app, &id, json!({"totp_code": right})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("TOKEN_ERROR")),
        "the challenge is gone"
    );
    let (_, listed) = rest(
        &app,
        "GET",
        "/api/v1/mfa/factors",
        Some(&user.token),
        Value::Null,
    )
    .await;
    let names: Vec<_> = listed["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Authenticator app", "Recovery codes (9 left)"]);
}

#[tokio::test]
async fn removing_a_factor_needs_a_recent_sign_in_or_a_current_code() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;
    let (_, listed) = rest(
        &app,
        "GET",
        "/api/v1/mfa/factors",
        Some(&user.token),
        Value::Null,
    )
    .await;
    let factor = listed["factors"][0]["id"].as_str().unwrap().to_owned();
    // The sign-in is more than ten minutes old on the server's clock.
    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let path = format!("/api/v1/mfa/factors/{factor}");
    let (status, body) = rest(&app, "DELETE", &path, Some(&user.token), Value::Null).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("MFA_REQUIRED")),
        "{body}"
    );
    let (status, _) = rest(
        &app,
        "POST",
        "/api/v1/mfa/recovery-codes/regenerate",
        Some(&user.token),
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    let code = next_step_code(&app, &python, &user.uri).await;
    let (status, body) = rest(
        &app,
        "DELETE",
        &format!("{path}?totp_code={code}"),
        Some(&user.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(&user.token),
        Value::Null,
    )
    .await;
    assert_eq!(me["mfa_enabled"], false);
    let (status, body) = login(&app, &user.email, PASSWORD).await;
    assert!(
        status == 200 && body["tokens"]["access_token"].is_string(),
        "one factor again: {body}"
    );
}

#[tokio::test]
async fn the_totp_seed_is_not_readable_at_rest() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;
    let seed = base32_decode(&user.secret);
    let dump = dump_database(&app).await;
    assert!(
        dump.contains("mfa_factor") || dump.contains("totp"),
        "the dump covers the factor table"
    );
    for needle in [
        user.secret.clone(),
        user.secret.to_lowercase(),
        hex(&seed),
        URL_SAFE_NO_PAD.encode(&seed),
    ] {
        assert!(
            !dump.contains(&needle),
            "the seed is readable in the database dump"
        );
    }
    for code in &user.recovery_codes {
        assert!(
            !dump.contains(code.as_str()),
            "a recovery code is stored in the clear"
        );
    }
    // The SQLite file itself (and its write-ahead log) holds no seed bytes.
    let url = app
        .env
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .unwrap()
        .1
        .clone();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .and_then(|p| p.split('?').next())
    {
        for file in [path.to_owned(), format!("{path}-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            assert!(
                !bytes.windows(seed.len()).any(|w| w == seed.as_slice()),
                "seed bytes in {file}"
            );
            assert!(
                !bytes
                    .windows(user.secret.len())
                    .any(|w| w == user.secret.as_bytes()),
                "base32 seed in {file}"
            );
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|a| *a == c).unwrap() as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[tokio::test]
async fn wrong_second_factor_answers_count_toward_the_account_lock() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ])
    .await;
    let user = enrolled_user(&app, &python).await;
    for _ in 0..3 {
        let id = challenge(&app, &user.email).await;
        let (status, _) = answer(&app, &id, json!({"totp_code": "000000"})).await;
        assert_eq!(status, 401);
    }
    let (status, body) = login(&app, &user.email, PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (423, Some("ACCOUNT_LOCKED")),
        "{body}"
    );
}
