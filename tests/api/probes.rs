//! Operator-facing endpoints: reflection (v1 and v1alpha, through our client, `buf curl` and
//! `grpcurl`, which decodes error details from it), gRPC health, `/health`, `/health/ready`,
//! `/metrics`, request ids and CORS.

use std::collections::BTreeSet;

use serde_json::Value;
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::{v1, v1alpha};

use super::helpers::{TestApp, call_raw};

fn janua_services(app: &TestApp) -> BTreeSet<String> {
    app.app
        .descriptors
        .services()
        .map(|s| s.full_name().to_owned())
        .filter(|n| n.starts_with("janua."))
        .collect()
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_every_janua_service() {
    let app = TestApp::spawn().await;
    let expected = janua_services(&app);
    assert_eq!(expected.len(), 10);

    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.next().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list");
    };
    let listed: BTreeSet<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(listed.is_superset(&expected), "v1 listed {listed:?}");

    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.next().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list");
    };
    let listed: BTreeSet<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(listed.is_superset(&expected), "v1alpha listed {listed:?}");
}

/// `buf` from npm, when the test command installed it.
fn buf() -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/.bin/buf");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
        "buf is required (run npm ci) when JANUA_TEST_REQUIRE_PEERS is set"
    );
    eprintln!("skipped: node_modules/.bin/buf is not installed");
    None
}

#[tokio::test]
async fn buf_curl_lists_and_calls_through_reflection() {
    let Some(buf) = buf() else { return };
    let app = TestApp::spawn().await;
    let base = app.url("");
    // Asynchronously: the server runs on this test's runtime.
    let run = |args: Vec<String>| {
        let buf = buf.clone();
        async move {
            let output = tokio::process::Command::new(&buf)
                .args(&args)
                .output()
                .await
                .unwrap();
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        }
    };
    for reflect in ["grpc-v1", "grpc-v1alpha"] {
        let (code, stdout, stderr) = run(vec![
            "curl".into(),
            "--protocol".into(),
            "grpc".into(),
            "--http2-prior-knowledge".into(),
            "--reflect-protocol".into(),
            reflect.into(),
            "--list-methods".into(),
            base.clone(),
        ])
        .await;
        assert_eq!(code, Some(0), "{reflect}: {stderr}");
        assert!(
            stdout.contains("janua.auth.v1.AuthService/Login"),
            "{reflect}: {stdout}"
        );
        assert!(
            stdout.contains("janua.audit.v1.AuditService/ListAuditEvents"),
            "{reflect}: {stdout}"
        );
    }
    let (_, stdout, stderr) = run(vec![
        "curl".into(),
        "--protocol".into(),
        "grpc".into(),
        "--http2-prior-knowledge".into(),
        "-d".into(),
        "{}".into(),
        format!("{base}/janua.sso.v1.SsoService/StartSso"),
    ])
    .await;
    assert!(
        format!("{stdout}{stderr}").contains("invalid_argument"),
        "an empty StartSso names no target: {stdout}{stderr}"
    );
}

#[tokio::test]
async fn grpc_health_reports_serving() {
    let app = TestApp::spawn().await;
    let mut client = HealthClient::new(app.channel().await);
    for service in ["", "janua.auth.v1.AuthService"] {
        let response = client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
}

#[tokio::test]
async fn health_endpoints_report_database_and_redis() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/health/ready"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
        let redis = if std::env::var("REDIS_URL").is_ok() {
            "ok"
        } else {
            "not_configured"
        };
        assert_eq!(body["redis"], redis);
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    }
}

#[tokio::test]
async fn metrics_count_rpcs_by_method_and_code() {
    let app = TestApp::spawn().await;
    call_raw(
        app.channel().await,
        "/janua.sso.v1.SsoService/StartSso",
        None,
    )
    .await
    .unwrap_err();
    call_raw(app.channel().await, "/not.a.Service/Nope", None)
        .await
        .unwrap_err();
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"janua_rpc_requests_total{code="INVALID_ARGUMENT",rpc="/janua.sso.v1.SsoService/StartSso"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"rpc="other""#),
        "unknown paths share one label: {text}"
    );
    assert!(text.contains("janua_rpc_duration_seconds_bucket"));
    assert!(text.contains(r#"janua_db_pool_connections{state="open"}"#));
    assert!(text.contains("janua_password_hash_waiting"));
    assert!(text.contains("janua_password_hashes_abandoned_total"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(app.url("/health"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let response = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!generated.is_empty());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], generated.as_str());
}

#[tokio::test]
async fn cors_allows_configured_origins_for_grpc_web() {
    let app = TestApp::spawn_with(&[("CORS_ALLOWED_ORIGINS", "http://app.example.test")]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(
                reqwest::Method::OPTIONS,
                app.url("/janua.auth.v1.AuthService/Login"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-grpc-web,authorization",
            )
            .send()
    };
    let allowed = preflight("http://app.example.test").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://app.example.test"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allowed_headers.contains("x-grpc-web"), "{allowed_headers}");
    let refused = preflight("http://evil.example.test").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// `grpcurl` on the PATH, when the test command installed it.
pub(super) fn grpcurl() -> Option<&'static str> {
    let found = std::process::Command::new("grpcurl")
        .arg("-version")
        .output()
        .is_ok();
    if found {
        return Some("grpcurl");
    }
    assert!(
        std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
        "grpcurl is required when JANUA_TEST_REQUIRE_PEERS is set"
    );
    eprintln!("skipped: grpcurl is not installed");
    None
}

#[tokio::test]
async fn grpcurl_lists_services_and_checks_health() {
    let Some(grpcurl) = grpcurl() else { return };
    let app = TestApp::spawn().await;
    let address = app.addr.to_string();
    let run = |args: Vec<&str>| {
        let mut command = tokio::process::Command::new(grpcurl);
        command.arg("-plaintext").args(args).arg(&address);
        command
    };
    let listed = run(vec![]).arg("list").output().await.unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for service in janua_services(&app) {
        assert!(listed.contains(&service), "{service} missing from {listed}");
    }
    let health = run(vec!["-d", "{}"])
        .arg("grpc.health.v1.Health/Check")
        .output()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&health.stdout).contains("SERVING"),
        "{health:?}"
    );
    assert!(listed.contains("grpc.health.v1.Health"), "{listed}");
    let described = run(vec![])
        .args(["describe", "janua.auth.v1.LoginRequest"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&described.stdout).contains("password"));
}

#[tokio::test]
async fn grpcurl_prints_error_details_decoded() {
    let Some(grpcurl) = grpcurl() else { return };
    let app = TestApp::spawn().await;
    let failed = tokio::process::Command::new(grpcurl)
        .args([
            "-plaintext",
            "-d",
            r#"{"email": "not an email", "password": "x"}"#,
        ])
        .arg(app.addr.to_string())
        .arg("janua.auth.v1.AuthService/Register")
        .output()
        .await
        .unwrap();
    assert!(!failed.status.success(), "{failed:?}");
    // grpcurl writes the status to stderr; a detail type reflection does not serve would
    // show as "@value" base64 with "... is not recognized".
    let printed = String::from_utf8_lossy(&failed.stderr);
    assert!(printed.contains("Code: InvalidArgument"), "{printed}");
    assert!(
        printed.contains(r#""reason": "VALIDATION_ERROR""#)
            && printed.contains(r#""domain": "janua""#),
        "{printed}"
    );
    assert!(printed.contains(r#""field": "email""#), "{printed}");
    assert!(!printed.contains("@value"), "{printed}");
}
