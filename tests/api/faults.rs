//! Fault tolerance and several nodes (issue #8), each test against its own PostgreSQL and
//! Redis servers, which it stops, restarts, kills or starves at will (see `services`):
//! PostgreSQL restarted under a stream of sign-ups and sign-ins, Redis killed and starved of
//! memory, and three nodes sharing one PostgreSQL and one Redis.
//!
//! Node A is always an in-process server (the test reads its state directly); the other nodes
//! of the three-node test are `janua serve` processes, as a deployment runs them. Nothing is
//! shared between nodes but PostgreSQL and Redis: each in-process node has its own pools,
//! keyring snapshot and fallback counters too.

mod postgres_restart;
mod redis_outage;
mod services;
mod three_nodes;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{
    auth::PASSWORD,
    helpers::{JanuaProcess, TestApp, jwt_claims},
};

/// One node as its clients see it: a base URL.
pub struct Node {
    base: String,
    http: reqwest::Client,
}

impl Node {
    pub fn of(app: &TestApp) -> Self {
        Self::at(app.url(""))
    }

    pub fn of_process(process: &JanuaProcess) -> Self {
        Self::at(process.url(""))
    }

    fn at(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    /// One REST call: (HTTP status, JSON body).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method == reqwest::Method::POST {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn register(&self, email: &str) {
        let body = json!({"email": email, "password": PASSWORD, "display_name": "Faults"});
        let (status, body) = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Signs in: (HTTP status, access token when 200).
    pub async fn login(&self, email: &str, password: &str) -> (u16, Option<String>) {
        let body = json!({"email": email, "password": password});
        let (status, body) = self.post("/api/v1/auth/login", None, body).await;
        let token = body["tokens"]["access_token"].as_str().map(str::to_owned);
        (status, token)
    }

    /// Signs in with the right password, which must succeed.
    pub async fn session(&self, email: &str) -> String {
        let (status, token) = self.login(email, PASSWORD).await;
        assert_eq!(status, 200, "sign-in of {email}");
        token.unwrap()
    }

    /// Signs the platform administrator in.
    pub async fn admin_session(&self) -> String {
        let (status, token) = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, 200, "administrator sign-in");
        token.unwrap()
    }

    /// The HTTP status of `GetCurrentUser` with `token`.
    pub async fn me(&self, token: &str) -> u16 {
        let path = "/api/v1/auth/me";
        self.call(reqwest::Method::GET, path, Some(token), Value::Null)
            .await
            .0
    }

    /// `IntrospectToken` as the administrator: is `token` active?
    pub async fn active(&self, admin: &str, token: &str) -> bool {
        let path = "/api/v1/auth/token/introspect";
        let (status, body) = self.post(path, Some(admin), json!({"token": token})).await;
        assert_eq!(status, 200, "{body}");
        body["active"] == true
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, body).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None, Value::Null)
            .await
    }

    /// Waits (at most `limit`) until `/health/ready` reports `redis` as `expected`.
    pub async fn wait_for_redis(&self, expected: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let (_, body) = self.get("/health/ready").await;
            if body["redis"] == expected {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "redis never became {expected}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub const ADMIN_EMAIL: &str = "faults-admin@janua.test";
pub const ADMIN_PASSWORD: &str = "an admin passphrase for fault tests";

/// The environment of a node on this database and (when given) Redis, with `vars` on top.
/// Nodes given the same database, Redis and `key` form one deployment.
pub fn node_env(
    database_url: &str,
    redis_url: Option<&str>,
    key: &str,
    vars: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("DATABASE_URL", database_url),
        ("FIELD_ENCRYPTION_KEY", key),
        ("SIGNUPS_PER_HOUR_PER_IP", "100000"),
        ("JANUA_BIND_ADDRESS", "127.0.0.1"),
        ("PORT", "0"),
        ("JANUA_ISSUER", "http://127.0.0.1:4100"),
        ("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    if let Some(redis_url) = redis_url {
        env.push(("REDIS_URL".into(), redis_url.to_owned()));
        env.push(("REDIS_KEY_PREFIX".into(), "faults:".into()));
    }
    for (name, value) in vars {
        env.retain(|(n, _)| n != name);
        env.push(((*name).into(), (*value).into()));
    }
    env
}

/// A claim of an access token, read without verifying it (the servers verify).
pub fn claim(token: &str, name: &str) -> Value {
    jwt_claims(token)[name].clone()
}

/// The session (`sid`) of an access token.
pub fn session_id(token: &str) -> String {
    claim(token, "sid").as_str().unwrap().to_owned()
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.test", uuid::Uuid::now_v7().simple())
}
