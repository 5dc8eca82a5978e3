//! The magic link and invitation pages: signing in on the button, the second factor when the
//! account has one (never a sign-in on the link alone), an invitation accepted only by its
//! address, and the invitation page's sign-in counting toward the same lock as Login.

use serde_json::{Value, json};

use super::{Answer, Browser, assert_refused, link_in, mailed_link, me, nth_mail_text};
use crate::{
    auth::{PASSWORD, access, login, register, rest, unique_email},
    helpers::{TestApp, python_with},
    mfa::{enrolled_user, next_step_code},
};

/// Sends a magic link to `email` and opens it: the browser and the page with the button.
async fn opened_magic_link<'a>(app: &'a TestApp, email: &str) -> (Browser<'a>, Answer) {
    opened_nth_magic_link(app, email, 1).await
}

/// Sends the `n`th magic link (from 1) to `email` and opens it.
pub(super) async fn opened_nth_magic_link<'a>(
    app: &'a TestApp,
    email: &str,
    n: usize,
) -> (Browser<'a>, Answer) {
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/auth/magic-link",
        None,
        json!({"email": email}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let link = link_in(&nth_mail_text(app, email, "sign-in link", n).await);
    let mut browser = Browser::new(app);
    let page = browser.open(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    (browser, page)
}

#[tokio::test]
async fn magic_link_signs_in_on_the_button_and_leaves_no_session_behind() {
    let app = TestApp::spawn().await;
    let email = unique_email("magic");
    let token = access(&register(&app, &email).await);
    let (browser, page) = opened_magic_link(&app, &email).await;
    let reopened = Browser::new(&app)
        .open(&format!("/magic-link?token={}", page.field("token")))
        .await;
    assert_eq!(reopened.status, 200, "a GET spends nothing");

    let signed_in = browser.submit(&page, "/magic-link", &[]).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.html);
    assert!(
        signed_in
            .html
            .contains(&format!("You are signed in as {email}.")),
        "{}",
        signed_in.html
    );
    assert_eq!(
        me(&app, &token).await["email_verified"],
        true,
        "the link proved the mailbox"
    );
    let (_, sessions) = rest(
        &app,
        "GET",
        "/api/v1/auth/sessions",
        Some(&token),
        Value::Null,
    )
    .await;
    assert_eq!(
        sessions["sessions"].as_array().unwrap().len(),
        1,
        "the page's session was ended (only registration's is left): {sessions}"
    );
    let spent = browser.submit(&page, "/magic-link", &[]).await;
    assert_refused(&spent, 401, "already used");
}

#[tokio::test]
async fn accounts_with_a_second_factor_answer_it_on_the_magic_link_and_invitation_pages() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    let user = enrolled_user(&app, &python).await;
    let (browser, page) = opened_magic_link(&app, &user.email).await;
    let challenge = browser.submit(&page, "/magic-link", &[]).await;
    assert_eq!(challenge.status, 200, "{}", challenge.html);
    assert!(
        !challenge.html.contains("signed in as"),
        "never on the link alone: {}",
        challenge.html
    );
    assert!(challenge.has_field("totp_code") && challenge.has_field("recovery_code"));
    assert!(!challenge.field("challenge_id").is_empty());

    let wrong = browser
        .submit(&challenge, "/magic-link", &[("totp_code", "000000")])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.html);
    assert!(
        wrong
            .input_tag("totp_code")
            .contains("aria-describedby=\"totp_code-error totp_code-hint\"")
    );
    assert!(wrong.html.contains("That code is not right."));
    let code = next_step_code(&app, &python, &user.uri).await;
    let signed_in = browser
        .submit(&wrong, "/magic-link", &[("totp_code", &code)])
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.html);
    assert!(
        signed_in
            .html
            .contains(&format!("You are signed in as {}.", user.email))
    );

    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Second Factor Inc").await;
    invite(&app, &owner.token, &org, &user.email).await;
    let mut browser = Browser::new(&app);
    let page = browser
        .open(&mailed_link(&app, &user.email, "You are invited").await)
        .await;
    let challenge = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &user.email), ("password", PASSWORD)],
        )
        .await;
    assert!(challenge.has_field("recovery_code"), "{}", challenge.html);
    assert_eq!(
        challenge.field("token"),
        page.field("token"),
        "the invitation rides along"
    );
    let joined = browser
        .post(
            "/accept-invitation",
            &[
                ("csrf_token", &challenge.field("csrf_token")),
                ("step", "second_factor"),
                ("challenge_id", &challenge.field("challenge_id")),
                ("token", &challenge.field("token")),
                ("recovery_code", &user.recovery_codes[0]),
            ],
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.html);
    assert!(
        joined
            .html
            .contains("You joined Second Factor Inc as member."),
        "{}",
        joined.html
    );
}

async fn invite(app: &TestApp, owner_token: &str, org: &str, email: &str) {
    let (status, body) = rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/invitations"),
        Some(owner_token),
        json!({"email": email, "role": "member"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn members(app: &TestApp, owner_token: &str, org: &str) -> Vec<String> {
    let (status, body) = rest(
        app,
        "GET",
        &format!("/api/v1/organizations/{org}/members"),
        Some(owner_token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn accept_invitation_signs_the_invitee_in_and_refuses_another_account() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let invitee = app.signed_in_user("invitee").await;
    let stranger = app.signed_in_user("stranger").await;
    invite(&app, &owner.token, &org, &invitee.email).await;
    let mut browser = Browser::new(&app);
    let page = browser
        .open(&mailed_link(&app, &invitee.email, "You are invited").await)
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("<label for=\"email\">")
            && page.html.contains("autocomplete=\"current-password\"")
    );

    let wrong = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &invitee.email), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.html);
    assert!(
        wrong
            .html
            .contains("The email address or password is not right.")
    );
    assert_eq!(
        wrong.field("email"),
        invitee.email,
        "the address stays filled in"
    );
    let bad_email = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", "not-an-address"), ("password", PASSWORD)],
        )
        .await;
    assert!(
        bad_email
            .input_tag("email")
            .contains("aria-describedby=\"email-error\""),
        "{}",
        bad_email.html
    );

    let other = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &stranger.email), ("password", PASSWORD)],
        )
        .await;
    assert_refused(&other, 403, "another email address");
    assert_eq!(
        members(&app, &owner.token, &org).await.len(),
        1,
        "nobody joined"
    );

    let joined = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &invitee.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.html);
    assert!(
        joined.html.contains("You joined Acme as member."),
        "{}",
        joined.html
    );
    assert!(
        members(&app, &owner.token, &org)
            .await
            .contains(&invitee.email)
    );
    let spent = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &invitee.email), ("password", PASSWORD)],
        )
        .await;
    assert_refused(&spent, 404, "already used");
}

#[tokio::test]
async fn sign_in_failures_on_the_invitation_page_lock_the_account_for_login_too() {
    let app = TestApp::spawn_on_in_process_cache(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ])
    .await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Locked Out").await;
    let invitee = app.signed_in_user("invitee").await;
    invite(&app, &owner.token, &org, &invitee.email).await;
    let mut browser = Browser::new(&app);
    let page = browser
        .open(&mailed_link(&app, &invitee.email, "You are invited").await)
        .await;
    for _ in 0..3 {
        let wrong = browser
            .submit(
                &page,
                "/accept-invitation",
                &[("email", &invitee.email), ("password", "a wrong guess")],
            )
            .await;
        assert_eq!(wrong.status, 401, "{}", wrong.html);
    }
    let locked = browser
        .submit(
            &page,
            "/accept-invitation",
            &[("email", &invitee.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, 423, "{}", locked.html);
    assert!(
        locked.html.contains("the account is locked for now"),
        "{}",
        locked.html
    );
    let (status, body) = login(&app, &invitee.email, PASSWORD).await;
    assert_eq!(status, 423, "Login sees the same lock: {body}");
}
