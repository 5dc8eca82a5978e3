//! `SmtpSink`: a real SMTP server for the tests (Python's aiosmtpd, an implementation
//! independent of ours, run by `tests/peers/smtp_sink.py`), and what it received, parsed.
//!
//! ```ignore
//! let Some(sink) = SmtpSink::start() else { return };   // skips when aiosmtpd is missing
//! let app = TestApp::spawn_with(&sink.vars()).await;    // SMTP_HOST, SMTP_PORT, SMTP_FROM
//! // … make the server send mail to ada@example.test …
//! let mail = sink.wait_for("ada@example.test").await;
//! let token = link_token(&mail.text);
//! ```

use std::{
    collections::HashSet,
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use mailparse::{MailHeaderMap, ParsedMail};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtp_sink.py");
/// The sender the sink's `vars` configure.
pub const FROM: &str = "Janua <no-reply@janua.test>";
/// How long `wait_for` waits for a message.
const WAIT: Duration = Duration::from_secs(20);

/// A message the sink received, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// A running SMTP server on 127.0.0.1 that keeps every message; stopped on drop.
pub struct SmtpSink {
    pub port: u16,
    port_text: String,
    child: Child,
    /// Held open: the sink exits when it closes, even if this process dies without `Drop`.
    _stdin: ChildStdin,
    /// Messages already handed out by `wait_for`.
    taken: Mutex<HashSet<PathBuf>>,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the sink. `None` (after a note on stderr) when no Python with aiosmtpd is found
    /// and `JANUA_TEST_REQUIRE_PEERS` is unset; with it set, a missing aiosmtpd fails the test.
    pub fn start() -> Option<Self> {
        let python = super::helpers::python_with("aiosmtpd")?;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sink.log");
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .arg(dir.path().join("inbox"))
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
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "smtp_sink.py did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        Some(Self {
            port,
            port_text: port.to_string(),
            child,
            _stdin: stdin,
            taken: Mutex::new(HashSet::new()),
            dir,
        })
    }

    /// The settings that point Janua at this sink, for `TestApp::spawn_with`.
    pub fn vars(&self) -> [(&'static str, &str); 3] {
        [
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &self.port_text),
            ("SMTP_FROM", FROM),
        ]
    }

    /// The oldest message to `recipient` not yet returned by an earlier call; fails the test
    /// if none arrives within 20 seconds.
    pub async fn wait_for(&self, recipient: &str) -> ReceivedMail {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(mail) = self.take_first(recipient) {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {recipient} within {WAIT:?}; received: {:?}",
                self.received().iter().map(|m| &m.to).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message received so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.files().iter().map(|path| read_mail(path)).collect()
    }

    fn take_first(&self, recipient: &str) -> Option<ReceivedMail> {
        let mut taken = self.taken.lock().unwrap();
        for path in self.files() {
            if taken.contains(&path) {
                continue;
            }
            let mail = read_mail(&path);
            if mail
                .to
                .to_ascii_lowercase()
                .contains(&recipient.to_ascii_lowercase())
            {
                taken.insert(path);
                return Some(mail);
            }
        }
        None
    }

    /// The received messages' files, in arrival order (the sink numbers them).
    fn files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("inbox")) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_mail(path: &Path) -> ReceivedMail {
    let raw = std::fs::read(path).unwrap();
    let parsed = mailparse::parse_mail(&raw).unwrap();
    let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_default();
    ReceivedMail {
        from: header("From"),
        to: header("To"),
        subject: header("Subject"),
        text: part(&parsed, "text/plain").unwrap_or_default(),
        html: part(&parsed, "text/html").unwrap_or_default(),
    }
}

/// The decoded body of the first part of type `mimetype`, searching nested multiparts.
fn part(mail: &ParsedMail<'_>, mimetype: &str) -> Option<String> {
    if mail.subparts.is_empty() {
        return (mail.ctype.mimetype == mimetype).then(|| mail.get_body().unwrap());
    }
    mail.subparts.iter().find_map(|sub| part(sub, mimetype))
}

/// The `token` query parameter of the first http(s) link in `text`.
pub fn link_token(text: &str) -> String {
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| text.find(scheme))
        .min()
        .unwrap_or_else(|| panic!("no link in {text:?}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>'))
        .collect();
    url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no token= in {link}"))
}

#[test]
fn link_token_takes_the_token_of_the_first_link() {
    let text = "Reset it here:\nhttps://app.example.test/reset?token=abc%2B123&x=1\n\
                or ignore http://other.test/?token=nope";
    assert_eq!(link_token(text), "abc+123");
    let html = r#"<a href="https://app.example.test/verify?token=t0k">verify</a>"#;
    assert_eq!(link_token(html), "t0k");
}
