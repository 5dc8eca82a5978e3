//! Webhooks through the real port: endpoints managed over REST, every delivery verified by a
//! receiver built on the reference Standard Webhooks library (`tests/peers/
//! webhook_receiver.py`, PyPI `standardwebhooks`). `catalogue` triggers every event type and
//! checks signatures and refusals; `delivery` retries, failing and disabled endpoints,
//! redelivery, the delivery log, organization isolation and rolled-back changes; `nodes`
//! several nodes delivering each attempt once, and a node killed mid-delivery; `reach` the
//! refusal of private addresses at create and at delivery time.

mod catalogue;
mod delivery;
mod nodes;
mod reach;

use std::{
    fs::File,
    io::{BufRead, BufReader},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::helpers::{TestApp, python_with};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/webhook_receiver.py"
);
const WAIT: Duration = Duration::from_secs(20);

/// The receiver: hooks by name, each verifying under its secret.
pub struct Receiver {
    pub port: u16,
    http: reqwest::Client,
    running: Option<(Child, ChildStdin)>,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// None when no Python with `standardwebhooks` is found and peers are not required.
    pub fn start() -> Option<Self> {
        let python = python_with("standardwebhooks")?;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("receiver.log");
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "webhook_receiver.py did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        Some(Self {
            port,
            http: reqwest::Client::new(),
            running: Some((child, stdin)),
            _dir: dir,
        })
    }

    /// The URL of the hook `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/hooks/{name}", self.port)
    }

    fn control(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/_control/{path}", self.port)
    }

    /// Verifies the hook's deliveries under `secret`; the first `fail` verified ones get 500.
    pub async fn configure(&self, name: &str, secret: &str, fail: u32) {
        self.configure_with(name, json!({"secret": secret, "fail": fail}))
            .await;
    }

    /// Configures the hook with the receiver's own settings (`secret`, `fail`, `hang`).
    pub async fn configure_with(&self, name: &str, settings: Value) {
        let response = self
            .http
            .put(self.control(&format!("hooks/{name}")))
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// Judges timestamps against the server's manual clock.
    pub async fn follow_clock(&self, app: &TestApp) {
        let offset = app.clock.advanced().as_secs_f64();
        self.http
            .put(self.control("clock"))
            .json(&json!({"offset": offset}))
            .send()
            .await
            .unwrap();
    }

    /// Every delivery the hook received: {headers, body, verified, error, answered}.
    pub async fn deliveries(&self, name: &str) -> Vec<Value> {
        let response = self
            .http
            .get(self.control(&format!("hooks/{name}")))
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    /// Waits until the hook has received `count` deliveries; returns them all.
    pub async fn wait_for(&self, name: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let received = self.deliveries(name).await;
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "hook {name} received {} of {count}: {received:#?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The library's verdict on a delivery (or a tampered copy) under `secret`.
    pub async fn verify(&self, secret: &str, headers: &Value, body: &str) -> Value {
        self.http
            .post(self.control("verify"))
            .json(&json!({"secret": secret, "headers": headers, "body": body}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.running.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The parsed body of a delivery.
pub fn event_of(delivery: &Value) -> Value {
    serde_json::from_str(delivery["body"].as_str().unwrap()).unwrap()
}

/// Creates an endpoint over REST as `token` under `path` (an organization's or the
/// platform's); returns {endpoint, secret}.
pub async fn create_endpoint(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = app.rest("POST", path, Some(token), body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub fn org_webhooks(org: &str) -> String {
    format!("/api/v1/organizations/{org}/webhooks")
}

/// The endpoint's deliveries, as ListWebhookDeliveries shows them.
pub async fn delivery_log(app: &TestApp, token: &str, endpoint_path: &str) -> Vec<Value> {
    let (status, answer) = app
        .rest(
            "GET",
            &format!("{endpoint_path}/deliveries"),
            Some(token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["deliveries"].as_array().cloned().unwrap_or_default()
}

/// Waits until the endpoint's newest delivery has `status`; returns it.
pub async fn wait_for_status(
    app: &TestApp,
    token: &str,
    endpoint_path: &str,
    status: &str,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = delivery_log(app, token, endpoint_path).await;
        if let Some(newest) = log.first()
            && newest["status"] == status
        {
            return newest.clone();
        }
        assert!(Instant::now() < deadline, "no {status} delivery: {log:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
