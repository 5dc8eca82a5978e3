//! Passwordless sign-in with a passkey through the real port: discoverable (no email) over
//! REST, email first over gRPC, options that do not reveal whether an account exists, and the
//! refusals — a cloned authenticator's stale counter, a reused challenge, a wrong origin or
//! relying party id.

use janua::proto::janua::mfa::v1::{BeginPasskeyLoginRequest, FinishPasskeyLoginRequest};
use serde_json::{Value, json};

use super::{account_with_passkey, audited, authenticator::Authenticator, passkey_app};
use crate::{
    auth::{access, register, rest, unique_email},
    helpers::{TestApp, amr},
    users::error_code,
};

/// BeginPasskeyLogin over REST: (challenge id, options JSON).
async fn login_options(app: &TestApp, email: &str) -> (String, String) {
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/mfa/passkeys/login/options",
        None,
        json!({"email": email}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["challenge_id"].as_str().unwrap().to_owned(),
        body["options_json"].as_str().unwrap().to_owned(),
    )
}

/// FinishPasskeyLogin over REST: (HTTP status, body).
async fn finish_login(app: &TestApp, challenge_id: &str, credential_json: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/mfa/passkeys/login/verify",
        None,
        json!({"challenge_id": challenge_id, "credential_json": credential_json}),
    )
    .await
}

/// A whole discoverable sign-in with `authenticator`: (HTTP status, body).
pub async fn sign_in(app: &TestApp, authenticator: &mut Authenticator) -> (u16, Value) {
    let (challenge_id, options) = login_options(app, "").await;
    let assertion = authenticator.get(&options);
    finish_login(app, &challenge_id, &assertion).await
}

#[tokio::test]
async fn discoverable_sign_in_over_rest_opens_a_session_with_hwk() {
    let app = passkey_app().await;
    let (email, _, user_id, mut authenticator) = account_with_passkey(&app).await;

    let (challenge_id, options) = login_options(&app, "").await;
    let parsed: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(parsed["rpId"], "localhost");
    assert_eq!(parsed["allowCredentials"], json!([]));
    assert_eq!(parsed["userVerification"], "required");
    let (status, body) = finish_login(&app, &challenge_id, &authenticator.get(&options)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], email.as_str());
    assert_eq!(amr(&access(&body)), json!(["hwk"]));
    let (status, _) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(&access(&body)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(audited(&app, "mfa.passkey_login", &user_id).await, 1);
}

#[tokio::test]
async fn email_first_sign_in_over_grpc_offers_the_users_passkeys() {
    let app = passkey_app().await;
    let (email, _, user_id, mut authenticator) = account_with_passkey(&app).await;
    let mut mfa = app.mfa_client().await;

    let begun = mfa
        .begin_passkey_login(BeginPasskeyLoginRequest {
            email: email.to_uppercase(),
        })
        .await
        .unwrap()
        .into_inner();
    let options: Value = serde_json::from_str(&begun.options_json).unwrap();
    assert_eq!(
        options["allowCredentials"][0]["id"],
        authenticator.last_credential_id().as_str()
    );
    let finished = mfa
        .finish_passkey_login(FinishPasskeyLoginRequest {
            challenge_id: begun.challenge_id,
            credential_json: authenticator.get(&begun.options_json),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(finished.user.unwrap().id, user_id);
    assert_eq!(amr(&finished.tokens.unwrap().access_token), json!(["hwk"]));
}

#[tokio::test]
async fn email_first_options_do_not_tell_whether_the_account_exists() {
    let app = passkey_app().await;
    let (email, _, _, mut authenticator) = account_with_passkey(&app).await;
    let without_passkey = unique_email("no-passkey");
    register(&app, &without_passkey).await;

    let shape = |options: &str| {
        let options: Value = serde_json::from_str(options).unwrap();
        let mut keys: Vec<String> = options.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let credential_keys: Vec<Vec<String>> = options["allowCredentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let mut keys: Vec<String> = c.as_object().unwrap().keys().cloned().collect();
                keys.sort();
                keys
            })
            .collect();
        (keys, credential_keys, options["allowCredentials"].clone())
    };
    let (_, real) = login_options(&app, &email).await;
    let (real_keys, real_credential_keys, _) = shape(&real);
    // Several unknown addresses: same top-level shape, the same per-credential shape, and
    // the same credential ids each time the same address asks.
    let mut strangers: Vec<String> = (0..8).map(|_| unique_email("ghost")).collect();
    strangers.push(without_passkey);
    let mut offered = 0;
    for stranger in strangers {
        let (challenge_id, first) = login_options(&app, &stranger).await;
        let (_, second) = login_options(&app, &stranger).await;
        let (keys, credential_keys, ids) = shape(&first);
        offered += usize::from(!credential_keys.is_empty());
        assert_eq!(keys, real_keys, "{first} vs {real}");
        assert!(
            credential_keys
                .iter()
                .all(|k| *k == real_credential_keys[0]),
            "{first} vs {real}"
        );
        assert_eq!(ids, shape(&second).2, "decoys are stable");
        // No assertion signs a stranger in.
        let mut discoverable = authenticator.clone();
        let assertion = discoverable.get(&login_options(&app, "").await.1);
        let (status, body) = finish_login(&app, &challenge_id, &assertion).await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "AUTHENTICATION_ERROR"),
            "{body}"
        );
    }
    // Like real accounts, most strangers seem to have a passkey (some none, some several).
    assert!(
        offered >= 2,
        "{offered} of 9 strangers were offered credential ids"
    );
    // A malformed address is refused as such, whatever exists.
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/mfa/passkeys/login/options",
        None,
        json!({"email": "not-an-email"}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "VALIDATION_ERROR"),
        "{body}"
    );
    // The genuine passkey still works afterwards.
    let (status, body) = sign_in(&app, &mut authenticator).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_cloned_authenticator_with_a_stale_counter_is_refused_and_audited() {
    let app = passkey_app().await;
    let (email, _, user_id, mut original) = account_with_passkey(&app).await;
    let mut clone = original.clone();
    // An email-first ceremony the clone begins now, while the stored counter is still 0.
    let (early_challenge, early_options) = login_options(&app, &email).await;

    let (status, body) = sign_in(&app, &mut original).await; // counter 1
    assert_eq!(status, 200, "{body}");
    // The clone's counter is 1 too: not above the stored one.
    let (status, body) = sign_in(&app, &mut clone).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );
    assert_eq!(
        audited(&app, "mfa.passkey_clone_detected", &user_id).await,
        1
    );

    let (status, body) = sign_in(&app, &mut original).await; // counter 2
    assert_eq!(status, 200, "{body}");
    // Counter 2 for the clone, against a ceremony begun when the stored counter was 0: the
    // counter stored now (2) decides, not the one the ceremony saw.
    let assertion = clone.get(&early_options);
    let (status, body) = finish_login(&app, &early_challenge, &assertion).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );
    assert_eq!(
        audited(&app, "mfa.passkey_clone_detected", &user_id).await,
        2
    );

    let (status, body) = sign_in(&app, &mut original).await; // counter 3
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_login_challenge_is_single_use() {
    let app = passkey_app().await;
    let (_, _, _, mut authenticator) = account_with_passkey(&app).await;
    let (challenge_id, options) = login_options(&app, "").await;
    let assertion = authenticator.get(&options);
    let (status, body) = finish_login(&app, &challenge_id, &assertion).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = finish_login(&app, &challenge_id, &assertion).await;
    assert_eq!((status, error_code(&body)), (401, "TOKEN_ERROR"), "{body}");
    // A fresh assertion does not revive it either.
    let (status, body) = finish_login(&app, &challenge_id, &authenticator.get(&options)).await;
    assert_eq!((status, error_code(&body)), (401, "TOKEN_ERROR"), "{body}");
    let (status, body) =
        finish_login(&app, "0190ffff-0000-7000-8000-000000000000", &assertion).await;
    assert_eq!((status, error_code(&body)), (401, "TOKEN_ERROR"), "{body}");
}

#[tokio::test]
async fn an_assertion_from_a_wrong_origin_is_refused() {
    let app = passkey_app().await;
    let (_, _, _, mut authenticator) = account_with_passkey(&app).await;
    for origin in [
        "https://evil.example",
        "http://localhost:8443",
        "https://localhost:8444",
    ] {
        let mut phished = authenticator.clone();
        phished.origin = origin.into();
        let (status, body) = sign_in(&app, &mut phished).await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "AUTHENTICATION_ERROR"),
            "{origin}: {body}"
        );
    }
    let (status, body) = sign_in(&app, &mut authenticator).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_assertion_for_a_wrong_rp_id_is_refused() {
    let app = passkey_app().await;
    let (email, _, _, authenticator) = account_with_passkey(&app).await;
    let mut wrong_rp = authenticator.clone();
    wrong_rp.rp_id_override = Some("evil.localhost".into());
    let (challenge_id, options) = login_options(&app, &email).await;
    let (status, body) = finish_login(&app, &challenge_id, &wrong_rp.get(&options)).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );
}

#[tokio::test]
async fn bad_assertion_json_is_a_validation_error_naming_the_field() {
    let app = passkey_app().await;
    let (challenge_id, _) = login_options(&app, "").await;
    let (status, body) = finish_login(&app, &challenge_id, r#"{"type":"public-key"}"#).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "VALIDATION_ERROR"),
        "{body}"
    );
    assert_eq!(
        body["error"]["details"][1]["field_violations"][0]["field"], "credential_json",
        "{body}"
    );
}
