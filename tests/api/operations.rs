//! What an operator sees of a running `janua serve` (a real process, its log piped to a
//! file): one request log line per request, whatever the protocol, naming the id of the error
//! body, the route template, the status and the caller; no colour codes in a piped log;
//! start-up lines naming the database kind; and the account counters of `/metrics` moving
//! exactly as sign-ins, failures, a lockout, an MFA challenge, a refresh and a reuse happen.

use std::{path::Path, time::Duration};

use janua::proto::janua::users::v1::{GetUserRequest, user_service_client::UserServiceClient};
use serde_json::{Value, json};

use super::{
    auth::{PASSWORD, unique_email},
    faults::Node,
    helpers::{JanuaProcess, TestApp, grpc_web_frame, metric_samples, python_with},
    mfa::enrolled_user,
};

/// What the request line of a refused GetUser says, over gRPC and gRPC-web alike.
const REFUSED_GET_USER: &[&str] = &[
    "http.route=\"/janua.users.v1.UserService/GetUser\"",
    "grpc.code=\"UNAUTHENTICATED\"",
];

/// The log lines naming `id`, once the process has written its request line.
async fn lines_naming(log: &Path, id: &str) -> Vec<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(log).unwrap();
        let lines: Vec<String> = text
            .lines()
            .filter(|line| line.contains(id))
            .map(str::to_owned)
            .collect();
        if !lines.is_empty() {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no log line names {id}:\n{}",
        std::fs::read_to_string(log).unwrap()
    );
}

/// Asserts `id` appears in exactly one request line, with every `expected` part. (Other
/// lines logged while serving the request name it too, in their `request{...}` context.)
async fn assert_one_request_line(log: &Path, id: &str, expected: &[&str]) {
    let lines: Vec<String> = lines_naming(log, id)
        .await
        .into_iter()
        .filter(|line| line.contains(" request request.id="))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{id} in {} request lines: {lines:#?}",
        lines.len()
    );
    for part in expected {
        assert!(lines[0].contains(part), "{part} missing from {}", lines[0]);
    }
}

#[tokio::test]
async fn each_request_is_one_log_line_naming_its_id_route_status_and_caller() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("janua.log");
    let process =
        JanuaProcess::start_beside_logging_to(&app, &[], std::fs::File::create(&log).unwrap())
            .await;
    let node = Node::of_process(&process);

    // REST: the error body's request_id is the line's.
    let user_id = uuid::Uuid::now_v7().to_string();
    let path = format!("/api/v1/users/{user_id}");
    let (status, body) = node.get(&path).await;
    assert_eq!(status, 401, "{body}");
    let expected = [
        "http.method=GET",
        "http.route=\"/api/v1/users/{user_id}\"",
        "http.status=401",
        "grpc.code=\"UNAUTHENTICATED\"",
        "client.ip=127.0.0.1",
        "latency_ms=",
    ];
    assert_one_request_line(&log, error_request_id(&body), &expected).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(&user_id),
        "the raw path is not logged: {text}"
    );

    // A signed-in caller is named.
    let email = unique_email("logged");
    node.register(&email).await;
    let token = node.session(&email).await;
    let (status, refused) = node
        .call(reqwest::Method::GET, &path, Some(&token), Value::Null)
        .await;
    assert_eq!(status, 404, "{refused}");
    let (_, me) = node
        .call(
            reqwest::Method::GET,
            "/api/v1/auth/me",
            Some(&token),
            Value::Null,
        )
        .await;
    let caller = format!("user.id=\"{}\"", me["id"].as_str().unwrap());
    assert_one_request_line(
        &log,
        error_request_id(&refused),
        &["http.status=404", &caller],
    )
    .await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&token), "no token is logged");
    assert!(!text.contains(PASSWORD), "no password is logged");

    // gRPC: the id of the response's metadata, the gRPC path as route.
    let mut users = UserServiceClient::connect(process.url("")).await.unwrap();
    let status = users
        .get_user(GetUserRequest {
            user_id: user_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let id = status.metadata().get("x-request-id").unwrap();
    assert_one_request_line(&log, id.to_str().unwrap(), REFUSED_GET_USER).await;

    // gRPC-web, the same way.
    let response = reqwest::Client::new()
        .post(process.url("/janua.users.v1.UserService/GetUser"))
        .header("content-type", "application/grpc-web+proto")
        .body(grpc_web_frame())
        .send()
        .await
        .unwrap();
    let id = response.headers().get("x-request-id").unwrap();
    assert_one_request_line(&log, id.to_str().unwrap(), REFUSED_GET_USER).await;

    // A piped log has no colour codes; start-up named the database kind, not its password.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "ANSI escape codes in a piped log");
    let database_url = &app.env.iter().find(|(n, _)| n == "DATABASE_URL").unwrap().1;
    let kind = if database_url.starts_with("postgres") {
        "database: postgres"
    } else {
        "database: sqlite"
    };
    assert!(text.contains(kind), "{text}");
    assert!(
        text.contains("issuer: ") && text.contains("mail: log only"),
        "{text}"
    );
    if let Some(password) = url::Url::parse(database_url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        assert!(!text.contains(&password), "the database password is logged");
    }
}

fn error_request_id(body: &Value) -> &str {
    body["error"]["request_id"].as_str().unwrap()
}

#[tokio::test]
async fn account_counters_move_with_sign_ins_failures_lockouts_mfa_refreshes_and_reuse() {
    let Some(python) = python_with("pyotp") else {
        return;
    };
    let app = TestApp::spawn().await;
    // The third failure locks (before any delay), so a lockout takes three attempts.
    let limits = [
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ];
    let process = JanuaProcess::start_beside(&app, &limits).await;
    let node = Node::of_process(&process);
    let before = metric_samples(&process.url("/metrics")).await;

    // A sign-in, a refresh, and the rotated token presented again.
    let email = unique_email("counted");
    node.register(&email).await;
    let login = json!({"email": email, "password": PASSWORD});
    let (status, signed_in) = node.post("/api/v1/auth/login", None, login).await;
    assert_eq!(status, 200, "{signed_in}");
    let refresh = json!({"refresh_token": signed_in["tokens"]["refresh_token"]});
    let rotate = "/api/v1/auth/token/refresh";
    let (status, _) = node.post(rotate, None, refresh.clone()).await;
    assert_eq!(status, 200);
    let (status, _) = node.post(rotate, None, refresh).await;
    assert_eq!(status, 401, "reuse is refused");

    // Three wrong passwords lock the account.
    let wrong = json!({"email": email, "password": "not the password at all"});
    for _ in 0..3 {
        let (status, body) = node.post("/api/v1/auth/login", None, wrong.clone()).await;
        assert_eq!(status, 401, "{body}");
    }

    // An MFA challenge, a wrong answer, then a recovery code.
    let enrolled = enrolled_user(&app, &python).await;
    let login = json!({"email": enrolled.email, "password": PASSWORD});
    let (status, body) = node.post("/api/v1/auth/login", None, login).await;
    assert_eq!(status, 200, "{body}");
    let challenge_id = body["mfa_challenge"]["challenge_id"].clone();
    let verify = "/api/v1/mfa/challenge/verify";
    let wrong = json!({"challenge_id": challenge_id, "totp_code": "000000"});
    let (status, _) = node.post(verify, None, wrong).await;
    assert_eq!(status, 401);
    let right = json!({"challenge_id": challenge_id, "recovery_code": enrolled.recovery_codes[0]});
    let (status, body) = node.post(verify, None, right).await;
    assert_eq!(status, 200, "{body}");

    // A magic link nobody sent.
    let made_up = json!({"token": "made-up-link-token"});
    let (status, _) = node
        .post("/api/v1/auth/magic-link/verify", None, made_up)
        .await;
    assert_eq!(status, 401);

    let after = metric_samples(&process.url("/metrics")).await;
    let moved = |series: &str| {
        after.get(series).copied().unwrap_or_default()
            - before.get(series).copied().unwrap_or_default()
    };
    for (series, expected) in [
        (
            r#"janua_sign_ins_total{method="password",outcome="success"}"#,
            2.0,
        ),
        (
            r#"janua_sign_ins_total{method="password",outcome="failure"}"#,
            3.0,
        ),
        (
            r#"janua_sign_ins_total{method="password",outcome="mfa_required"}"#,
            1.0,
        ),
        (
            r#"janua_sign_ins_total{method="magic_link",outcome="failure"}"#,
            1.0,
        ),
        ("janua_lockouts_total", 1.0),
        ("janua_mfa_challenges_issued_total", 1.0),
        (r#"janua_mfa_challenge_answers_total{outcome="wrong"}"#, 1.0),
        (r#"janua_mfa_challenge_answers_total{outcome="right"}"#, 1.0),
        ("janua_token_refreshes_total", 1.0),
        ("janua_refresh_token_reuse_detections_total", 1.0),
        ("janua_session_revocations_total", 1.0),
    ] {
        assert_eq!(moved(series), expected, "{series}");
    }
    assert!(
        after
            .get("process_resident_memory_bytes")
            .is_some_and(|rss| *rss > 0.0)
    );
}

#[tokio::test]
async fn error_bodies_outside_the_gateway_name_the_request_id_too() {
    let app =
        TestApp::spawn_with(&[("METRICS_BEARER_TOKEN", "a-metrics-token-of-some-length")]).await;
    for path in [
        "/api/v1/sso/saml/not%20an%20id/metadata",
        "/api/v1/sso/oidc/not%20an%20id/callback?code=x&state=y",
        "/metrics",
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
        let header = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["request_id"],
            header.as_str(),
            "{path}: {body}"
        );
    }
}
