//! One-time codes sent by SMS (to a stand-in speaking Twilio's Messages API) and by email
//! (through the real SMTP test sink) as second factors, through the real port: enrolment,
//! sign-in over REST and gRPC with the `amr` RFC 8176 names, and every refusal — a replayed,
//! expired or sixth-answered code, a resend inside the cooldown (also when sent at once), a
//! country outside the allow-list, SMS when off — a provider that is down, and no number or
//! code stored in the clear.

use std::time::Duration;

use janua::proto::janua::{
    auth::v1::LoginRequest,
    mfa::v1::{
        SendMfaCodeRequest, VerifyMfaChallengeRequest, verify_mfa_challenge_request::Answer,
    },
};
use serde_json::{Value, json};
use tonic::Request;

use super::{
    auth::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, dump_database, login, rest},
    fixtures::User,
    helpers::{TestApp, amr},
    smtp::{SmtpSink, link_token},
    twilio::{TwilioStandIn, code_in},
};

pub fn reason(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    rest(app, "POST", path, token, body).await
}

/// Enrolls `number` for `user`; (status, body).
pub async fn enroll_sms(app: &TestApp, user: &User, number: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/mfa/sms/enroll",
        Some(&user.token),
        json!({"phone_number": number}),
    )
    .await
}

pub async fn confirm_sms(app: &TestApp, user: &User, factor_id: &str, code: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/mfa/sms/confirm",
        Some(&user.token),
        json!({"factor_id": factor_id, "otp_code": code}),
    )
    .await
}

/// Signs in with the password: the MFA challenge.
pub async fn challenge_of(app: &TestApp, email: &str) -> Value {
    let (status, body) = login(app, email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    body["mfa_challenge"].clone()
}

pub async fn send_code(app: &TestApp, challenge: &Value) -> (u16, Value) {
    post(
        app,
        "/api/v1/mfa/challenge/send-code",
        None,
        json!({
            "challenge_id": challenge["challenge_id"],
            "factor_id": challenge["code_destinations"][0]["factor_id"],
        }),
    )
    .await
}

/// Waits out a 1-second resend cooldown: on Redis's clock and on the server's.
pub async fn pass_cooldown(app: &TestApp) {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.clock.advance(Duration::from_secs(2));
}

pub async fn answer(app: &TestApp, challenge: &Value, code: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/mfa/challenge/verify",
        None,
        json!({"challenge_id": challenge["challenge_id"], "otp_code": code}),
    )
    .await
}

#[tokio::test]
async fn a_texted_code_signs_in_over_rest_and_grpc_once_and_nothing_is_stored_in_the_clear() {
    let Some(mut twilio) = TwilioStandIn::start() else {
        return;
    };
    let mut vars = twilio.vars();
    vars.push(("MFA_CODE_RESEND_SECONDS", "1"));
    let app = TestApp::spawn_with(&vars).await;
    let user = app.signed_in_user("sms").await;
    let number = "+14155550142";
    let mut codes = Vec::new();

    let (status, enrolled) = enroll_sms(&app, &user, " +1 (415) 555-0142").await;
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["masked_destination"], "+1 ••• ••• ••42");
    let factor_id = enrolled["factor_id"].as_str().unwrap().to_owned();
    codes.push(twilio.wait_for_code(number).await);
    let (status, confirmed) = confirm_sms(&app, &user, &factor_id, &codes[0]).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["recovery_codes"].as_array().unwrap().len(), 10);

    // REST: the challenge offers the number, masked; the texted code signs in once.
    pass_cooldown(&app).await;
    let challenge = challenge_of(&app, &user.email).await;
    assert!(
        challenge["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("sms")),
        "{challenge}"
    );
    assert_eq!(
        challenge["code_destinations"],
        json!([{"factor_id": factor_id, "method": "sms", "masked_destination": "+1 ••• ••• ••42"}])
    );
    let (status, sent) = send_code(&app, &challenge).await;
    assert_eq!(status, 200, "{sent}");
    codes.push(twilio.wait_for_code(number).await);
    let (status, signed_in) = answer(&app, &challenge, &codes[1]).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(
        amr(signed_in["tokens"]["access_token"].as_str().unwrap()),
        json!(["pwd", "sms"])
    );
    let (status, body) = answer(&app, &challenge, &codes[1]).await;
    assert_eq!((status, reason(&body)), (401, "TOKEN_ERROR"), "{body}");

    // A used code does not answer a new challenge: only that challenge's own code does.
    pass_cooldown(&app).await;
    let challenge = challenge_of(&app, &user.email).await;
    assert_eq!(send_code(&app, &challenge).await.0, 200);
    codes.push(twilio.wait_for_code(number).await);
    let (status, body) = answer(&app, &challenge, &codes[1]).await;
    assert_eq!(
        (status, reason(&body)),
        (401, "AUTHENTICATION_ERROR"),
        "{body}"
    );
    assert_eq!(answer(&app, &challenge, &codes[2]).await.0, 200);

    // gRPC: the same steps.
    pass_cooldown(&app).await;
    let login = app
        .auth_client()
        .await
        .login(Request::new(LoginRequest {
            email: user.email.clone(),
            password: PASSWORD.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let challenge = login.mfa_challenge.unwrap();
    assert_eq!(challenge.code_destinations[0].method, "sms");
    let mut mfa = app.mfa_client().await;
    let sent = mfa
        .send_mfa_code(Request::new(SendMfaCodeRequest {
            challenge_id: challenge.challenge_id.clone(),
            factor_id: challenge.code_destinations[0].factor_id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.masked_destination, "+1 ••• ••• ••42");
    codes.push(twilio.wait_for_code(number).await);
    let signed_in = mfa
        .verify_mfa_challenge(Request::new(VerifyMfaChallengeRequest {
            challenge_id: challenge.challenge_id,
            answer: Some(Answer::OtpCode(codes[3].clone())),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        amr(&signed_in.tokens.unwrap().access_token),
        json!(["pwd", "sms"])
    );

    let dump = dump_database(&app).await;
    assert!(dump.contains(&user.email), "the dump is real");
    for secret in codes
        .iter()
        .map(String::as_str)
        .chain([number, "4155550142"])
    {
        assert!(!dump.contains(secret), "{secret} is stored in the clear");
    }
}

#[tokio::test]
async fn an_emailed_code_signs_in_through_smtp_and_sms_is_refused_while_off() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut vars = sink.vars().to_vec();
    vars.push(("MFA_CODE_RESEND_SECONDS", "1"));
    let app = TestApp::spawn_with(&vars).await;
    let user = app.signed_in_user("emailcode").await;
    let enroll = || {
        post(
            &app,
            "/api/v1/mfa/email/enroll",
            Some(&user.token),
            json!({"email": user.email}),
        )
    };

    let (status, body) = enroll().await;
    assert_eq!(
        (status, reason(&body)),
        (403, "EMAIL_NOT_VERIFIED"),
        "{body}"
    );
    let verification = sink.wait_for(&user.email).await;
    let (status, body) = post(
        &app,
        "/api/v1/auth/email/verify",
        None,
        json!({"token": link_token(&verification.text)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, enrolled) = enroll().await;
    assert_eq!(status, 200, "{enrolled}");
    assert!(
        enrolled["masked_destination"]
            .as_str()
            .unwrap()
            .contains("•••@")
    );
    let mail = sink.wait_for(&user.email).await;
    assert!(mail.subject.contains("sign-in code"), "{}", mail.subject);
    let (status, body) = post(
        &app,
        "/api/v1/mfa/email/confirm",
        Some(&user.token),
        json!({"factor_id": enrolled["factor_id"], "otp_code": code_in(&mail.text)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    pass_cooldown(&app).await;
    let challenge = challenge_of(&app, &user.email).await;
    assert_eq!(
        challenge["code_destinations"][0]["method"], "email",
        "{challenge}"
    );
    assert_eq!(send_code(&app, &challenge).await.0, 200);
    let code = code_in(&sink.wait_for(&user.email).await.text);
    let (status, signed_in) = answer(&app, &challenge, &code).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(
        amr(signed_in["tokens"]["access_token"].as_str().unwrap()),
        json!(["pwd", "otp"])
    );

    let (status, body) = enroll_sms(&app, &user, "+14155550142").await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
    assert!(body.to_string().contains("turned off"), "{body}");
}

#[tokio::test]
async fn codes_are_refused_from_other_countries_inside_the_cooldown_expired_and_past_five_answers()
{
    let Some(mut twilio) = TwilioStandIn::start() else {
        return;
    };
    let mut vars = twilio.vars();
    vars.extend([
        ("LOGIN_DELAY_AFTER_FAILURES", "8"),
        ("LOGIN_LOCK_AFTER_FAILURES", "8"),
        ("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
    ]);
    let app = TestApp::spawn_with(&vars).await;
    let user = app.signed_in_user("refusals").await;

    // An administrator without an app or passkey: SMS would be the only factor.
    let (admin_token, _) = app.admin_session().await;
    let (status, body) = post(
        &app,
        "/api/v1/mfa/sms/enroll",
        Some(&admin_token),
        json!({"phone_number": "+14155550111"}),
    )
    .await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
    assert!(body.to_string().contains("administrator"), "{body}");

    for (number, country) in [("+4915112345678", "DE"), ("+18765550142", "JM")] {
        let (status, body) = enroll_sms(&app, &user, number).await;
        assert_eq!(
            (status, reason(&body)),
            (400, "VALIDATION_ERROR"),
            "{country}: {body}"
        );
    }
    assert_eq!(enroll_sms(&app, &user, "not a number").await.0, 400);

    // A Canadian number: one code, then the cooldown.
    assert_eq!(enroll_sms(&app, &user, "+14165550142").await.0, 200);
    twilio.wait_for_code("+14165550142").await;
    let (status, body) = enroll_sms(&app, &user, "+14165550142").await;
    assert_eq!((status, reason(&body)), (429, "RATE_LIMIT_ERROR"), "{body}");

    // Sent at once to one number, four requests get one code.
    let number = "+14155550177";
    let answers = futures::future::join_all((0..4).map(|_| enroll_sms(&app, &user, number))).await;
    let passed: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(passed.len(), 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 429),
        "{answers:?}"
    );
    let factor_id = passed[0]["factor_id"].as_str().unwrap().to_owned();
    let code = twilio.wait_for_code(number).await;

    // Five minutes on the server's clock: expired. (Failure 1.)
    app.clock.advance(Duration::from_secs(5 * 60 + 1));
    let (status, body) = confirm_sms(&app, &user, &factor_id, &code).await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");

    // A fresh code: five wrong answers, then the right one is the sixth and refused.
    let number = "+14155550188";
    let (status, enrolled) = enroll_sms(&app, &user, number).await;
    assert_eq!(status, 200, "{enrolled}");
    let factor_id = enrolled["factor_id"].as_str().unwrap().to_owned();
    let code = twilio.wait_for_code(number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(confirm_sms(&app, &user, &factor_id, wrong).await.0, 400);
    }
    let (status, body) = confirm_sms(&app, &user, &factor_id, &code).await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");

    // Those were failures 2 to 7, counted like TOTP answers: the eighth locks the account.
    assert_eq!(confirm_sms(&app, &user, &factor_id, wrong).await.0, 400);
    let (status, body) = login(&app, &user.email, PASSWORD).await;
    assert_eq!((status, reason(&body)), (423, "ACCOUNT_LOCKED"), "{body}");
}

#[tokio::test]
async fn a_code_requested_while_the_provider_is_down_arrives_when_it_is_back() {
    use janua::store::entities::sms_message;
    use sea_orm::EntityTrait;
    let Some(mut twilio) = TwilioStandIn::start() else {
        return;
    };
    let app = TestApp::spawn_with(&twilio.vars()).await;
    let user = app.signed_in_user("down").await;
    twilio.stop();

    let number = "+14155550101";
    let (status, enrolled) = enroll_sms(&app, &user, number).await;
    assert_eq!(status, 200, "{enrolled}");
    // The worker tries once and fails: the message waits in the outbox, sealed.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rows = sms_message::Entity::find().all(&app.app.db).await.unwrap();
        if rows.iter().any(|row| row.attempts > 0) {
            assert_eq!(rows[0].status, "pending");
            assert!(
                !rows[0]
                    .last_error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("555")
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    twilio.restart();
    app.clock.advance(Duration::from_secs(10));
    let code = twilio.wait_for_code(number).await;
    let factor_id = enrolled["factor_id"].as_str().unwrap();
    let (status, body) = confirm_sms(&app, &user, factor_id, &code).await;
    assert_eq!(status, 200, "{body}");
}
