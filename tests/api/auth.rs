//! The authentication capability through the real port, over gRPC and REST: sign-up and
//! sign-in, independent JWT verification, refresh rotation and reuse detection, immediate
//! revocation, recovery through a real SMTP exchange, password-hash migration, enumeration
//! resistance, brute-force limits shared by two nodes, and secrets at rest.

use std::time::Duration;

use janua::proto::janua::auth::v1::{GetCurrentUserRequest, LoginRequest};
use sea_orm::{FromQueryResult, JsonValue, Statement};
use serde_json::{Value, json};
use tonic::Request;

use super::{
    helpers::{JanuaProcess, TestApp, python_with, redis_or_skip},
    smtp::{SmtpSink, link_token},
};

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_EMAIL: &str = "root@janua.test";
pub const ADMIN_PASSWORD: &str = "an admin passphrase for tests";

/// One REST call: (HTTP status, JSON body).
pub async fn rest(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.http.request(method.clone(), app.url(path));
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        request = request.json(&body);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// An anonymous REST POST: (HTTP status, JSON body).
async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    rest(app, "POST", path, None, body).await
}

/// Registers over REST and returns the response body ({user, tokens}).
pub async fn register(app: &TestApp, email: &str) -> Value {
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": PASSWORD, "display_name": "Test"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

/// The HTTP status of `GET /api/v1/auth/me` with `token`.
pub async fn me_status(app: &TestApp, token: &str) -> u16 {
    rest(app, "GET", "/api/v1/auth/me", Some(token), Value::Null)
        .await
        .0
}

pub async fn rotate(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh_token": refresh_token}),
    )
    .await
}

pub fn access(body: &Value) -> String {
    body["tokens"]["access_token"].as_str().unwrap().to_owned()
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.test", uuid::Uuid::now_v7().simple())
}

pub async fn admin_app() -> TestApp {
    TestApp::spawn_with(&[
        ("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
    ])
    .await
}

async fn introspect(app: &TestApp, admin: &str, token: &str) -> Value {
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/auth/token/introspect",
        Some(admin),
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn register_login_and_me_over_grpc_and_rest() {
    let app = TestApp::spawn().await;
    let email = unique_email("Ada");
    let registered = register(&app, &format!("  {email} ")).await;
    assert_eq!(registered["user"]["email"], email.as_str());
    assert_eq!(registered["user"]["email_verified"], false);
    assert_eq!(registered["tokens"]["token_type"], "Bearer");
    assert_eq!(registered["tokens"]["expires_in"], 900);

    let mut grpc = app.auth_client().await;
    let login = grpc
        .login(LoginRequest {
            email: email.to_uppercase(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let tokens = login.tokens.unwrap();
    let mut me = Request::new(GetCurrentUserRequest {});
    me.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", tokens.access_token).parse().unwrap(),
    );
    let user = grpc
        .get_current_user(me)
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(user.email, email);

    let (status, me) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(&access(&registered)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], user.id.as_str());

    // An independent implementation (PyJWT) verifies the token against our JWKS.
    let Some(python) = python_with("jwt") else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/verify_jwt.py");
    let output = tokio::process::Command::new(python)
        .args([
            script,
            &app.url("/.well-known/jwks.json"),
            app.app.keyring.issuer(),
            &tokens.access_token,
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "PyJWT refused the token: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let claims: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = register(&app, &unique_email("rotate")).await;
    let old_refresh = first["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, rotated) = rotate(&app, &old_refresh).await;
    assert_eq!(status, 200, "{rotated}");
    let new_refresh = rotated["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_access = rotated["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(me_status(&app, &new_access).await, 200);

    let (status, reused) = rotate(&app, &old_refresh).await;
    assert_eq!(
        (status, reused["error"]["code"].as_str()),
        (401, Some("TOKEN_ERROR")),
        "{reused}"
    );
    let (status, killed) = rotate(&app, &new_refresh).await;
    assert_eq!(
        (status, killed["error"]["code"].as_str()),
        (401, Some("TOKEN_ERROR")),
        "the whole family is revoked: {killed}"
    );
    let (status, _) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(&new_access),
        Value::Null,
    )
    .await;
    assert_eq!(status, 401, "the session's access tokens die with it");
    let (status, _) = rotate(&app, "made-up").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn logout_and_revoke_session_end_access_at_once() {
    let app = admin_app().await;
    let admin = access(&login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.1);
    let email = unique_email("revoke");
    register(&app, &email).await;
    let a = access(&login(&app, &email, PASSWORD).await.1);
    let b = access(&login(&app, &email, PASSWORD).await.1);

    let (_, sessions) = rest(&app, "GET", "/api/v1/auth/sessions", Some(&a), Value::Null).await;
    let sessions = sessions["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3, "register, login, login");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let b_claims = introspect(&app, &admin, &b).await;
    assert_eq!(b_claims["active"], true);
    let b_session = b_claims["sid"].as_str().unwrap().to_owned();

    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/auth/sessions/{b_session}"),
        Some(&a),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me_status(&app, &b).await, 401);
    assert_eq!(introspect(&app, &admin, &b).await["active"], false);
    assert_eq!(introspect(&app, &admin, &a).await["active"], true);

    let other = access(&register(&app, &unique_email("other")).await);
    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/auth/sessions/{b_session}"),
        Some(&other),
        Value::Null,
    )
    .await;
    assert_eq!(
        status, 404,
        "another user's session does not exist for the caller"
    );

    assert_eq!(
        rest(&app, "POST", "/api/v1/auth/logout", Some(&a), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(me_status(&app, &a).await, 401);
    assert_eq!(introspect(&app, &admin, &a).await["active"], false);

    let c = access(&login(&app, &email, PASSWORD).await.1);
    let d = access(&login(&app, &email, PASSWORD).await.1);
    assert_eq!(
        rest(
            &app,
            "POST",
            "/api/v1/auth/logout",
            Some(&c),
            json!({"all_sessions": true})
        )
        .await
        .0,
        200
    );
    assert_eq!(me_status(&app, &d).await, 401);
}

#[tokio::test]
async fn introspection_is_for_services_only() {
    let app = admin_app().await;
    let user = access(&register(&app, &unique_email("nosy")).await);
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/auth/token/introspect",
        Some(&user),
        json!({"token": user}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("AUTHORIZATION_ERROR"))
    );
    let admin = access(&login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.1);
    let answer = introspect(&app, &admin, "not-a-token").await;
    assert_eq!(answer["active"], false);
}

#[tokio::test]
async fn password_reset_email_verification_and_magic_link_through_smtp() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let email = unique_email("recover");
    let registered = register(&app, &email).await;
    let token = access(&registered);

    let verification = sink.wait_for(&email).await;
    assert_eq!(verification.subject, "Verify your email address");
    let (status, _) = post(
        &app,
        "/api/v1/auth/email/verify",
        json!({"token": link_token(&verification.text)}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, me) = rest(&app, "GET", "/api/v1/auth/me", Some(&token), Value::Null).await;
    assert_eq!(me["email_verified"], true);
    let (status, again) = post(
        &app,
        "/api/v1/auth/email/verify",
        json!({"token": link_token(&verification.text)}),
    )
    .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (401, Some("TOKEN_ERROR")),
        "single use"
    );

    // Reset: the same answer for an unknown address, a link only for the real one.
    assert_eq!(
        post(
            &app,
            "/api/v1/auth/password/forgot",
            json!({"email": "nobody@example.test"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &app,
            "/api/v1/auth/password/forgot",
            json!({"email": email})
        )
        .await
        .0,
        200
    );
    let reset = sink.wait_for(&email).await;
    assert_eq!(reset.subject, "Reset your password");
    assert!(reset.html.contains("reset-password?token="));
    let reset_token = link_token(&reset.text);
    let (status, weak) = post(
        &app,
        "/api/v1/auth/password/reset",
        json!({"token": reset_token, "new_password": "short"}),
    )
    .await;
    assert_eq!(status, 400, "{weak}");
    let new_password = "a brand new passphrase";
    let (status, body) = post(
        &app,
        "/api/v1/auth/password/reset",
        json!({"token": reset_token, "new_password": new_password}),
    )
    .await;
    assert_eq!(
        status, 200,
        "a refused password does not burn the link: {body}"
    );
    assert_eq!(
        me_status(&app, &token).await,
        401,
        "reset ends every session"
    );
    assert_eq!(login(&app, &email, PASSWORD).await.0, 401);
    assert_eq!(login(&app, &email, new_password).await.0, 200);
    let (status, _) = post(
        &app,
        "/api/v1/auth/password/reset",
        json!({"token": reset_token, "new_password": "yet another passphrase"}),
    )
    .await;
    assert_eq!(status, 401, "single use");

    assert_eq!(
        post(&app, "/api/v1/auth/magic-link", json!({"email": email}))
            .await
            .0,
        200
    );
    let magic = sink.wait_for(&email).await;
    let (status, signed_in) = post(
        &app,
        "/api/v1/auth/magic-link/verify",
        json!({"token": link_token(&magic.text)}),
    )
    .await;
    assert_eq!(status, 200, "{signed_in}");
    let magic_access = access(&signed_in);
    let claims = introspect_claims(&app, &magic_access).await;
    assert_eq!(claims["amr"], json!(["email"]));
    assert_eq!(
        post(
            &app,
            "/api/v1/auth/magic-link/verify",
            json!({"token": link_token(&magic.text)})
        )
        .await
        .0,
        401
    );
    assert!(
        sink.received().iter().all(|m| m.to.contains(&email)),
        "nothing was sent to the unknown address"
    );
}

/// The claims of a token, read with the server's own keys (a test shortcut).
async fn introspect_claims(app: &TestApp, token: &str) -> Value {
    app.app.keyring.verify::<Value>(token).await.unwrap()
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let email = unique_email("change");
    let first = access(&register(&app, &email).await);
    let second = access(&login(&app, &email, PASSWORD).await.1);
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/auth/password/change",
        Some(&second),
        json!({"current_password": "wrong guess here", "new_password": "another fine passphrase"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTHENTICATION_ERROR"))
    );
    let (status, _) = rest(
        &app,
        "POST",
        "/api/v1/auth/password/change",
        Some(&second),
        json!({"current_password": PASSWORD, "new_password": "another fine passphrase"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me_status(&app, &first).await, 401);
    assert_eq!(me_status(&app, &second).await, 200);
    assert_eq!(login(&app, &email, "another fine passphrase").await.0, 200);
}

#[tokio::test]
async fn bcrypt_hashes_log_in_and_are_rehashed_to_argon2id() {
    let app = TestApp::spawn().await;
    let email = unique_email("imported");
    let registered = register(&app, &email).await;
    let id = registered["user"]["id"].as_str().unwrap().to_owned();
    let bcrypt = bcrypt::hash("an imported password", 4).unwrap();
    set_password_hash(&app, &id, &bcrypt).await;
    assert_eq!(login(&app, &email, "an imported password").await.0, 200);
    let stored = password_hash(&app, &id).await;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(login(&app, &email, "an imported password").await.0, 200);
}

async fn set_password_hash(app: &TestApp, id: &str, hash: &str) {
    use janua::store::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(id))
        .exec(&app.app.db)
        .await
        .unwrap();
}

async fn password_hash(app: &TestApp, id: &str) -> String {
    use sea_orm::EntityTrait;
    janua::store::entities::user::Entity::find_by_id(id.to_owned())
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap()
}

async fn verifications(app: &TestApp) -> u64 {
    let samples = super::helpers::metric_samples(&app.url("/metrics")).await;
    samples["janua_password_verifications_total"] as u64
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_indistinguishable() {
    let app = TestApp::spawn().await;
    let email = unique_email("enum");
    register(&app, &email).await;
    let before = verifications(&app).await;
    let (wrong_status, wrong) = login(&app, &email, "not the password at all").await;
    let after_wrong = verifications(&app).await;
    let (unknown_status, unknown) =
        login(&app, &unique_email("ghost"), "not the password at all").await;
    let after_unknown = verifications(&app).await;
    assert_eq!((wrong_status, unknown_status), (401, 401));
    let strip = |mut v: Value| {
        v["error"]["request_id"] = Value::Null;
        v
    };
    assert_eq!(strip(wrong.clone()), strip(unknown), "identical answers");
    assert_eq!(wrong["error"]["code"], "AUTHENTICATION_ERROR");
    assert_eq!(
        after_wrong - before,
        1,
        "a wrong password costs one verification"
    );
    assert_eq!(
        after_unknown - after_wrong,
        1,
        "an unknown email costs one verification too"
    );
}

#[tokio::test]
async fn weak_passwords_bad_emails_and_duplicates_are_refused() {
    let app = TestApp::spawn().await;
    let email = unique_email("dup");
    for (body, field) in [
        (json!({"email": email, "password": "short"}), "password"),
        (
            json!({"email": email, "password": "1234567890"}),
            "password",
        ),
        (json!({"email": email, "password": email}), "password"),
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
    ] {
        let (status, error) = post(&app, "/api/v1/auth/register", body).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(
            error["error"]["details"][1]["field_violations"][0]["field"], field,
            "{error}"
        );
    }
    register(&app, &email).await;
    let (status, error) = post(
        &app,
        "/api/v1/auth/register",
        json!({"email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (409, Some("CONFLICT_ERROR"))
    );
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_ip() {
    let app = TestApp::spawn_with(&[("SIGNUPS_PER_HOUR_PER_IP", "2")]).await;
    register(&app, &unique_email("s1")).await;
    register(&app, &unique_email("s2")).await;
    let response = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": unique_email("s3"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_ERROR");
}

const LOCKING: [(&str, &str); 3] = [
    ("LOGIN_DELAY_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_SECONDS", "2"),
];

#[tokio::test]
async fn lockout_triggers_and_expires_by_itself() {
    // The lock expires on the server's clock; that Redis expires its keys on time is the
    // cache's own test (src/cache/tests.rs).
    let app = TestApp::spawn_on_in_process_cache(&LOCKING).await;
    let email = unique_email("lock");
    register(&app, &email).await;
    for _ in 0..3 {
        assert_eq!(login(&app, &email, "wrong wrong wrong").await.0, 401);
    }
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        423,
        "even the right password waits for the lock"
    );
    assert!(response.headers().contains_key("retry-after"));
    // Past the 2 s lock and the 1 s delay.
    app.clock.advance(Duration::from_secs(3));
    assert_eq!(
        login(&app, &email, PASSWORD).await.0,
        200,
        "the lock expired by itself"
    );
}

#[tokio::test]
async fn lockout_is_shared_by_two_nodes_on_one_redis() {
    if !redis_or_skip("the two-node lockout") {
        return;
    }
    let node_a = TestApp::spawn_with(&LOCKING).await;
    let node_b = node_a.spawn_beside(&[]).await;
    let email = unique_email("shared");
    register(&node_a, &email).await;
    assert_eq!(login(&node_a, &email, "wrong wrong wrong").await.0, 401);
    assert_eq!(login(&node_b, &email, "wrong wrong wrong").await.0, 401);
    assert_eq!(login(&node_a, &email, "wrong wrong wrong").await.0, 401);
    assert_eq!(
        login(&node_b, &email, PASSWORD).await.0,
        423,
        "node B counts node A's failures"
    );
}

#[tokio::test]
async fn no_plaintext_password_or_token_in_the_database() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let email = unique_email("secret");
    let registered = register(&app, &email).await;
    let refresh = registered["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rotated) = rotate(&app, &refresh).await;
    post(
        &app,
        "/api/v1/auth/password/forgot",
        json!({"email": email}),
    )
    .await;
    let verification = link_token(&sink.wait_for(&email).await.text);
    let reset = link_token(&sink.wait_for(&email).await.text);
    let secrets = [
        PASSWORD.to_owned(),
        refresh,
        rotated["tokens"]["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        verification,
        reset,
    ];
    let dump = dump_database(&app).await;
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "a secret is stored in the clear"
        );
    }
    assert!(dump.contains(&email), "the dump is real");
}

/// Every row of every table, as text.
pub async fn dump_database(app: &TestApp) -> String {
    let db = &app.app.db;
    let backend = db.get_database_backend();
    let mut out = String::new();
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "one_time_tokens",
        "mail_outbox",
        "audit_events",
        "signing_keys",
        "organizations",
        "roles",
        "memberships",
        "invitations",
        "api_keys",
        "mfa_factors",
        "recovery_codes",
        "sms_outbox",
    ] {
        let rows = JsonValue::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM {table}"),
        ))
        .all(db)
        .await
        .unwrap();
        for row in rows {
            out.push_str(&row.to_string());
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn security_events_are_audited_with_ip_and_user_agent() {
    use janua::store::entities::audit_event;
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let email = unique_email("audit");
    let registered = register(&app, &email).await;
    assert_eq!(login(&app, &email, "a wrong password here").await.0, 401);
    let token = access(&login(&app, &email, PASSWORD).await.1);
    let refresh = registered["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    rotate(&app, &refresh).await;
    rotate(&app, &refresh).await;
    rest(
        &app,
        "POST",
        "/api/v1/auth/password/change",
        Some(&token),
        json!({"current_password": PASSWORD, "new_password": "a changed passphrase"}),
    )
    .await;
    rest(&app, "POST", "/api/v1/auth/logout", Some(&token), json!({})).await;
    let events = audit_event::Entity::find().all(&app.app.db).await.unwrap();
    let seen = |action: &str, outcome: &str| {
        events
            .iter()
            .any(|e| e.action == action && e.outcome == outcome)
    };
    for (action, outcome) in [
        ("user.registered", "success"),
        ("user.login", "failure"),
        ("user.login", "success"),
        ("session.refresh_token_reuse", "failure"),
        ("user.password_changed", "success"),
        ("session.logout", "success"),
    ] {
        assert!(
            seen(action, outcome),
            "no {action} ({outcome}) in {:?}",
            events.iter().map(|e| &e.action).collect::<Vec<_>>()
        );
    }
    let login = events
        .iter()
        .find(|e| e.action == "user.login" && e.outcome == "success")
        .unwrap();
    assert_eq!(login.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        login.user_agent.as_deref(),
        Some("janua-tests/1.0"),
        "the REST caller's user agent reaches the audit log"
    );
}

#[tokio::test]
async fn lockout_is_shared_with_a_second_server_process() {
    if !redis_or_skip("limits shared between processes") {
        return;
    }
    let node_a = TestApp::spawn_with(&LOCKING).await;
    let mut node_b = JanuaProcess::start_beside(&node_a, &LOCKING).await;
    let email = unique_email("process");
    register(&node_a, &email).await;
    let login_b = |password: &'static str| {
        let url = node_b.url("/api/v1/auth/login");
        let email = email.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login_b("wrong wrong wrong").await, 401);
    assert_eq!(login(&node_a, &email, "wrong wrong wrong").await.0, 401);
    assert_eq!(login_b("wrong wrong wrong").await, 401);
    assert_eq!(
        login(&node_a, &email, PASSWORD).await.0,
        423,
        "node A counts node B's failures"
    );
    assert_eq!(login_b(PASSWORD).await, 423);
    node_b.child.kill().await.unwrap();
}
