//! `TwilioStandIn`: a local server speaking Twilio's Messages API (`tests/peers/
//! twilio_messages.py`, standard-library Python), checking basic auth and the form fields as
//! Twilio does, and what it received. It can be stopped and started again on the same port,
//! to play a provider that is down for a while. Given a webhook secret it also plays an
//! operator's gateway for the generic webhook provider (`POST /sms`, JSON, HMAC header).

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/twilio_messages.py"
);
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "a-twilio-auth-token-for-tests";
pub const FROM_NUMBER: &str = "+15005550006";
const WAIT: Duration = Duration::from_secs(20);

pub struct TwilioStandIn {
    python: String,
    pub port: u16,
    base_url: String,
    running: Option<(Child, ChildStdin)>,
    dir: tempfile::TempDir,
    /// Messages already handed out by `wait_for`.
    taken: usize,
    /// The secret the webhook gateway checks signatures with, when it plays one.
    webhook_secret: Option<String>,
}

impl TwilioStandIn {
    /// Starts the stand-in; None when no Python is found and peers are not required.
    pub fn start() -> Option<Self> {
        Self::start_checking(None)
    }

    /// Starts the stand-in, also a webhook gateway checking signatures under `secret`.
    pub fn start_as_webhook(secret: &str) -> Option<Self> {
        Self::start_checking(Some(secret.to_owned()))
    }

    fn start_checking(webhook_secret: Option<String>) -> Option<Self> {
        let python = super::helpers::python_with("http.server")?;
        let mut stand_in = Self {
            python,
            port: 0,
            base_url: String::new(),
            running: None,
            dir: tempfile::tempdir().unwrap(),
            taken: 0,
            webhook_secret,
        };
        stand_in.run();
        stand_in.base_url = format!("http://127.0.0.1:{}", stand_in.port);
        Some(stand_in)
    }

    fn run(&mut self) {
        let log = self.dir.path().join("stand-in.log");
        let mut child = Command::new(&self.python)
            .arg(SCRIPT)
            .arg(self.dir.path().join("messages"))
            .args(["--sid", ACCOUNT_SID, "--token", AUTH_TOKEN])
            .args(["--port", &self.port.to_string()])
            .args(
                self.webhook_secret
                    .iter()
                    .flat_map(|secret| ["--webhook-secret", secret]),
            )
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
        self.port = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "twilio_messages.py did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        self.running = Some((child, stdin));
    }

    /// Stops the server: the port refuses connections until `restart`.
    pub fn stop(&mut self) {
        if let Some((mut child, _)) = self.running.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// Starts it again on the same port, checking webhook signatures under `secret`.
    pub fn restart_checking(&mut self, secret: &str) {
        self.webhook_secret = Some(secret.to_owned());
        self.restart();
    }

    /// The settings that turn SMS on through the webhook gateway, signing with `secret`.
    pub fn webhook_vars<'a>(&'a self, secret: &'a str) -> Vec<(&'static str, String)> {
        vec![
            ("MFA_SMS_ENABLED", "true".into()),
            ("SMS_PROVIDER", "webhook".into()),
            ("SMS_WEBHOOK_URL", format!("{}/sms", self.base_url)),
            ("SMS_WEBHOOK_SECRET", secret.into()),
            ("SMS_ALLOWED_COUNTRIES", "US,CA".into()),
        ]
    }

    /// How many webhook requests the gateway refused for their signature.
    pub fn refused_signatures(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("messages/refused.log"))
            .map_or(0, |text| text.lines().count())
    }

    /// The settings that turn SMS on through this stand-in, allowing US and CA numbers.
    pub fn vars(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("MFA_SMS_ENABLED", "true"),
            ("SMS_PROVIDER", "twilio"),
            ("TWILIO_API_BASE_URL", &self.base_url),
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN),
            ("TWILIO_FROM_NUMBER", FROM_NUMBER),
            ("SMS_ALLOWED_COUNTRIES", "US,CA"),
        ]
    }

    /// Every accepted message's form, in arrival order.
    pub fn received(&self) -> Vec<Value> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("messages")) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }

    /// The next message not yet handed out: it must be to `to`, from the configured number;
    /// returns the 6-digit code in its body. Fails the test after 20 seconds.
    pub async fn wait_for_code(&mut self, to: &str) -> String {
        let message = self.next_message().await;
        assert_eq!(message["To"], to, "{message}");
        assert_eq!(message["From"], FROM_NUMBER, "{message}");
        code_in(message["Body"].as_str().unwrap())
    }

    /// The next message not yet handed out, as the webhook gateway received it: exactly
    /// `{"to", "body"}`, to `to`; returns the 6-digit code in its body.
    pub async fn wait_for_webhook_code(&mut self, to: &str) -> String {
        let message = self.next_message().await;
        assert_eq!(message.as_object().unwrap().len(), 2, "{message}");
        assert_eq!(message["to"], to, "{message}");
        code_in(message["body"].as_str().unwrap())
    }

    /// The next message not yet handed out. Fails the test after 20 seconds.
    async fn next_message(&mut self) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(message) = self.received().get(self.taken).cloned() {
                self.taken += 1;
                return message;
            }
            assert!(Instant::now() < deadline, "no text message within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TwilioStandIn {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The first run of six digits in `text`.
pub fn code_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {text:?}"))
}
