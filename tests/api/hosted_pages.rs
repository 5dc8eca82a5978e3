//! The hosted pages for mailed links, through the real port with a browser that has no
//! JavaScript (`browser`): each page's whole flow from the link in the outbox (which points
//! at Janua itself while `JANUA_APP_URL` is unset), and what they refuse — a GET never spends
//! a token, a POST without the form token, with another one, without the cookie or from
//! another origin changes nothing, spent links say so, the password policy speaks on the
//! form, accounts with a second factor are asked for it, an invitation is for its address
//! only and the sign-in on its page counts toward the same lock as Login — plus the headers
//! and the operator's theme.

mod browser;
mod chromium;
mod sent_codes;
mod sign_in;

use janua::config::Config;
use serde_json::{Value, json};

use super::{
    auth::{PASSWORD, access, login, register, rest, unique_email},
    helpers::TestApp,
};
pub use browser::{Answer, Browser, link_in, mailed_link, nth_mail_text};

pub const NEW_PASSWORD: &str = "a brand new passphrase";

pub async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = rest(app, "GET", "/api/v1/auth/me", Some(token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The one-time token of a mailed link.
fn token_of(link: &str) -> String {
    url::Url::parse(link)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "token")
        .unwrap()
        .1
        .into_owned()
}

pub fn assert_refused(answer: &Answer, status: u16, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.html);
    assert!(answer.html.contains(says), "{says:?} in {}", answer.html);
}

#[tokio::test]
async fn verify_email_spends_its_link_only_on_a_same_origin_post_with_the_form_token() {
    let app = TestApp::spawn().await;
    let email = unique_email("verify");
    let token = access(&register(&app, &email).await);
    let link = mailed_link(&app, &email, "Verify your email").await;
    assert!(
        link.starts_with(&app.url("/verify-email?token=")),
        "without JANUA_APP_URL the link opens Janua's own page: {link}"
    );
    let mut browser = Browser::new(&app);
    let page = browser.open(&link).await;
    let again = browser.open(&link).await;
    assert_eq!((page.status, again.status), (200, 200), "{}", page.html);
    assert_eq!(
        me(&app, &token).await["email_verified"],
        false,
        "a GET spends nothing"
    );

    let headers = &page.headers;
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !page.html.contains("<script"),
        "{csp}"
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers.get("content-encoding").is_none(),
        "pages are never compressed"
    );
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.starts_with("janua_form=") && !cookie.contains("Secure"),
        "plain-http development: {cookie}"
    );
    assert!(page.html.contains("<html lang=\"en\">"));
    let link_token = token_of(&link);
    assert_eq!(page.field("token"), link_token);
    assert_eq!(
        page.html.matches(&link_token).count(),
        1,
        "the token appears only as the hidden value"
    );

    let csrf = page.field("csrf_token");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", link_token.as_str()),
    ];
    for (why, answer) in [
        (
            "no form token",
            browser
                .post("/verify-email", &[("token", &link_token)])
                .await,
        ),
        (
            "another form token",
            browser
                .post(
                    "/verify-email",
                    &[("csrf_token", "AAAA"), ("token", &link_token)],
                )
                .await,
        ),
        (
            "no cookie",
            Browser::new(&app).post("/verify-email", &fields).await,
        ),
    ] {
        assert_refused(&answer, 403, "nothing was changed");
        assert!(!answer.html.contains(&link_token), "{why}");
    }
    for foreign in [
        [("origin", "https://evil.example")],
        [("origin", "null")],
        [("sec-fetch-site", "cross-site")],
    ] {
        let answer = browser.post_with("/verify-email", &fields, &foreign).await;
        assert_refused(&answer, 403, "sent from another site");
    }
    let from_page = [("sec-fetch-site", "same-origin"), ("origin", "null")];
    assert_eq!(
        me(&app, &token).await["email_verified"],
        false,
        "refused posts change nothing"
    );

    let verified = browser
        .post_with("/verify-email", &fields, &from_page)
        .await;
    assert_eq!(verified.status, 200, "{}", verified.html);
    assert!(verified.html.contains("Your email address is verified."));
    assert_eq!(me(&app, &token).await["email_verified"], true);

    let spent = browser.post("/verify-email", &fields).await;
    assert_refused(&spent, 401, "invalid, has expired or was already used");
    let incomplete = browser.open("/verify-email").await;
    assert_refused(&incomplete, 400, "This link is incomplete");
}

#[tokio::test]
async fn reset_password_shows_the_policy_on_the_form_then_ends_every_session() {
    let app = TestApp::spawn().await;
    let email = unique_email("reset");
    let token = access(&register(&app, &email).await);
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
    let mut browser = Browser::new(&app);
    let page = browser.open(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<label for=\"new_password\">"));

    let mismatch = browser
        .submit(
            &page,
            "/reset-password",
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", "something else"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400, "{}", mismatch.html);
    let confirm = mismatch.input_tag("confirm_password");
    assert!(
        confirm.contains("aria-invalid=\"true\"")
            && confirm.contains("aria-describedby=\"confirm_password-error\""),
        "{confirm}"
    );
    assert!(mismatch.html.contains(
        "id=\"confirm_password-error\">The repeated password does not match the new password.<"
    ));

    for (password, says) in [
        ("short", "The password must be at least 10 characters."),
        ("password123", "The password is too common; choose another."),
    ] {
        let refused = browser
            .submit(
                &mismatch,
                "/reset-password",
                &[("new_password", password), ("confirm_password", password)],
            )
            .await;
        assert_eq!(refused.status, 400, "{}", refused.html);
        let input = refused.input_tag("new_password");
        assert!(
            input.contains("aria-invalid=\"true\"")
                && input.contains("aria-describedby=\"new_password-error new_password-hint\""),
            "{input}"
        );
        assert!(
            refused
                .html
                .contains(&format!("id=\"new_password-error\">{says}<")),
            "{}",
            refused.html
        );
    }
    assert_eq!(
        login(&app, &email, PASSWORD).await.0,
        200,
        "refused forms change nothing"
    );

    let set_new_password = || {
        browser.submit(
            &page,
            "/reset-password",
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
    };
    let done = set_new_password().await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(
        done.html
            .contains("Every session of your account was signed out")
    );
    assert_eq!(
        rest(&app, "GET", "/api/v1/auth/me", Some(&token), Value::Null)
            .await
            .0,
        401
    );
    assert_eq!(login(&app, &email, PASSWORD).await.0, 401);
    assert_eq!(login(&app, &email, NEW_PASSWORD).await.0, 200);
    let spent = set_new_password().await;
    assert_refused(&spent, 401, "already used");
}

#[tokio::test]
async fn the_operators_theme_shows_and_a_bad_theme_stops_start_up() {
    let app = TestApp::spawn_with(&[
        ("JANUA_UI_PRODUCT_NAME", "Acme <ID>"),
        ("JANUA_UI_LOGO_URL", "https://cdn.example.com/logo.png"),
        ("JANUA_UI_ACCENT_COLOR", "#AB12cd"),
    ])
    .await;
    let page = Browser::new(&app).open("/magic-link?token=abc").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html
            .contains("<title>Sign in · Acme &#60;ID&#62;</title>")
            || page
                .html
                .contains("<title>Sign in · Acme &lt;ID&gt;</title>"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("<img class=\"logo\" src=\"https://cdn.example.com/logo.png\""),
        "{}",
        page.html
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src https://cdn.example.com;"), "{csp}");
    let css = app
        .http
        .get(app.url("/pages/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("--accent: #ab12cd;"));

    for (variable, value) in [
        ("JANUA_UI_ACCENT_COLOR", "red"),
        ("JANUA_UI_ACCENT_COLOR", "#12345"),
        ("JANUA_UI_ACCENT_COLOR", "#fff;}body{"),
        ("JANUA_UI_LOGO_URL", "http://cdn.example.com/logo.png"),
        ("JANUA_UI_LOGO_URL", "javascript:alert(1)"),
        ("JANUA_UI_PRODUCT_NAME", "two\nlines"),
    ] {
        let err = Config::from_vars([(variable.to_owned(), value.to_owned())]).unwrap_err();
        assert_eq!(err.variable, variable, "{value:?}: {err}");
    }

    let https = TestApp::spawn_with(&[("JANUA_ISSUER", "https://id.example.com")]).await;
    let page = Browser::new(&https).open("/verify-email?token=abc").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-janua_form=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}
