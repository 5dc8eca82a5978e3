//! SSRF through SSO configuration (security review item 10): a connection's IdP URLs come from
//! an organization's owner, and StartSso (anyone) makes Janua fetch them. Through the real
//! port: a URL naming a refused address literally is refused when the connection is saved; a
//! host name resolving to a refused address is never connected to; and every way of failing
//! to reach an IdP gives the caller the same message, so answers cannot map the network.
//!
//! Tests handing the server non-loopback addresses run in their own network namespace
//! (`unshare --net`, only loopback up): were the guard ever to fail, no packet could leave.

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
};

use super::{auth::rest, fixtures::User, helpers::TestApp, orgs::reason};

const APP_CALLBACK: &str = "http://127.0.0.1:9/app/callback";
/// Set for the test binary re-run inside a network namespace.
const ISOLATED: &str = "JANUA_TEST_ISOLATED_NETWORK";

/// A Janua with `ENVIRONMENT=production` (loopback refused unless `vars` allow it).
async fn production(vars: &[(&str, &str)]) -> TestApp {
    let mut all = vec![
        ("ENVIRONMENT", "production"),
        ("SSO_ALLOWED_REDIRECT_URIS", APP_CALLBACK),
    ];
    all.extend_from_slice(vars);
    TestApp::spawn_with(&all).await
}

/// An organization owner on `app`, managing SSO connections over REST.
struct Owner {
    app: TestApp,
    user: User,
    org: String,
}

impl Owner {
    async fn on(app: TestApp) -> Self {
        let user = app.signed_in_user("owner").await;
        let org = app.organization_of(&user, "Acme").await;
        Self { app, user, org }
    }

    async fn create(&self, protocol: &str, settings: (&str, Value)) -> (u16, Value) {
        let (key, settings) = settings;
        let body = json!({"name": "IdP", "enabled": true, "protocol": protocol, key: settings});
        let path = format!("/api/v1/organizations/{}/sso/connections", self.org);
        rest(&self.app, "POST", &path, Some(&self.user.token), body).await
    }

    async fn create_oidc(&self, issuer: &str) -> (u16, Value) {
        let settings = json!({"issuer": issuer, "client_id": "janua", "client_secret": "secret"});
        self.create("SSO_PROTOCOL_OIDC", ("oidc", settings)).await
    }

    async fn create_saml(&self, metadata_url: &str) -> (u16, Value) {
        let settings = json!({"idp_metadata_url": metadata_url});
        self.create("SSO_PROTOCOL_SAML", ("saml", settings)).await
    }

    /// StartSso for the OIDC connection with `issuer` (created here): (status, reason, message).
    async fn start_oidc(&self, issuer: &str) -> (u16, String, String) {
        let (status, connection) = self.create_oidc(issuer).await;
        assert_eq!(status, 200, "{issuer}: {connection}");
        let (status, body) = rest(
            &self.app,
            "POST",
            "/api/v1/sso/start",
            None,
            json!({"connection_id": connection["id"], "redirect_uri": APP_CALLBACK}),
        )
        .await;
        outcome(status, &body)
    }
}

fn outcome(status: u16, body: &Value) -> (u16, String, String) {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    (status, reason(body).to_owned(), message.to_owned())
}

/// Asserts a connection was refused for naming a refused address in `field`.
fn assert_refused(case: &str, field: &str, (status, body): (u16, Value)) {
    assert_eq!(
        (status, reason(&body)),
        (400, "SSO_CONFIGURATION_ERROR"),
        "{case}: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{case}: {message}");
}

/// A loopback TCP peer answering every connection with `answer` (nothing: just closes),
/// counting connections.
struct Peer {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Peer {
    async fn start(answer: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                // Read the request (one read holds a small one), then answer.
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(answer).await;
                let _ = stream.shutdown().await;
            }
        });
        Self { port, connections }
    }

    /// Connections seen so far (after a moment for the accept loop to run).
    async fn connections(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.connections.load(Ordering::SeqCst)
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn connections_naming_loopback_literals_are_refused_in_production() {
    let owner = Owner::on(production(&[]).await).await;
    let peer = Peer::start(b"").await;
    let port = peer.port;
    for host in [
        "127.0.0.1".to_owned(),
        "127.1.2.3".to_owned(),
        "[::1]".to_owned(),
        "[::ffff:127.0.0.1]".to_owned(),
        // The URL parser reads this as 127.0.0.1.
        "2130706433".to_owned(),
    ] {
        for scheme in ["https", "http"] {
            let issuer = format!("{scheme}://{host}:{port}");
            assert_refused(&issuer, "oidc.issuer", owner.create_oidc(&issuer).await);
            let url = format!("{issuer}/metadata");
            let field = "saml.idp_metadata_url";
            assert_refused(&url, field, owner.create_saml(&url).await);
        }
    }
    // An update cannot bring one in either.
    let (status, connection) = owner.create_oidc("https://idp.example.test").await;
    assert_eq!(status, 200, "{connection}");
    let path = format!(
        "/api/v1/organizations/{}/sso/connections/{}?update_mask=oidc.issuer",
        owner.org,
        connection["id"].as_str().unwrap()
    );
    let body = json!({"oidc": {"issuer": format!("https://127.0.0.1:{port}")}});
    let updated = rest(&owner.app, "PATCH", &path, Some(&owner.user.token), body).await;
    assert_refused("update", "oidc.issuer", updated);
    assert_eq!(peer.connections().await, 0, "nothing may reach the peer");
}

/// The literal addresses of the namespaced test, none of which may ever be called: private,
/// CGNAT, unique-local, link-local, cloud metadata, unspecified, in their IPv6 forms too.
const PRIVATE_OR_WORSE: [&str; 12] = [
    "10.0.0.5",
    "172.16.0.1",
    "192.168.0.1",
    "100.64.0.1",
    "[fd00::1]",
    "[::ffff:10.0.0.5]",
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "100.100.100.200",
    "0.0.0.0",
];
/// Never allowed, whatever the operator allows.
const LINK_LOCAL_OR_METADATA: [&str; 5] = [
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "100.100.100.200",
];

#[test]
fn connections_naming_private_link_local_and_metadata_literals_are_refused() {
    run_isolated("ssrf::isolated_private_link_local_and_metadata_literals_are_refused");
}

#[tokio::test]
#[ignore = "runs inside its own network namespace, started by connections_naming_private_link_local_and_metadata_literals_are_refused"]
async fn isolated_private_link_local_and_metadata_literals_are_refused() {
    if !network_is_isolated() {
        return;
    }
    let cases = [
        (production(&[]).await, &PRIVATE_OR_WORSE[..]),
        // Development allows loopback, nothing of these.
        (TestApp::spawn().await, &PRIVATE_OR_WORSE[..]),
        (
            production(&[
                ("OUTBOUND_ALLOW_LOOPBACK", "true"),
                ("OUTBOUND_ALLOW_PRIVATE", "true"),
            ])
            .await,
            &LINK_LOCAL_OR_METADATA[..],
        ),
    ];
    for (app, hosts) in cases {
        let owner = Owner::on(app).await;
        for host in hosts {
            let issuer = format!("https://{host}");
            assert_refused(&issuer, "oidc.issuer", owner.create_oidc(&issuer).await);
            let url = format!("https://{host}/saml/metadata");
            let field = "saml.idp_metadata_url";
            assert_refused(&url, field, owner.create_saml(&url).await);
        }
    }
}

#[tokio::test]
async fn start_sso_never_connects_to_an_issuer_name_resolving_to_loopback_in_production() {
    let owner = Owner::on(production(&[]).await).await;
    let peer = Peer::start(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").await;
    let (status, reason, message) = owner
        .start_oidc(&format!("https://localhost:{}", peer.port))
        .await;
    assert_eq!((status / 100, reason.as_str()), (4, "SSO_METADATA_ERROR"));
    assert!(!message.contains("refused"), "{message}");
    assert_eq!(peer.connections().await, 0, "StartSso reached the peer");
}

#[tokio::test]
async fn saml_metadata_url_resolving_to_loopback_is_never_fetched_in_production() {
    let owner = Owner::on(production(&[]).await).await;
    let peer = Peer::start(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
    let url = format!("https://localhost:{}/saml/metadata", peer.port);
    let (status, body) = owner.create_saml(&url).await;
    assert_eq!(
        (status / 100, reason(&body)),
        (4, "SSO_METADATA_ERROR"),
        "{body}"
    );
    assert_eq!(
        peer.connections().await,
        0,
        "the metadata fetch reached the peer"
    );
}

#[tokio::test]
async fn every_way_of_not_reaching_the_idp_gives_the_same_message() {
    // Loopback allowed, so these calls really go out and fail each its own way.
    let reachable = Owner::on(production(&[("OUTBOUND_ALLOW_LOOPBACK", "true")]).await).await;
    // Loopback refused.
    let guarded = Owner::on(production(&[]).await).await;
    let not_found = Peer::start(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").await;
    let not_tls = Peer::start(b"this is not TLS\r\n").await;
    let elsewhere = Peer::start(b"").await;
    let closed = closed_port();

    let oidc = [
        (
            "closed port",
            &reachable,
            format!("http://127.0.0.1:{closed}"),
        ),
        (
            "HTTP 404",
            &reachable,
            format!("http://127.0.0.1:{}", not_found.port),
        ),
        (
            "not TLS",
            &reachable,
            format!("https://127.0.0.1:{}", not_tls.port),
        ),
        (
            "refused address",
            &guarded,
            format!("https://localhost:{}", elsewhere.port),
        ),
    ];
    let mut outcomes = Vec::new();
    for (case, owner, issuer) in &oidc {
        let outcome = owner.start_oidc(issuer).await;
        assert_eq!(outcome.1, "SSO_METADATA_ERROR", "{case}: {outcome:?}");
        outcomes.push((case, outcome));
    }
    for (case, outcome) in &outcomes {
        assert_eq!(
            outcome, &outcomes[0].1,
            "StartSso: {case} vs {}",
            outcomes[0].0
        );
    }

    let saml = [
        (
            "closed port",
            &reachable,
            format!("http://127.0.0.1:{closed}/md"),
        ),
        (
            "HTTP 404",
            &reachable,
            format!("http://127.0.0.1:{}/md", not_found.port),
        ),
        (
            "not TLS",
            &reachable,
            format!("https://127.0.0.1:{}/md", not_tls.port),
        ),
        (
            "refused address",
            &guarded,
            format!("https://localhost:{}/md", elsewhere.port),
        ),
    ];
    let mut outcomes = Vec::new();
    for (case, owner, url) in &saml {
        let (status, body) = owner.create_saml(url).await;
        let outcome = outcome(status, &body);
        assert_eq!(outcome.1, "SSO_METADATA_ERROR", "{case}: {outcome:?}");
        outcomes.push((case, outcome));
    }
    for (case, outcome) in &outcomes {
        assert_eq!(
            outcome, &outcomes[0].1,
            "SAML metadata: {case} vs {}",
            outcomes[0].0
        );
    }
    assert!(not_found.connections().await >= 2 && not_tls.connections().await >= 2);
    assert_eq!(elsewhere.connections().await, 0);
}

/// Whether this process runs in a network namespace with only loopback: asked by routing
/// (a UDP `connect` sends nothing). False outside the namespace test runs (the test skips);
/// a namespaced run that is not isolated fails rather than send anything.
fn network_is_isolated() -> bool {
    if std::env::var_os(ISOLATED).is_none() {
        eprintln!("skipped: runs only inside the network namespace its outer test creates");
        return false;
    }
    let routable = |address: &str| {
        let local = if address.starts_with('[') {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        };
        std::net::UdpSocket::bind(local)
            .and_then(|socket| socket.connect(address))
            .is_ok()
    };
    for address in ["10.0.0.5:9", "169.254.169.254:80", "[fd00::1]:9"] {
        assert!(
            !routable(address),
            "{ISOLATED} is set but {address} is routable"
        );
    }
    true
}

/// Runs the ignored test `name` of this binary in a new network namespace with only loopback
/// up, on SQLite and the in-process cache (PostgreSQL and Redis are outside the namespace).
/// Where namespaces cannot be made (no privileges), says so and returns.
fn run_isolated(name: &str) {
    let unshare = |extra: &[&str]| {
        let mut command = Command::new("unshare");
        command.args(extra).args([
            "--net",
            "--",
            "sh",
            "-c",
            r#"ip link set lo up && exec "$@""#,
            "sh",
        ]);
        command
    };
    let works = |extra: &[&str]| {
        unshare(extra)
            .arg("true")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    let Some(extra) = [&[][..], &["--user", "--map-root-user"][..]]
        .into_iter()
        .find(|extra| works(extra))
    else {
        assert!(
            std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
            "a network namespace (unshare --net) is required when JANUA_TEST_REQUIRE_PEERS is set"
        );
        eprintln!("skipped: cannot create a network namespace (unshare --net)");
        return;
    };
    let output = unshare(extra)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ISOLATED, "1")
        .env_remove("DATABASE_URL_PG")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} in its namespace:\n{stdout}\n{stderr}"
    );
}
