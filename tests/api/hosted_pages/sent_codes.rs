//! The second-factor step of the hosted pages with a code sent by email: a button per
//! destination (masked) sends the code under the same cooldown as SendMfaCode, the code
//! answers the challenge on the magic-link page, and wrong codes show an error and count
//! toward the account lock.

use serde_json::json;

use super::{Answer, Browser, mailed_link, nth_mail_text, sign_in::opened_nth_magic_link};
use crate::{
    auth::{PASSWORD, login, rest},
    fixtures::User,
    helpers::TestApp,
    otp_codes::pass_cooldown,
    twilio::code_in,
};

/// The code of the `n`th sign-in-code mail to `to` (from 1), waiting for it.
async fn mailed_code(app: &TestApp, to: &str, n: usize) -> String {
    code_in(&nth_mail_text(app, to, "sign-in code", n).await)
}

/// A user whose only second factor is an emailed code.
async fn user_with_an_email_factor(app: &TestApp) -> User {
    let user = app.signed_in_user("pagecode").await;
    let mut browser = Browser::new(app);
    let page = browser
        .open(&mailed_link(app, &user.email, "Verify your email").await)
        .await;
    let verified = browser.submit(&page, "/verify-email", &[]).await;
    assert_eq!(verified.status, 200, "{}", verified.html);
    let body = json!({"email": user.email});
    let (status, enrolled) = rest(
        app,
        "POST",
        "/api/v1/mfa/email/enroll",
        Some(&user.token),
        body,
    )
    .await;
    assert_eq!(status, 200, "{enrolled}");
    let code = mailed_code(app, &user.email, 1).await;
    let body = json!({"factor_id": enrolled["factor_id"], "otp_code": code});
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/mfa/email/confirm",
        Some(&user.token),
        body,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    user
}

/// Opens the `n`th magic link and presses its button: the second-factor page, and the browser.
async fn challenge_page<'a>(app: &'a TestApp, user: &User, n: usize) -> (Browser<'a>, Answer) {
    let (browser, page) = opened_nth_magic_link(app, &user.email, n).await;
    let challenge = browser.submit(&page, "/magic-link", &[]).await;
    assert_eq!(challenge.status, 200, "{}", challenge.html);
    (browser, challenge)
}

#[tokio::test]
async fn an_emailed_code_signs_in_on_the_magic_link_page_and_wrong_codes_count_toward_the_lock() {
    let app = TestApp::spawn_with(&[
        ("MFA_EMAIL_ENABLED", "true"),
        ("MFA_CODE_RESEND_SECONDS", "1"),
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ])
    .await;
    let user = user_with_an_email_factor(&app).await;
    pass_cooldown(&app).await;

    let (browser, challenge) = challenge_page(&app, &user, 1).await;
    assert!(
        !challenge.html.contains("signed in as"),
        "{}",
        challenge.html
    );
    assert!(
        challenge.html.contains("•••@"),
        "masked: {}",
        challenge.html
    );
    assert!(!challenge.html.contains(&user.email), "{}", challenge.html);
    assert!(!challenge.has_field("otp_code"), "no code was sent yet");
    let factor = challenge.field("send_code_to");

    let sent = browser
        .submit(&challenge, "/magic-link", &[("send_code_to", &factor)])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    assert!(sent.html.contains("We sent a code to"), "{}", sent.html);
    assert!(sent.has_field("otp_code"));
    let code = mailed_code(&app, &user.email, 2).await;

    // The same cooldown as SendMfaCode: a second press at once sends nothing.
    let again = browser
        .submit(&sent, "/magic-link", &[("send_code_to", &factor)])
        .await;
    assert_eq!(again.status, 429, "{}", again.html);
    assert!(again.html.contains("Too many attempts"), "{}", again.html);

    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = browser
        .submit(&sent, "/magic-link", &[("otp_code", wrong_code)])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.html);
    assert!(
        wrong.html.contains("That code is not right."),
        "{}",
        wrong.html
    );
    assert!(
        wrong
            .input_tag("otp_code")
            .contains("aria-invalid=\"true\"")
    );
    let signed_in = browser
        .submit(&wrong, "/magic-link", &[("otp_code", &code)])
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.html);
    assert!(
        signed_in
            .html
            .contains(&format!("You are signed in as {}.", user.email)),
        "{}",
        signed_in.html
    );

    // Wrong codes on the page are failed sign-ins like wrong passwords: three lock the account.
    pass_cooldown(&app).await;
    let (browser, challenge) = challenge_page(&app, &user, 2).await;
    let mut page = browser
        .submit(&challenge, "/magic-link", &[("send_code_to", &factor)])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let code = mailed_code(&app, &user.email, 3).await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        if !page.has_field("challenge_id") {
            break; // the lock ended the challenge
        }
        page = browser
            .submit(&page, "/magic-link", &[("otp_code", wrong_code)])
            .await;
        assert!(matches!(page.status, 401 | 423), "{}", page.html);
    }
    let (status, body) = login(&app, &user.email, PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (423, Some("ACCOUNT_LOCKED")),
        "{body}"
    );
}
