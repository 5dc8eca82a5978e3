//! Passkeys through the real port, driven by a software authenticator (`authenticator`, no
//! code shared with the server's webauthn-rs): registration over gRPC and REST, the passkey
//! as a sign-in's second factor, and refusals (wrong origin or relying party id, reused
//! challenges, duplicate credentials, bad JSON). `login` covers passwordless sign-in.

pub mod authenticator;
pub mod login;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use janua::proto::janua::{
    auth::v1::GetCurrentUserRequest,
    mfa::v1::{
        BeginPasskeyRegistrationRequest, FactorStatus, FactorType,
        FinishPasskeyRegistrationRequest, ListFactorsRequest, UpdateFactorRequest,
        VerifyMfaChallengeRequest, verify_mfa_challenge_request::Answer,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

use self::authenticator::Authenticator;
use super::{
    auth::{PASSWORD, access, login, register, rest, unique_email},
    helpers::{TestApp, amr},
    users::{authed, error_code, id_of},
};

/// The page origin the software authenticator's "browser" reports; the app allows it.
pub const ORIGIN: &str = "https://localhost:8443";

/// Janua with the relying party `localhost` and `ORIGIN` allowed.
pub async fn passkey_app() -> TestApp {
    TestApp::spawn_with(&[
        ("WEBAUTHN_RP_ID", "localhost"),
        ("WEBAUTHN_ORIGINS", ORIGIN),
    ])
    .await
}

/// BeginPasskeyRegistration over REST: (challenge id, options JSON).
async fn registration_options(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let (status, begun) = rest(
        app,
        "POST",
        "/api/v1/mfa/passkeys/register/options",
        Some(token),
        json!({"name": name}),
    )
    .await;
    assert_eq!(status, 200, "{begun}");
    (
        begun["challenge_id"].as_str().unwrap().to_owned(),
        begun["options_json"].as_str().unwrap().to_owned(),
    )
}

/// FinishPasskeyRegistration over REST: (HTTP status, body).
async fn finish_registration(
    app: &TestApp,
    token: &str,
    challenge_id: &str,
    credential_json: &str,
) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/mfa/passkeys/register/verify",
        Some(token),
        json!({"challenge_id": challenge_id, "credential_json": credential_json}),
    )
    .await
}

/// Registers a passkey of `authenticator` for `token`'s user over REST; returns the response.
pub async fn register_passkey(
    app: &TestApp,
    token: &str,
    authenticator: &mut Authenticator,
) -> Value {
    let (challenge_id, options) = registration_options(app, token, "").await;
    let credential = authenticator.create(&options);
    let (status, body) = finish_registration(app, token, &challenge_id, &credential).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A new account with one passkey: (email, access token, user id, its authenticator).
pub async fn account_with_passkey(app: &TestApp) -> (String, String, String, Authenticator) {
    let email = unique_email("passkey");
    let registered = register(app, &email).await;
    let token = access(&registered);
    let mut authenticator = Authenticator::new(ORIGIN);
    register_passkey(app, &token, &mut authenticator).await;
    (email, token, id_of(&registered["user"]), authenticator)
}

/// How many audit events of `action` name `user_id` as actor.
pub async fn audited(app: &TestApp, action: &str, user_id: &str) -> usize {
    use janua::store::entities::audit_event;
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::ActorId.eq(user_id))
        .all(&app.app.db)
        .await
        .unwrap()
        .len()
}

fn reason(status: &tonic::Status) -> String {
    status.get_details_error_info().unwrap().reason
}

#[tokio::test]
async fn registering_a_passkey_over_grpc_turns_mfa_on_and_lists_it_by_name() {
    let app = passkey_app().await;
    let registered = register(&app, &unique_email("grpc-passkey")).await;
    let (token, user_id) = (access(&registered), id_of(&registered["user"]));
    assert_eq!(registered["user"]["mfa_enabled"], false);
    let mut mfa = app.mfa_client().await;
    let mut authenticator = Authenticator::new(ORIGIN);

    let begun = mfa
        .begin_passkey_registration(authed(
            BeginPasskeyRegistrationRequest {
                name: "YubiKey".into(),
                totp_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    // The PublicKeyCredentialCreationOptionsJSON object itself, not wrapped in `publicKey`.
    let options: Value = serde_json::from_str(&begun.options_json).unwrap();
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], registered["user"]["email"]);
    assert_eq!(
        options["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert!(options["challenge"].is_string() && options.get("publicKey").is_none());

    let credential_json = authenticator.create(&begun.options_json);
    let finished = mfa
        .finish_passkey_registration(authed(
            FinishPasskeyRegistrationRequest {
                challenge_id: begun.challenge_id,
                credential_json,
                name: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let factor = finished.factor.unwrap();
    assert_eq!(factor.name, "YubiKey");
    assert_eq!(factor.r#type(), FactorType::Passkey);
    assert_eq!(factor.status(), FactorStatus::Active);
    assert_eq!(finished.recovery_codes.len(), 10);
    assert_eq!(audited(&app, "mfa.passkey_registered", &user_id).await, 1);

    let me = app
        .auth_client()
        .await
        .get_current_user(authed(GetCurrentUserRequest {}, &token))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert!(me.mfa_enabled);

    mfa.update_factor(authed(
        UpdateFactorRequest {
            factor_id: factor.id.clone(),
            name: "Work laptop".into(),
        },
        &token,
    ))
    .await
    .unwrap();
    let listed = mfa
        .list_factors(authed(ListFactorsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .factors;
    let passkey = listed.iter().find(|f| f.id == factor.id).unwrap();
    assert_eq!(passkey.name, "Work laptop");
    assert_eq!(passkey.r#type(), FactorType::Passkey);
    assert!(
        listed
            .iter()
            .any(|f| f.r#type() == FactorType::RecoveryCodes)
    );

    // A second passkey: its options exclude the first; no new recovery codes.
    let (challenge_id, options) = registration_options(&app, &token, "Phone").await;
    let first_id = authenticator.last_credential_id();
    let excluded: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(excluded["excludeCredentials"][0]["id"], first_id.as_str());
    let credential = Authenticator::new(ORIGIN).create(&options);
    let (status, second) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["factor"]["name"], "Phone");
    assert_eq!(second["factor"]["type"], "FACTOR_TYPE_PASSKEY");
    assert_eq!(second["recovery_codes"], json!([]));
}

#[tokio::test]
async fn password_login_of_a_passkey_user_is_completed_by_an_assertion() {
    let app = passkey_app().await;
    let (email, _, user_id, mut authenticator) = account_with_passkey(&app).await;

    let (status, first) = login(&app, &email, PASSWORD).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.get("tokens").is_none(), "{first}");
    let challenge = &first["mfa_challenge"];
    assert!(
        challenge["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("passkey")),
        "{challenge}"
    );
    let options = challenge["passkey_options_json"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(options).unwrap();
    assert_eq!(
        parsed["allowCredentials"][0]["id"],
        authenticator.last_credential_id().as_str()
    );
    let challenge_id = challenge["challenge_id"].as_str().unwrap().to_owned();

    // An assertion made on another site does not answer it; the challenge stays open.
    let mut phished = authenticator.clone();
    phished.origin = "https://evil.example".into();
    let mut mfa = app.mfa_client().await;
    let refused = mfa
        .verify_mfa_challenge(VerifyMfaChallengeRequest {
            challenge_id: challenge_id.clone(),
            answer: Some(Answer::PasskeyAssertionJson(phished.get(options))),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(reason(&refused), "AUTHENTICATION_ERROR");

    let assertion = authenticator.get(options);
    let verify = |assertion: String| VerifyMfaChallengeRequest {
        challenge_id: challenge_id.clone(),
        answer: Some(Answer::PasskeyAssertionJson(assertion)),
    };
    let verified = mfa
        .verify_mfa_challenge(verify(assertion.clone()))
        .await
        .unwrap()
        .into_inner();
    let tokens = verified.tokens.unwrap();
    assert_eq!(amr(&tokens.access_token), json!(["pwd", "hwk"]));
    assert_eq!(verified.user.unwrap().id, user_id);
    // The same assertion again (a double click) finds the challenge used, not a clone.
    let again = mfa
        .verify_mfa_challenge(verify(assertion))
        .await
        .unwrap_err();
    assert_eq!(reason(&again), "TOKEN_ERROR");
    assert_eq!(
        audited(&app, "mfa.passkey_clone_detected", &user_id).await,
        0,
        "a double submission is not a clone"
    );

    // The same over REST.
    let (_, again) = login(&app, &email, PASSWORD).await;
    let challenge = &again["mfa_challenge"];
    let assertion = authenticator.get(challenge["passkey_options_json"].as_str().unwrap());
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/mfa/challenge/verify",
        None,
        json!({"challenge_id": challenge["challenge_id"], "passkey_assertion_json": assertion}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(amr(&access(&body)), json!(["pwd", "hwk"]));
}

#[tokio::test]
async fn registrations_from_a_wrong_origin_or_for_a_wrong_rp_id_are_refused() {
    let app = passkey_app().await;
    let token = access(&register(&app, &unique_email("phished")).await);

    let mut wrong_origin = Authenticator::new("https://localhost:9443");
    let (challenge_id, options) = registration_options(&app, &token, "").await;
    let credential = wrong_origin.create(&options);
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );

    let mut wrong_rp = Authenticator::new(ORIGIN);
    wrong_rp.rp_id_override = Some("evil.localhost".into());
    let (challenge_id, options) = registration_options(&app, &token, "").await;
    let credential = wrong_rp.create(&options);
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );

    let (status, me) = rest(&app, "GET", "/api/v1/auth/me", Some(&token), Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(me["mfa_enabled"], false, "{me}");
}

#[tokio::test]
async fn a_registration_challenge_is_single_use_and_bound_to_its_user() {
    let app = passkey_app().await;
    let token = access(&register(&app, &unique_email("once")).await);
    let other = access(&register(&app, &unique_email("other")).await);
    let mut authenticator = Authenticator::new(ORIGIN);

    let (challenge_id, options) = registration_options(&app, &token, "").await;
    let credential = authenticator.create(&options);
    let (status, body) = finish_registration(&app, &other, &challenge_id, &credential).await;
    assert_eq!((status, error_code(&body)), (401, "TOKEN_ERROR"), "{body}");

    let (challenge_id, options) = registration_options(&app, &token, "").await;
    let credential = authenticator.create(&options);
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!((status, error_code(&body)), (401, "TOKEN_ERROR"), "{body}");
}

#[tokio::test]
async fn registering_a_credential_id_that_exists_is_a_conflict() {
    let app = passkey_app().await;
    let (_, _, _, first) = account_with_passkey(&app).await;
    let taken = URL_SAFE_NO_PAD.decode(first.last_credential_id()).unwrap();

    let token = access(&register(&app, &unique_email("copycat")).await);
    let (challenge_id, options) = registration_options(&app, &token, "").await;
    let credential = Authenticator::new(ORIGIN).create_with_id(&options, taken);
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(
        (status, error_code(&body)),
        (409, "CONFLICT_ERROR"),
        "{body}"
    );
}

#[tokio::test]
async fn bad_credential_json_is_a_validation_error_naming_the_field() {
    let app = passkey_app().await;
    let token = access(&register(&app, &unique_email("badjson")).await);
    let (challenge_id, options) = registration_options(&app, &token, "").await;
    for bad in ["{", "{}", r#"{"id":"x","rawId":"x","type":"public-key"}"#] {
        let (status, body) = finish_registration(&app, &token, &challenge_id, bad).await;
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
    // Bad JSON does not use the ceremony up.
    let credential = Authenticator::new(ORIGIN).create(&options);
    let (status, body) = finish_registration(&app, &token, &challenge_id, &credential).await;
    assert_eq!(status, 200, "{body}");
}
