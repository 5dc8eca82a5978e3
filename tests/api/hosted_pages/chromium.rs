//! The reset page in a real browser with JavaScript off: Debian's headless Chromium, driven
//! by playwright-core (`tests/peers/reset_password_in_chromium.mjs`). It checks what no
//! hand-made request can: that a real browser's form POST (under the page's
//! `Referrer-Policy: no-referrer` it sends `Origin: null`, and `Sec-Fetch-Site`) passes the
//! form guard, with the cookie the page set.

use std::path::Path;

use serde_json::{Value, json};

use super::{NEW_PASSWORD, mailed_link};
use crate::{
    auth::{login, register, rest, unique_email},
    helpers::TestApp,
};

/// Chromium and playwright-core, when both are installed (tests/run installs them).
fn browser_available() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = Path::new("/usr/bin/chromium").exists()
        && root.join("node_modules/playwright-core").exists();
    if !found {
        assert!(
            std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
            "Chromium and playwright-core are required when JANUA_TEST_REQUIRE_PEERS is set (tests/run installs them)"
        );
        eprintln!("skipped: no Chromium or playwright-core");
    }
    found
}

#[tokio::test]
async fn the_reset_page_works_in_chromium_with_javascript_off() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let email = unique_email("chromium");
    register(&app, &email).await;
    let (status, _) = rest(
        &app,
        "POST",
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": email}),
    )
    .await;
    assert_eq!(status, 200);
    let link = mailed_link(&app, &email, "Reset your password").await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/peers/reset_password_in_chromium.mjs"))
        .args([link.as_str(), NEW_PASSWORD])
        .current_dir(root)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let page: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(page["heading"], "Password changed", "{page}");
    assert_eq!(login(&app, &email, NEW_PASSWORD).await.0, 200);
}
