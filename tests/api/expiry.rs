//! Expiry on the server's clock: these tests move `app.clock` instead of sleeping. Tokens
//! expire by the clock on every backend (SQLite or PostgreSQL, in-process cache or Redis).

use std::time::Duration;

use serde_json::Value;

use super::{
    auth::{access, me_status, register, rest, rotate, unique_email},
    helpers::TestApp,
};

const MINUTE: Duration = Duration::from_secs(60);

fn refresh(body: &Value) -> String {
    body["tokens"]["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn access_token_expires_after_fifteen_minutes_and_refresh_renews_it() {
    let app = TestApp::spawn().await;
    let signed_up = register(&app, &unique_email("expiry")).await;
    let token = access(&signed_up);

    app.clock.advance(14 * MINUTE);
    assert_eq!(
        me_status(&app, &token).await,
        200,
        "still within 15 minutes"
    );

    // Past the 15 minutes and the minute of clock skew the keyring allows.
    app.clock.advance(2 * MINUTE + Duration::from_secs(1));
    let (status, body) = rest(&app, "GET", "/api/v1/auth/me", Some(&token), Value::Null).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "TOKEN_ERROR", "{body}");

    let (status, renewed) = rotate(&app, &refresh(&signed_up)).await;
    assert_eq!(status, 200, "{renewed}");
    let renewed_access = renewed["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(me_status(&app, renewed_access).await, 200);
}

#[tokio::test]
async fn refresh_token_expires_after_seven_days() {
    let app = TestApp::spawn().await;
    let signed_up = register(&app, &unique_email("expiry")).await;

    app.clock.advance(7 * 24 * 60 * MINUTE + MINUTE);
    let (status, body) = rotate(&app, &refresh(&signed_up)).await;

    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "TOKEN_ERROR", "{body}");
}
