//! `TestApp`: a running Janua for one test, and the clients to call it.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use janua::{
    clock::{Clock, ManualClock},
    config::Config,
    principal::AccessClaims,
    server::{self, App, Migrations},
};
use serde_json::Value;
use tokio::sync::oneshot;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    transport::Channel,
};

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    /// The server's clock: `app.clock.advance(...)` moves "now" for token and challenge
    /// expiry, the keyring's reload age and the in-process cache's TTLs (limits, locks).
    pub clock: Arc<ManualClock>,
    /// Environment for running the `janua` binary against the same database.
    pub env: Vec<(String, String)>,
    pub http: reqwest::Client,
    _shutdown: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// A fresh database URL: a new SQLite file in `dir`, or a new PostgreSQL database.
pub async fn fresh_database_url(dir: &std::path::Path, postgres: bool) -> String {
    if !postgres {
        return format!("sqlite://{}?mode=rwc", dir.join("janua.db").display());
    }
    let admin_url = std::env::var("DATABASE_URL_PG").expect("DATABASE_URL_PG");
    let name = format!("janua_test_{}", uuid::Uuid::now_v7().simple());
    let admin = janua::store::connect(&admin_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

pub fn uses_postgres() -> bool {
    std::env::var("DATABASE_URL_PG").is_ok_and(|v| !v.is_empty())
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts Janua with the test defaults, overridden by `vars`.
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        Self::spawn_in(tempfile::tempdir().unwrap(), None, vars).await
    }

    /// Starts Janua with exactly this environment (a private database and cache).
    pub async fn spawn_on(env: Vec<(String, String)>) -> Self {
        Self::start(tempfile::tempdir().unwrap(), env).await
    }

    /// A second node beside this one: same database, cache namespace and keys.
    pub async fn spawn_beside(&self, vars: &[(&str, &str)]) -> Self {
        Self::spawn_in(tempfile::tempdir().unwrap(), Some(self.env.clone()), vars).await
    }

    /// `spawn_beside`, but the node is its own issuer, so browser flows (SSO callbacks)
    /// started there come back to it.
    pub async fn spawn_beside_as_issuer(&self, vars: &[(&str, &str)]) -> Self {
        let mut env = self.env.clone();
        env.retain(|(name, _)| name != "JANUA_ISSUER");
        Self::spawn_in(tempfile::tempdir().unwrap(), Some(env), vars).await
    }

    /// `spawn_with`, on the in-process cache even in the Redis pass: its TTLs follow the
    /// manual clock (Redis expires keys on its own), for tests of how limits expire.
    pub async fn spawn_on_in_process_cache(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Self::fresh_env(&dir).await;
        env.retain(|(name, _)| name != "REDIS_URL" && name != "REDIS_KEY_PREFIX");
        Self::spawn_in(dir, Some(env), vars).await
    }

    async fn spawn_in(
        dir: tempfile::TempDir,
        shared: Option<Vec<(String, String)>>,
        vars: &[(&str, &str)],
    ) -> Self {
        let mut env = match shared {
            Some(env) => env,
            None => Self::fresh_env(&dir).await,
        };
        for (name, value) in vars {
            env.retain(|(n, _)| n != name);
            env.push(((*name).into(), (*value).into()));
        }
        Self::start(dir, env).await
    }

    async fn fresh_env(dir: &tempfile::TempDir) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            (
                "DATABASE_URL".into(),
                fresh_database_url(dir.path(), uses_postgres()).await,
            ),
            ("FIELD_ENCRYPTION_KEY".into(), random_key()),
            // Tests sign up many accounts from 127.0.0.1.
            ("SIGNUPS_PER_HOUR_PER_IP".into(), "10000".into()),
            ("JANUA_BIND_ADDRESS".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
        ];
        if let Ok(redis) = std::env::var("REDIS_URL") {
            env.push(("REDIS_URL".into(), redis));
            env.push((
                "REDIS_KEY_PREFIX".into(),
                format!("test:{}:", uuid::Uuid::now_v7().simple()),
            ));
        }
        env
    }

    async fn start(dir: tempfile::TempDir, mut env: Vec<(String, String)>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The issuer is where the server really is, so IdPs and browsers can follow the SSO
        // endpoints it hands out (a test may set its own; a node beside shares the first's).
        if !env.iter().any(|(name, _)| name == "JANUA_ISSUER") {
            env.push(("JANUA_ISSUER".into(), format!("http://{addr}")));
        }
        let config = Config::from_vars(env.clone()).unwrap();
        let clock = Arc::new(ManualClock::new());
        let app = Arc::new(
            App::start(config, Migrations::Apply, clock.clone())
                .await
                .unwrap(),
        );
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            server::serve(served, listener, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            app,
            clock,
            env,
            http: reqwest::Client::builder()
                .user_agent("janua-tests/1.0")
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            _shutdown: shutdown,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url(""))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// An access token signed by the server's keyring, as sign-in will issue.
    pub async fn access_token(&self) -> String {
        let now = self.clock.now().timestamp();
        let claims = AccessClaims {
            iss: self.app.keyring.issuer().to_owned(),
            sub: uuid::Uuid::now_v7().to_string(),
            aud: self.app.keyring.issuer().to_owned(),
            exp: now + 900,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: uuid::Uuid::now_v7().to_string(),
            email: Some("tester@example.com".into()),
            org_id: None,
            org_role: None,
            amr: vec!["pwd".into()],
            permissions: vec![],
        };
        self.app.keyring.sign(&claims).await.unwrap()
    }

    /// Runs the `janua` binary with this app's environment.
    pub fn janua(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_janua"))
            .args(args)
            .env_clear()
            .envs(self.env.iter().cloned())
            .output()
            .unwrap()
    }
}

/// A `janua serve` process beside `app` (same database, Redis namespace and keys).
pub struct JanuaProcess {
    pub child: tokio::process::Child,
    pub port: u16,
}

impl JanuaProcess {
    pub async fn start_beside(app: &TestApp, vars: &[(&str, &str)]) -> Self {
        Self::spawn(app, vars, std::process::Stdio::null()).await
    }

    /// `start_beside`, its log (standard error, a pipe to a file) written to `log`.
    pub async fn start_beside_logging_to(
        app: &TestApp,
        vars: &[(&str, &str)],
        log: std::fs::File,
    ) -> Self {
        Self::spawn(app, vars, log.into()).await
    }

    async fn spawn(app: &TestApp, vars: &[(&str, &str)], stderr: std::process::Stdio) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut env = app.env.clone();
        env.retain(|(name, _)| name != "PORT");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_janua"));
        command
            .env_clear()
            .envs(env)
            .env("PORT", port.to_string())
            .envs(vars.iter().copied())
            .kill_on_drop(true);
        let child = command
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(process.url("/health")).await.is_err() {
            assert!(Instant::now() < deadline, "janua serve did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// `JANUA_TEST_PYTHON` (set by tests/run), else `python3`: the first that imports `module`.
/// Whether `REDIS_URL` names a Redis for a test of `what`. Without one the test skips (after a
/// note) only in a pass declared Redis-free (`JANUA_TEST_CACHE=in-process`, the test
/// command's SQLite pass) or outside `JANUA_TEST_REQUIRE_PEERS`; otherwise it fails.
pub fn redis_or_skip(what: &str) -> bool {
    if std::env::var("REDIS_URL").is_ok_and(|url| !url.is_empty()) {
        return true;
    }
    let redis_free = std::env::var("JANUA_TEST_CACHE").is_ok_and(|c| c == "in-process");
    assert!(
        redis_free || std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
        "{what} needs REDIS_URL under JANUA_TEST_REQUIRE_PEERS (tests/run starts Redis)"
    );
    eprintln!("skipped: {what} needs REDIS_URL (the test command's Redis pass runs it)");
    false
}

/// None (after a note) when there is none and `JANUA_TEST_REQUIRE_PEERS` is unset.
pub fn python_with(module: &str) -> Option<String> {
    let configured = std::env::var("JANUA_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty());
    let found = configured
        .into_iter()
        .chain(["python3".to_owned()])
        .find(|python| {
            std::process::Command::new(python)
                .args(["-c", &format!("import {module}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
            "a Python with {module} is required when JANUA_TEST_REQUIRE_PEERS is set (tests/run installs it)"
        );
        eprintln!("skipped: no Python with {module}");
    }
    found
}

/// The samples of a `/metrics` scrape, by series (`name{labels}`).
pub async fn metric_samples(url: &str) -> std::collections::HashMap<String, f64> {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(series, value)| Some((series.to_owned(), value.parse().ok()?)))
        .collect()
}

pub fn random_key() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The claims of a JWT, read without verifying it (the token came from Janua in the test,
/// and the server verifies it on every call).
pub fn jwt_claims(token: &str) -> Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The `amr` claim (how the user authenticated) of an access token.
pub fn amr(access_token: &str) -> Value {
    jwt_claims(access_token)["amr"].clone()
}

/// Passes message bytes through untouched, for calling any method of the descriptor set.
#[derive(Clone, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Calls `path` (`/package.Service/Method`) with an empty request message.
pub async fn call_raw(channel: Channel, path: &str, token: Option<&str>) -> Result<Bytes, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(Bytes::new());
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let path = path.parse().unwrap();
    grpc.unary(request, path, RawCodec)
        .await
        .map(|r| r.into_inner())
}

/// A gRPC-web request body: one uncompressed, empty message frame.
pub fn grpc_web_frame() -> Bytes {
    let mut frame = BytesMut::new();
    frame.put_u8(0);
    frame.put_u32(0);
    frame.freeze()
}
