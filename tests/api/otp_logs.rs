//! No phone number or sign-in code in the clear in the log of a real `janua serve` (its log
//! piped to a file) at debug level, and trace for Janua itself, while an SMS factor is
//! enrolled through the Twilio stand-in, a sign-in is answered with a texted code, and a
//! delivery fails (the stand-in down) and succeeds on the retry. The masked form may appear.

use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use super::{
    auth::{PASSWORD, unique_email},
    faults::Node,
    helpers::{JanuaProcess, TestApp},
    twilio::TwilioStandIn,
};

const NUMBER: &str = "+14155550199";

/// Waits until the log has a line containing `text`.
async fn wait_for_line(log: &Path, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(log).unwrap().contains(text) {
        assert!(
            std::time::Instant::now() < deadline,
            "no log line with {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where `code` stands in `log` as a number of its own: not inside a longer run of letters or
/// digits, and not a timestamp's fraction of a second (`…:52.123456Z`).
fn standalone_at(log: &str, code: &str) -> Vec<usize> {
    let bytes = log.as_bytes();
    log.match_indices(code)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + code.len()).copied();
            !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.')
                && !after.is_some_and(|b| b.is_ascii_alphanumeric())
        })
        .collect()
}

#[tokio::test]
async fn no_number_or_code_is_logged_while_texting_failing_and_signing_in() {
    let Some(mut twilio) = TwilioStandIn::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("janua.log");
    let mut vars = twilio.vars();
    vars.extend([
        ("MFA_CODE_RESEND_SECONDS", "1"),
        ("RUST_LOG", "debug,janua=trace"),
    ]);
    let process =
        JanuaProcess::start_beside_logging_to(&app, &vars, std::fs::File::create(&log).unwrap())
            .await;
    let node = Node::of_process(&process);
    let email = unique_email("quietlog");
    node.register(&email).await;
    let token = node.session(&email).await;
    let mut codes = Vec::new();

    let (status, enrolled) = node
        .post(
            "/api/v1/mfa/sms/enroll",
            Some(&token),
            json!({"phone_number": "+1 (415) 555-0199"}),
        )
        .await;
    assert_eq!(status, 200, "{enrolled}");
    codes.push(twilio.wait_for_code(NUMBER).await);
    let confirm = json!({"factor_id": enrolled["factor_id"], "otp_code": codes[0]});
    let (status, body) = node
        .post("/api/v1/mfa/sms/confirm", Some(&token), confirm)
        .await;
    assert_eq!(status, 200, "{body}");

    // Sign-in: the provider is down for the first attempt, back for the retry.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let login = json!({"email": email, "password": PASSWORD});
    let (status, body) = node.post("/api/v1/auth/login", None, login).await;
    assert_eq!(status, 200, "{body}");
    let challenge: &Value = &body["mfa_challenge"];
    twilio.stop();
    let send = json!({
        "challenge_id": challenge["challenge_id"],
        "factor_id": challenge["code_destinations"][0]["factor_id"],
    });
    let (status, sent) = node
        .post("/api/v1/mfa/challenge/send-code", None, send)
        .await;
    assert_eq!(status, 200, "{sent}");
    wait_for_line(&log, "SMS delivery failed, will retry").await;
    twilio.restart();
    codes.push(twilio.wait_for_code(NUMBER).await);
    let verify = json!({"challenge_id": challenge["challenge_id"], "otp_code": codes[1]});
    let (status, signed_in) = node
        .post("/api/v1/mfa/challenge/verify", None, verify)
        .await;
    assert_eq!(status, 200, "{signed_in}");
    wait_for_line(&log, "/api/v1/mfa/challenge/verify").await;

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(" DEBUG ") && text.contains("text message handed to the SMS provider"),
        "the log is real and verbose: {text}"
    );
    for secret in [NUMBER, "4155550199", "415) 555-0199"] {
        assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
    }
    for code in &codes {
        let places = standalone_at(&text, code);
        assert!(
            places.is_empty(),
            "the code {code} is in the log at {places:?}:\n{text}"
        );
    }
}
