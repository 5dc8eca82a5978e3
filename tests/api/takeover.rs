//! The account-takeover paths of the security review, end to end through the real port with
//! an attacker-run OpenID Provider (`tests/peers/oidc_provider.py`): an organization's
//! connection asserting someone else's email must never hand over their account.

use serde_json::{Value, json};

use crate::{
    auth::{ADMIN_EMAIL, PASSWORD, rest},
    domains::mark_domain_verified,
    fixtures::User,
    helpers::{TestApp, jwt_claims},
    orgs::{accept_mailed_invitation, reason},
    sso_oidc_flow::provider::{
        APP_REDIRECT, CLIENT_ID, CLIENT_SECRET, Outcome, Provider, authorize, exchange, follow,
        sign_in,
    },
};

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("SSO_ALLOWED_REDIRECT_URIS", APP_REDIRECT),
        ("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", crate::auth::ADMIN_PASSWORD),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

/// An OIDC connection of `org` to `provider`, provisioning just in time.
async fn connection(
    app: &TestApp,
    by: &User,
    org: &str,
    provider: &Provider,
    domains: &[&str],
) -> String {
    let (status, body) = rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&by.token),
        json!({
            "name": "Their IdP", "protocol": "SSO_PROTOCOL_OIDC", "domains": domains,
            "jit_provisioning": true, "enabled": true, "default_role": "member",
            "oidc": {"issuer": provider.base, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

fn asserting(sub: &str, email: &str) -> Value {
    json!({"sub": sub, "email": email, "email_verified": true, "name": "Someone", "amr": ["pwd", "mfa"]})
}

/// A user whose address is in `domain`.
async fn user_in(app: &TestApp, tag: &str, domain: &str) -> User {
    let email = format!("{tag}-{}@{domain}", uuid::Uuid::now_v7().simple());
    let body = crate::auth::register(app, &email).await;
    User {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        email,
        token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn member_ids(app: &TestApp, by: &User, org: &str) -> Vec<String> {
    let path = format!("/api/v1/organizations/{org}/members");
    let (status, body) = rest(app, "GET", &path, Some(&by.token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_stranger_cannot_add_a_victim_and_sign_in_as_them_or_as_the_platform_admin() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let app = app_with(&[]).await;
    let victim = app.signed_in_user("victim").await;
    let attacker = app.signed_in_user("attacker").await;
    let org = app.organization_of(&attacker, "Evil").await;

    // AddMember by id (ids leak: audit events, invited_by) only invites: neither the victim
    // nor the platform administrator becomes a member without accepting.
    let (status, admin) = crate::auth::login(&app, ADMIN_EMAIL, crate::auth::ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{admin}");
    let admin_id = admin["user"]["id"].as_str().unwrap().to_owned();
    for user_id in [&victim.id, &admin_id] {
        let (status, body) = rest(
            &app,
            "POST",
            &format!("/api/v1/organizations/{org}/members"),
            Some(&attacker.token),
            json!({"user_id": user_id, "role": "member"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(!member_ids(&app, &attacker, &org).await.contains(user_id));
    }

    let connection = connection(&app, &attacker, &org, &idp, &[]).await;
    for email in [victim.email.as_str(), ADMIN_EMAIL] {
        let outcome = sign_in(
            &app,
            json!({"connection_id": connection}),
            asserting("evil-1", email),
        )
        .await;
        assert_eq!(
            outcome.error(),
            "SSO_PROVISIONING_ERROR",
            "{email}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn an_organization_admin_cannot_take_over_its_owner_even_with_a_verified_domain() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let app = app_with(&[]).await;
    let domain = crate::domains::unique_domain("corp");
    let owner = user_in(&app, "owner", &domain).await;
    let org = app.organization_of(&owner, "Corp").await;
    let admin = user_in(&app, "admin", &domain).await;
    app.member_of(&owner, &org, &admin, "admin").await;
    mark_domain_verified(&app, &org, &domain).await;

    let connection = connection(&app, &admin, &org, &idp, &[&domain]).await;
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        asserting("rogue", &owner.email),
    )
    .await;
    assert_eq!(outcome.error(), "SSO_PROVISIONING_ERROR", "{outcome:?}");
}

#[tokio::test]
async fn an_invited_member_is_linked_through_a_verified_domain_and_still_asked_for_mfa() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let Some(python) = crate::helpers::python_with("pyotp") else {
        return;
    };
    let app = app_with(&[]).await;
    let domain = crate::domains::unique_domain("corp");
    let owner = user_in(&app, "owner", &domain).await;
    let org = app.organization_of(&owner, "Corp").await;
    let member = user_in(&app, "member", &domain).await;
    let connection = connection(&app, &owner, &org, &idp, &[&domain]).await;
    app.member_of(&owner, &org, &member, "member").await;

    // Before the organization proves the domain, the connection links nobody.
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        asserting("m-1", &member.email),
    )
    .await;
    assert_eq!(outcome.error(), "SSO_PROVISIONING_ERROR", "{outcome:?}");
    mark_domain_verified(&app, &org, &domain).await;

    let recovery_code = enrol_totp(&app, &python, &member).await;
    let outcome = sign_in(
        &app,
        json!({"email": member.email}),
        asserting("m-1", &member.email),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["tokens"].is_null(),
        "a second factor is needed first: {body}"
    );
    let challenge = body["mfa_challenge"]["challenge_id"].as_str().unwrap();
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/mfa/challenge/verify",
        None,
        json!({"challenge_id": challenge, "recovery_code": recovery_code}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], member.id.as_str());
    let claims = jwt_claims(body["tokens"]["access_token"].as_str().unwrap());
    assert_eq!(
        claims["org_id"],
        org.as_str(),
        "scoped to the connection's organization"
    );
    assert_eq!(claims["amr"], json!(["sso", "otp"]));

    // A platform that trusts the connection's IdP for the second factor skips Janua's (a
    // node so configured, on the same database).
    let trusting = app
        .spawn_beside_as_issuer(&[("SSO_MFA_TRUSTED_CONNECTIONS", connection.as_str())])
        .await;
    let outcome = sign_in(
        &trusting,
        json!({"connection_id": connection}),
        asserting("m-1", &member.email),
    )
    .await;
    let (status, body) = exchange(&trusting, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], member.id.as_str());
    assert!(body["tokens"]["access_token"].is_string(), "{body}");
}

#[tokio::test]
async fn a_platform_admin_is_never_signed_in_through_an_organization_connection() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let app = app_with(&[]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Corp").await;
    let connection = connection(&app, &owner, &org, &idp, &[]).await;
    let (status, admin) = crate::auth::login(&app, ADMIN_EMAIL, crate::auth::ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{admin}");
    let admin_token = admin["tokens"]["access_token"].as_str().unwrap();

    // Even the administrator's own link attempt through an organization's IdP is refused.
    let url = start_as(&app, Some(admin_token), &connection).await;
    let callback = authorize(&app, &url, asserting("admin-idp", ADMIN_EMAIL)).await;
    let (status, body) = exchange_as(&app, &follow(&callback).await, Some(admin_token)).await;
    assert_eq!(reason(&body), "SSO_PROVISIONING_ERROR", "{status} {body}");
}

#[tokio::test]
async fn jit_from_an_unproven_domain_leaves_the_address_unverified_and_a_reset_drops_the_link() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let app = app_with(&[]).await;
    let attacker = app.signed_in_user("attacker").await;
    let org = app.organization_of(&attacker, "Evil").await;
    let connection = connection(&app, &attacker, &org, &idp, &[]).await;
    let email = crate::auth::unique_email("future-victim");

    // Pre-hijack: the attacker's IdP creates the victim's account before they sign up.
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        asserting("squat", &email),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["user"]["email_verified"], false,
        "an unproven domain vouches for nothing"
    );

    // The real owner takes the account back through their mailbox ...
    reset_password(&app, &email).await;

    // ... and the attacker's identity no longer signs in as them.
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        asserting("squat", &email),
    )
    .await;
    assert_eq!(outcome.error(), "SSO_PROVISIONING_ERROR", "{outcome:?}");
}

#[tokio::test]
async fn a_signed_in_user_links_their_company_identity_and_only_their_session_finishes_it() {
    let Some(idp) = Provider::start(&[]).await else {
        return;
    };
    let app = app_with(&[]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Corp").await;
    let connection = connection(&app, &owner, &org, &idp, &[]).await;
    let user = app.signed_in_user("linker").await;
    let other = app.signed_in_user("other").await;
    let corporate = crate::auth::unique_email("at-work");

    // A link code is useless to anyone but the session that asked for it.
    for thief in [None, Some(other.token.as_str())] {
        let url = start_as(&app, Some(&user.token), &connection).await;
        let callback = authorize(&app, &url, asserting("corp-7", &corporate)).await;
        let (status, body) = exchange_as(&app, &follow(&callback).await, thief).await;
        assert_eq!(
            (status, reason(&body)),
            (403, "AUTHORIZATION_ERROR"),
            "{body}"
        );
    }

    let url = start_as(&app, Some(&user.token), &connection).await;
    let callback = authorize(&app, &url, asserting("corp-7", &corporate)).await;
    let (status, body) = exchange_as(&app, &follow(&callback).await, Some(&user.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert!(
        body["tokens"].is_null(),
        "the caller's session goes on: {body}"
    );

    // From now on that identity signs in as the user, whatever address it asserts.
    let outcome = sign_in(
        &app,
        json!({"connection_id": connection}),
        asserting("corp-7", &corporate),
    )
    .await;
    let (status, body) = exchange(&app, &outcome.code()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert!(member_ids(&app, &owner, &org).await.contains(&user.id));
}

#[tokio::test]
async fn accepting_a_mailed_invitation_verifies_the_address() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Corp").await;
    let invitee = app.signed_in_user("invitee").await;
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/invitations"),
        Some(&owner.token),
        json!({"email": invitee.email, "role": "member"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let member = accept_mailed_invitation(&app, &invitee).await;

    assert_eq!(member["user_id"], invitee.id.as_str(), "{member}");
    let (_, me) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(&invitee.token),
        Value::Null,
    )
    .await;
    assert_eq!(me["email_verified"], true, "{me}");
}

/// StartSso through `connection`, as `token`'s session when given.
async fn start_as(app: &TestApp, token: Option<&str>, connection: &str) -> url::Url {
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/sso/start",
        token,
        json!({"connection_id": connection, "redirect_uri": APP_REDIRECT}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    url::Url::parse(body["redirect_url"].as_str().unwrap()).unwrap()
}

async fn exchange_as(app: &TestApp, outcome: &Outcome, token: Option<&str>) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/sso/exchange",
        token,
        json!({"code": outcome.code()}),
    )
    .await
}

/// The one-time token of the newest mail to `to` whose subject mentions `topic`, waiting
/// for it to be queued.
async fn mailed_token(app: &TestApp, to: &str, topic: &str) -> String {
    for _ in 0..400 {
        let outbox = app.app.mail.read_outbox(to).await.unwrap();
        if let Some(mail) = outbox
            .iter()
            .find(|m| m.subject.to_lowercase().contains(topic))
        {
            return crate::smtp::link_token(&mail.text);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {topic} mail to {to}");
}

/// Enrols and confirms TOTP for `user` (pyotp computes the code); a recovery code.
async fn enrol_totp(app: &TestApp, python: &str, user: &User) -> String {
    let (status, enrolment) = rest(
        app,
        "POST",
        "/api/v1/mfa/totp/enroll",
        Some(&user.token),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{enrolment}");
    let output = tokio::process::Command::new(python)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).now())",
        ])
        .arg(enrolment["otpauth_uri"].as_str().unwrap())
        .output()
        .await
        .unwrap();
    let code = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let (status, confirmed) = rest(
        app,
        "POST",
        "/api/v1/mfa/totp/confirm",
        Some(&user.token),
        json!({"factor_id": enrolment["factor_id"], "totp_code": code}),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    confirmed["recovery_codes"][0].as_str().unwrap().to_owned()
}

/// A password reset as the owner does it: ask, read the mailed link, set a password.
async fn reset_password(app: &TestApp, email: &str) {
    let (status, _) = rest(
        app,
        "POST",
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": email}),
    )
    .await;
    assert_eq!(status, 200);
    let token = mailed_token(app, email, "reset").await;
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/auth/password/reset",
        None,
        json!({"token": token, "new_password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_password_reset_removes_passkeys_only_where_the_operator_chose_it() {
    for (revokes, left) in [("false", 1), ("true", 0)] {
        let app = TestApp::spawn_with(&[
            ("WEBAUTHN_RP_ID", "localhost"),
            ("WEBAUTHN_ORIGINS", crate::passkeys::ORIGIN),
            ("PASSWORD_RESET_REVOKES_CREDENTIALS", revokes),
        ])
        .await;
        let (email, _, _, _) = crate::passkeys::account_with_passkey(&app).await;

        reset_password(&app, &email).await;

        let (status, body) = crate::auth::login(&app, &email, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        if left == 0 {
            let token = body["tokens"]["access_token"].as_str().unwrap();
            let (_, factors) =
                rest(&app, "GET", "/api/v1/mfa/factors", Some(token), Value::Null).await;
            assert_eq!(factors["factors"], json!([]), "{revokes}");
        } else {
            assert!(
                body["mfa_challenge"]["methods"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("passkey")),
                "{body}"
            );
        }
    }
}
