//! The generic webhook SMS provider through the real port: the code goes to an operator's
//! gateway (the stand-in of `twilio.rs` playing one) as the documented JSON `{"to", "body"}`,
//! signed with `SMS_WEBHOOK_SECRET` in `X-Janua-Signature`; a gateway refusing the signature
//! (401) leaves the code in the outbox, delivered once the secrets agree; the sign-in completes
//! with the texted code.

use std::time::Duration;

use janua::store::entities::sms_message;
use sea_orm::EntityTrait;
use serde_json::json;

use super::{
    helpers::{TestApp, amr},
    otp_codes::{answer, challenge_of, confirm_sms, enroll_sms, pass_cooldown, send_code},
    twilio::TwilioStandIn,
};

const SECRET: &str = "the-operators-webhook-secret";

#[tokio::test]
async fn a_webhook_gateway_gets_signed_json_keeps_a_refused_code_and_the_sign_in_completes() {
    let Some(mut gateway) = TwilioStandIn::start_as_webhook("another-secret") else {
        return;
    };
    let settings = gateway.webhook_vars(SECRET);
    let mut vars: Vec<(&str, &str)> = settings.iter().map(|(n, v)| (*n, v.as_str())).collect();
    vars.push(("MFA_CODE_RESEND_SECONDS", "1"));
    let app = TestApp::spawn_with(&vars).await;
    let user = app.signed_in_user("webhook").await;
    let number = "+14155550163";

    // The gateway checks another secret: it answers 401 and the code waits in the outbox.
    let (status, enrolled) = enroll_sms(&app, &user, number).await;
    assert_eq!(status, 200, "{enrolled}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let row = loop {
        let rows = sms_message::Entity::find().all(&app.app.db).await.unwrap();
        if let Some(row) = rows.into_iter().find(|row| row.attempts > 0) {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.status, "pending");
    assert!(
        row.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("401"),
        "{:?}",
        row.last_error
    );
    assert_eq!(gateway.refused_signatures(), 1);
    assert!(gateway.received().is_empty());

    // The gateway now checks Janua's secret: the retry delivers the same code.
    gateway.restart_checking(SECRET);
    app.clock.advance(Duration::from_secs(10));
    let code = gateway.wait_for_webhook_code(number).await;
    let factor_id = enrolled["factor_id"].as_str().unwrap();
    let (status, body) = confirm_sms(&app, &user, factor_id, &code).await;
    assert_eq!(status, 200, "{body}");

    // Sign-in: the challenge's code goes through the gateway too, and answers it.
    pass_cooldown(&app).await;
    let challenge = challenge_of(&app, &user.email).await;
    assert_eq!(
        challenge["code_destinations"][0]["method"], "sms",
        "{challenge}"
    );
    let (status, sent) = send_code(&app, &challenge).await;
    assert_eq!(status, 200, "{sent}");
    let code = gateway.wait_for_webhook_code(number).await;
    let (status, signed_in) = answer(&app, &challenge, &code).await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(
        amr(signed_in["tokens"]["access_token"].as_str().unwrap()),
        json!(["pwd", "sms"])
    );
    assert_eq!(
        gateway.refused_signatures(),
        1,
        "every later request was signed right"
    );
}
