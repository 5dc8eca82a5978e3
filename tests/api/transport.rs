//! The edge of the port, through raw sockets and real clients: the client address behind
//! trusted proxies (and only them), slow bodies and request heads cut off, the per-IP cap
//! on open connections, `/metrics` behind a bearer token or on its own listener, and the
//! SQLite file's permissions.

use std::{collections::HashMap, time::Duration};

use bytes::{BufMut, BytesMut};
use janua::proto::janua::auth::v1::RegisterRequest;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use super::{
    auth::{PASSWORD, access, rest, unique_email},
    helpers::TestApp,
};

/// Registers over REST with extra headers: (status, body).
async fn register_with(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Registers over native gRPC with an `x-forwarded-for` header.
async fn register_over_grpc(app: &TestApp, email: &str, forwarded_for: &str) {
    let mut client = app.auth_client().await;
    let mut request = tonic::Request::new(RegisterRequest {
        email: email.into(),
        password: PASSWORD.into(),
        display_name: String::new(),
    });
    let value = forwarded_for.parse().unwrap();
    request.metadata_mut().insert("x-forwarded-for", value);
    client.register(request).await.unwrap();
}

/// Registers over gRPC-web (HTTP/1.1) with an `x-forwarded-for` header.
async fn register_over_grpc_web(app: &TestApp, email: &str, forwarded_for: &str) {
    let message = prost::Message::encode_to_vec(&RegisterRequest {
        email: email.into(),
        password: PASSWORD.into(),
        display_name: String::new(),
    });
    let mut frame = BytesMut::new();
    frame.put_u8(0);
    frame.put_u32(u32::try_from(message.len()).unwrap());
    frame.extend_from_slice(&message);
    let response = app
        .http
        .post(app.url("/janua.auth.v1.AuthService/Register"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-forwarded-for", forwarded_for)
        .body(frame.freeze())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("grpc-status"), None, "{response:?}");
}

/// The IP address recorded with each `user.registered` event, by the user's email.
async fn registration_ips(app: &TestApp) -> HashMap<String, Option<String>> {
    use janua::store::entities::{audit_event, user};
    let emails: HashMap<String, String> = user::Entity::find()
        .all(&app.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    audit_event::Entity::find()
        .all(&app.app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.action == "user.registered")
        .filter_map(|event| {
            Some((
                emails.get(event.actor_id.as_ref()?)?.clone(),
                event.ip_address,
            ))
        })
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_counts_and_is_recorded() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ("SIGNUPS_PER_HOUR_PER_IP", "1"),
    ])
    .await;
    let (rest_user, grpc_user, web_user) =
        (unique_email("r"), unique_email("g"), unique_email("w"));
    let forwarded = [("x-forwarded-for", "203.0.113.77, 198.51.100.1")];
    let (status, body) = register_with(&app, &rest_user, &forwarded).await;
    assert_eq!(status, 200, "{body}");
    register_over_grpc(&app, &grpc_user, "198.51.100.2").await;
    register_over_grpc_web(&app, &web_user, "198.51.100.3").await;

    let (_, sessions) = rest(
        &app,
        "GET",
        "/api/v1/auth/sessions",
        Some(&access(&body)),
        Value::Null,
    )
    .await;
    assert_eq!(sessions["sessions"][0]["ip_address"], "198.51.100.1");
    let ips = registration_ips(&app).await;
    for (email, ip) in [
        (&rest_user, "198.51.100.1"),
        (&grpc_user, "198.51.100.2"),
        (&web_user, "198.51.100.3"),
    ] {
        assert_eq!(ips[email].as_deref(), Some(ip), "{email}");
    }
    let (status, _) = register_with(&app, &unique_email("again"), &forwarded).await;
    assert_eq!(
        status, 429,
        "the second sign-up from 198.51.100.1 in the hour"
    );
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    let app = TestApp::spawn_with(&[("SIGNUPS_PER_HOUR_PER_IP", "1")]).await;
    let email = unique_email("direct");
    let (status, _) = register_with(&app, &email, &[("x-forwarded-for", "198.51.100.1")]).await;
    assert_eq!(status, 200);
    let spoofed = [
        ("x-forwarded-for", "198.51.100.2"),
        ("forwarded", "for=198.51.100.3"),
    ];
    let (status, _) = register_with(&app, &unique_email("spoof"), &spoofed).await;
    assert_eq!(status, 429, "a made-up address does not dodge the limit");
    assert_eq!(
        registration_ips(&app).await[&email].as_deref(),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn a_forwarded_header_names_an_ipv6_client() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1/32, ::1/128")]).await;
    let email = unique_email("six");
    let headers = [
        (
            "forwarded",
            r#"for="[2001:db8::1]:4711";proto=https;by=127.0.0.1"#,
        ),
        ("x-forwarded-for", "198.51.100.9"),
    ];
    let (status, body) = register_with(&app, &email, &headers).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        registration_ips(&app).await[&email].as_deref(),
        Some("2001:db8::1")
    );
}

/// Reads until the server closes the connection (end of stream or reset); None if it is
/// still open after `within`.
async fn read_until_closed(
    stream: &mut (impl AsyncRead + Unpin),
    within: Duration,
) -> Option<String> {
    let (deadline, mut received) = (Instant::now() + within, Vec::new());
    loop {
        let mut chunk = [0_u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(read)) => received.extend_from_slice(&chunk[..read]),
        }
    }
}

/// Far more than any timeout the tests set, far less than a slow client would take.
const BOUND: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_slow_body_is_cut_off_at_the_request_timeout() {
    let app = TestApp::spawn_with(&[("JANUA_REQUEST_TIMEOUT_SECONDS", "1")]).await;
    for (path, content_type, answer) in [
        ("/api/v1/auth/login", "application/json", "HTTP/1.1 408"),
        (
            "/janua.auth.v1.AuthService/Login",
            "application/grpc-web+proto",
            "grpc-status: 4",
        ),
    ] {
        let (mut reader, mut writer) = TcpStream::connect(app.addr).await.unwrap().into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: janua.test\r\ncontent-type: {content_type}\r\ncontent-length: 400\r\n\r\n"
        );
        writer.write_all(head.as_bytes()).await.unwrap();
        // One byte every 250 ms: the whole body would take 100 s.
        let drip = tokio::spawn(async move {
            while writer.write_all(b" ").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            writer
        });
        let received = read_until_closed(&mut reader, BOUND).await;
        drip.abort();
        let received = received.unwrap_or_else(|| panic!("{path}: still open after {BOUND:?}"));
        assert!(received.contains(answer), "{path}: {received}");
    }
}

#[tokio::test]
async fn silent_or_slow_request_heads_are_cut_off_at_the_header_timeout() {
    let app = TestApp::spawn_with(&[("JANUA_HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    for (start, drip) in [
        ("", false),
        ("PRI * HTTP/2.0\r\n", false),
        ("GET /health HTTP/1.1\r\nhost: janua.test\r\nx-slow: ", true),
    ] {
        let (mut reader, mut writer) = TcpStream::connect(app.addr).await.unwrap().into_split();
        writer.write_all(start.as_bytes()).await.unwrap();
        let dripping = tokio::spawn(async move {
            while drip && writer.write_all(b"a").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            std::future::pending::<()>().await;
            writer
        });
        let closed = read_until_closed(&mut reader, BOUND).await;
        dripping.abort();
        assert!(closed.is_some(), "{start:?}: still open after {BOUND:?}");
    }
}

/// A keep-alive `GET /health` on an open connection: its status line.
async fn health_on(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: janua.test\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let deadline = Instant::now() + BOUND;
    while !complete_response(&received) {
        let mut chunk = [0_u8; 4096];
        let read = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await;
        let read = read
            .expect("an answer in time")
            .expect("an open connection");
        assert!(read > 0, "closed mid-response");
        received.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&received);
    text.lines().next().unwrap_or_default().to_owned()
}

/// Whether `received` holds a whole response with a `content-length` body.
fn complete_response(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length
}

#[tokio::test]
async fn connections_beyond_the_per_ip_cap_are_closed_while_the_others_stay_open() {
    let app = TestApp::spawn_with(&[("MAX_CONNECTIONS_PER_IP", "3")]).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        assert_eq!(health_on(&mut stream).await, "HTTP/1.1 200 OK");
        open.push(stream);
    }
    let mut fourth = TcpStream::connect(app.addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET /health HTTP/1.1\r\nhost: janua.test\r\n\r\n")
        .await;
    let answer = read_until_closed(&mut fourth, BOUND).await;
    assert_eq!(
        answer.as_deref(),
        Some(""),
        "the fourth is closed without an answer"
    );
    for stream in &mut open {
        assert_eq!(
            health_on(stream).await,
            "HTTP/1.1 200 OK",
            "the three stay open"
        );
    }
    drop(open.pop());
    let deadline = Instant::now() + BOUND;
    loop {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let _ = stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: janua.test\r\n\r\n")
            .await;
        let mut first = [0_u8; 12];
        if stream.read_exact(&mut first).await.is_ok() {
            assert_eq!(
                &first, b"HTTP/1.1 200",
                "a closed connection frees its slot"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const METRICS_TOKEN: &str = "a scraper's long bearer token";

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_set() {
    let app = TestApp::spawn_with(&[("METRICS_BEARER_TOKEN", METRICS_TOKEN)]).await;
    let scrape = |token: Option<&'static str>| {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };
    assert_eq!(scrape(None).await.status(), 401);
    assert_eq!(
        scrape(Some("a scraper's long bearer tokeN")).await.status(),
        401
    );
    let allowed = scrape(Some(METRICS_TOKEN)).await;
    assert_eq!(allowed.status(), 200);
    assert!(allowed.text().await.unwrap().contains("janua_"));
}

#[tokio::test]
async fn metrics_can_live_on_a_listener_of_their_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[("METRICS_ADDRESS", &address)]).await;
    let on_api_port = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(on_api_port.status(), 404);
    let own = app
        .http
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let text = own.text().await.unwrap();
    assert!(text.contains("janua_"));
    // The process collector's metrics, under their standard names.
    for metric in [
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(text.contains(metric), "{metric} missing:\n{text}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_and_its_wal_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    let (status, body) = register_with(&app, &unique_email("file"), &[]).await;
    assert_eq!(status, 200, "{body}");
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("private.db{suffix}"));
        if let Ok(metadata) = std::fs::metadata(&file) {
            assert_eq!(
                metadata.permissions().mode() & 0o777,
                0o600,
                "{}",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "the database and its WAL exist");
}
