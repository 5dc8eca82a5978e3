//! Security review #14, items 4–7, through the real port: guesses sent at once get no more
//! checks than the brute-force budgets allow (passwords, TOTP answers, a challenge's answers,
//! current passwords, per IP); step-up codes count toward the account lock; adding a factor
//! needs a recent sign-in or a current code; and a TOTP code, once used — by ConfirmTotp too —
//! never signs in again, whatever updates the factor meanwhile. Codes come from pyotp
//! (`tests/run` installs it); the tests needing it skip without it, as in `mfa`.

use std::collections::BTreeMap;

use futures::future::join_all;
use janua::proto::janua::mfa::v1::EnrollTotpRequest;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

use super::{
    auth::{PASSWORD, access, login, register, rest, unique_email},
    helpers::{TestApp, python_with},
    mfa::{answer, challenge, enrolled_user, next_step_code},
    passkeys::passkey_app,
    users::{authed, error_code},
};

/// Delays and the lock both at the fifth failure: every guess up to the lock is checked at
/// once, none after.
const LOCK_AT_FIVE: [(&str, &str); 2] = [
    ("LOGIN_DELAY_AFTER_FAILURES", "5"),
    ("LOGIN_LOCK_AFTER_FAILURES", "5"),
];
const WRONG_PASSWORD: &str = "wrong wrong wrong wrong";
const WRONG_CODE: &str = "000000";

/// How many answers had each (HTTP status, error code).
fn tally(answers: &[(u16, Value)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for (status, body) in answers {
        *counts
            .entry((*status, error_code(body).to_owned()))
            .or_default() += 1;
    }
    counts
}

/// How many answers were checked and found wrong (AUTHENTICATION_ERROR, or `reason`).
fn checked(answers: &[(u16, Value)], reason: &str) -> usize {
    answers
        .iter()
        .filter(|(_, body)| error_code(body) == reason)
        .count()
}

/// Every answer that was not checked was refused by a limit (429 or 423).
fn assert_rest_refused(answers: &[(u16, Value)], checked_reason: &str) {
    for (status, body) in answers {
        let code = error_code(body);
        assert!(
            code == checked_reason
                || (*status, code) == (429, "RATE_LIMIT_ERROR")
                || (*status, code) == (423, "ACCOUNT_LOCKED"),
            "{:?}",
            tally(answers)
        );
    }
}

async fn wrong_logins_at_once(app: &TestApp, emails: &[String]) -> Vec<(u16, Value)> {
    join_all(emails.iter().map(|email| login(app, email, WRONG_PASSWORD))).await
}

/// Moves the server's clock past the recent sign-in window (ten minutes): every session and
/// pending enrolment is then older than it, and the access tokens (15 minutes) still valid.
fn outlast_recent_sign_in(app: &TestApp) {
    app.clock.advance(std::time::Duration::from_secs(11 * 60));
}

async fn totp_factor_id(app: &TestApp, token: &str) -> String {
    let (status, listed) = rest(app, "GET", "/api/v1/mfa/factors", Some(token), Value::Null).await;
    assert_eq!(status, 200, "{listed}");
    listed["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|factor| factor["type"] == "FACTOR_TYPE_TOTP")
        .map(|factor| factor["id"].as_str().unwrap().to_owned())
        .expect("a TOTP factor")
}

#[tokio::test]
async fn forty_wrong_passwords_at_once_get_at_most_the_lock_budget_of_checks() {
    let app = TestApp::spawn_with(&LOCK_AT_FIVE).await;
    let email = unique_email("burst");
    register(&app, &email).await;

    let answers = wrong_logins_at_once(&app, &vec![email.clone(); 40]).await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=5).contains(&guesses), "{:?}", tally(&answers));
    assert_rest_refused(&answers, "AUTHENTICATION_ERROR");
    let (status, body) = login(&app, &email, PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (423, "ACCOUNT_LOCKED"),
        "{body}"
    );
}

#[tokio::test]
async fn past_the_delay_threshold_one_guess_at_a_time_is_checked() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "2"),
        ("LOGIN_LOCK_AFTER_FAILURES", "10"),
    ])
    .await;
    let email = unique_email("delayed");
    register(&app, &email).await;

    let answers = wrong_logins_at_once(&app, &vec![email.clone(); 20]).await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=3).contains(&guesses), "{:?}", tally(&answers));
    assert_rest_refused(&answers, "AUTHENTICATION_ERROR");
}

#[tokio::test]
async fn wrong_logins_at_once_from_one_ip_stay_within_its_budget() {
    let app = TestApp::spawn_with(&[("LOGIN_IP_MAX_FAILURES", "5")]).await;
    let known = unique_email("known");
    register(&app, &known).await;
    let strangers: Vec<String> = (0..30).map(|_| unique_email("stranger")).collect();

    let answers = wrong_logins_at_once(&app, &strangers).await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=5).contains(&guesses), "{:?}", tally(&answers));
    for (status, body) in &answers {
        let code = error_code(body);
        assert!(
            code == "AUTHENTICATION_ERROR" || (*status, code) == (429, "RATE_LIMIT_ERROR"),
            "{:?}",
            tally(&answers)
        );
    }
    let (status, body) = login(&app, &known, PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, "RATE_LIMIT_ERROR"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_current_passwords_at_once_get_at_most_the_lock_budget_of_checks() {
    let app = TestApp::spawn_with(&LOCK_AT_FIVE).await;
    let email = unique_email("change");
    let token = access(&register(&app, &email).await);
    let change = |current: &'static str| {
        rest(
            &app,
            "POST",
            "/api/v1/auth/password/change",
            Some(&token),
            json!({"current_password": current, "new_password": "a brand new passphrase"}),
        )
    };

    let answers = join_all((0..20).map(|_| change(WRONG_PASSWORD))).await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=5).contains(&guesses), "{:?}", tally(&answers));
    assert_rest_refused(&answers, "AUTHENTICATION_ERROR");
    let (status, body) = change(PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (423, "ACCOUNT_LOCKED"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_totp_answers_at_once_get_at_most_the_lock_budget_of_checks() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn_with(&LOCK_AT_FIVE).await;
    let user = enrolled_user(&app, &python).await;
    let mut challenges = Vec::new();
    for _ in 0..15 {
        challenges.push(challenge(&app, &user.email).await);
    }

    let answers = join_all(
        challenges
            .iter()
            .map(|id| answer(&app, id, json!({"totp_code": WRONG_CODE}))),
    )
    .await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=5).contains(&guesses), "{:?}", tally(&answers));
    assert_rest_refused(&answers, "AUTHENTICATION_ERROR");
    let (status, body) = login(&app, &user.email, PASSWORD).await;
    assert_eq!(
        (status, error_code(&body)),
        (423, "ACCOUNT_LOCKED"),
        "{body}"
    );
}

#[tokio::test]
async fn answers_at_once_to_one_challenge_get_at_most_five_checks() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    // Account limits out of the way: only the challenge's own budget is in play.
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "50"),
        ("LOGIN_LOCK_AFTER_FAILURES", "50"),
    ])
    .await;
    let user = enrolled_user(&app, &python).await;
    let id = challenge(&app, &user.email).await;

    let answers =
        join_all((0..15).map(|_| answer(&app, &id, json!({"totp_code": WRONG_CODE})))).await;

    let guesses = checked(&answers, "AUTHENTICATION_ERROR");
    assert!((1..=5).contains(&guesses), "{:?}", tally(&answers));
    for (status, body) in &answers {
        let code = error_code(body);
        assert!(
            code == "AUTHENTICATION_ERROR" || (*status, code) == (401, "TOKEN_ERROR"),
            "{:?}",
            tally(&answers)
        );
    }
}

#[tokio::test]
async fn wrong_step_up_codes_lock_the_account_and_then_the_right_code_is_refused() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ])
    .await;
    let user = enrolled_user(&app, &python).await;
    let factor = totp_factor_id(&app, &user.token).await;
    outlast_recent_sign_in(&app);
    let delete = |code: String| {
        let path = format!("/api/v1/mfa/factors/{factor}?totp_code={code}");
        let token = user.token.clone();
        let app = &app;
        async move { rest(app, "DELETE", &path, Some(&token), Value::Null).await }
    };

    let answers = join_all((0..30).map(|_| delete(WRONG_CODE.to_owned()))).await;

    let guesses = checked(&answers, "MFA_REQUIRED");
    assert!((1..=3).contains(&guesses), "{:?}", tally(&answers));
    assert_rest_refused(&answers, "MFA_REQUIRED");
    let right = next_step_code(&app, &python, &user.uri).await;
    let (status, body) = delete(right).await;
    assert_eq!(
        (status, error_code(&body)),
        (423, "ACCOUNT_LOCKED"),
        "{body}"
    );
    assert_eq!(
        totp_factor_id(&app, &user.token).await,
        factor,
        "not deleted"
    );
}

#[tokio::test]
async fn adding_a_factor_needs_a_recent_sign_in() {
    let app = passkey_app().await;
    let email = unique_email("stolen");
    let token = access(&register(&app, &email).await);
    let enroll = |token: String| {
        let app = &app;
        async move {
            rest(
                app,
                "POST",
                "/api/v1/mfa/totp/enroll",
                Some(&token),
                json!({}),
            )
            .await
        }
    };
    let begin_passkey = |token: String| {
        let app = &app;
        async move {
            let path = "/api/v1/mfa/passkeys/register/options";
            rest(app, "POST", path, Some(&token), json!({})).await
        }
    };
    let (status, enrolment) = enroll(token.clone()).await;
    assert_eq!(status, 200, "a fresh sign-in enrols: {enrolment}");
    assert_eq!(begin_passkey(token.clone()).await.0, 200);

    outlast_recent_sign_in(&app);

    for (status, body) in [
        enroll(token.clone()).await,
        begin_passkey(token.clone()).await,
    ] {
        assert_eq!((status, error_code(&body)), (401, "MFA_REQUIRED"), "{body}");
    }
    let refused = app
        .mfa_client()
        .await
        .enroll_totp(authed(EnrollTotpRequest {}, &token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        refused.get_details_error_info().unwrap().reason,
        "MFA_REQUIRED"
    );
    // The enrolment begun before is as old as the sign-in now: it cannot be confirmed either.
    let factor_id = enrolment["factor_id"].as_str().unwrap();
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/mfa/totp/confirm",
        Some(&token),
        json!({"factor_id": factor_id, "totp_code": WRONG_CODE}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (401, "MFA_REQUIRED"), "{body}");

    let (_, signed_in) = login(&app, &email, PASSWORD).await;
    let fresh = access(&signed_in);
    assert_eq!(enroll(fresh.clone()).await.0, 200, "after a fresh sign-in");
    assert_eq!(begin_passkey(fresh).await.0, 200);
}

#[tokio::test]
async fn a_current_code_stands_in_for_a_recent_sign_in_when_adding_a_passkey() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = passkey_app().await;
    let user = enrolled_user(&app, &python).await;
    outlast_recent_sign_in(&app);
    let begin = |code: String| {
        rest(
            &app,
            "POST",
            "/api/v1/mfa/passkeys/register/options",
            Some(&user.token),
            json!({"name": "Laptop", "totp_code": code}),
        )
    };

    let (status, body) = begin(WRONG_CODE.to_owned()).await;
    assert_eq!((status, error_code(&body)), (401, "MFA_REQUIRED"), "{body}");
    let (status, body) = begin(next_step_code(&app, &python, &user.uri).await).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["options_json"].is_string());
}

#[tokio::test]
async fn the_code_that_confirmed_totp_never_signs_in() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;

    let id = challenge(&app, &user.email).await;
    let (status, body) = answer(&app, &id, json!({"totp_code": user.confirmed_with})).await;

    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "a replay of the confirming code: {body}"
    );
}

#[tokio::test]
async fn renaming_the_factor_does_not_make_a_used_code_usable_again() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;
    let path = format!(
        "/api/v1/mfa/factors/{}",
        totp_factor_id(&app, &user.token).await
    );
    let rename = |name: String| {
        rest(
            &app,
            "PATCH",
            &path,
            Some(&user.token),
            json!({"name": name}),
        )
    };
    let used = next_step_code(&app, &python, &user.uri).await;
    let id = challenge(&app, &user.email).await;

    // Renames racing the sign-in that uses the code must not write back an older step.
    let ((status, body), renames) = tokio::join!(
        answer(&app, &id, json!({"totp_code": used})),
        join_all((0..20).map(|n| rename(format!("Phone {n}"))))
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        renames.iter().all(|(status, _)| *status == 200),
        "{renames:?}"
    );
    let (status, renamed) = rename("Phone".to_owned()).await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (200, Some("Phone")),
        "{renamed}"
    );

    for code in [used, user.confirmed_with.clone()] {
        let id = challenge(&app, &user.email).await;
        let (status, body) = answer(&app, &id, json!({"totp_code": code})).await;
        assert_eq!(status, 401, "a replay after the rename: {body}");
    }
}

#[tokio::test]
async fn one_code_answers_only_one_of_two_challenges_at_once() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;
    let first = challenge(&app, &user.email).await;
    let second = challenge(&app, &user.email).await;
    let code = next_step_code(&app, &python, &user.uri).await;

    let answers =
        join_all([&first, &second].map(|id| answer(&app, id, json!({"totp_code": code.clone()}))))
            .await;

    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401], "{:?}", tally(&answers));
}
