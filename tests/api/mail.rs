//! The outbox and its worker, on SQLite and (when `DATABASE_URL_PG` is set) PostgreSQL:
//! delivery through a real SMTP exchange with the aiosmtpd sink, retries with backoff when
//! the server is unreachable, the log transport of development, and one delivery per message
//! when several nodes run the worker.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use chrono::{DateTime, TimeZone, Utc};
use janua::{
    clock::{Clock, SystemClock},
    config::Config,
    crypto::{FieldCipher, FieldKey},
    mail::{Delivery, MAX_ATTEMPTS, Mail, MailTransport, Mailer},
    store::{self, entities::mail_message},
};
use sea_orm::{EntityTrait, PaginatorTrait, TransactionTrait};

use super::{
    helpers::{TestApp, fresh_database_url, uses_postgres},
    smtp::{FROM, SmtpSink, link_token},
};

const RECIPIENT: &str = "ada@example.test";
const LINK: &str = "https://app.example.test/reset?token=abc123";

fn backends() -> Vec<bool> {
    if uses_postgres() {
        vec![false, true]
    } else {
        vec![false]
    }
}

async fn migrated_db(dir: &std::path::Path, postgres: bool) -> store::Db {
    let db = store::connect(&fresh_database_url(dir, postgres).await)
        .await
        .unwrap();
    store::migrate(&db).await.unwrap();
    db
}

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap()
}

fn cipher() -> FieldCipher {
    FieldCipher::new(&FieldKey::generate())
}

fn reset_mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Reset your password".into(),
        text: format!("Choose a new password:\n{LINK}\n"),
        html: format!(r#"<p><a href="{LINK}">Choose a new password</a></p>"#),
    }
}

async fn only_row(db: &store::Db) -> mail_message::Model {
    let mut rows = mail_message::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

/// A clock that stays where it is put until the test moves it.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn at(now: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }

    fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A mailer whose SMTP server never answers (nothing listens on its port).
fn mailer_without_a_reachable_server(db: &store::Db, clock: Arc<TestClock>) -> Mailer {
    let port = closed_port().to_string();
    let config = config(&[("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", &port)]);
    Mailer::from_config(&config, db.clone(), cipher(), clock).unwrap()
}

/// A port on which nothing listens.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn smtp_delivery_sends_text_and_html_then_drops_the_sealed_body() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let port = sink.port.to_string();
        let config = config(&[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &port),
            ("SMTP_FROM", FROM),
        ]);
        let mailer = Mailer::from_config(&config, db.clone(), cipher(), Arc::new(SystemClock));
        let mailer = Arc::new(mailer.unwrap());
        let worker = tokio::spawn(mailer.clone().run());

        let txn = db.begin().await.unwrap();
        mailer.enqueue(&txn, reset_mail(RECIPIENT)).await.unwrap();
        txn.commit().await.unwrap();
        mailer.wake();

        let received = sink.wait_for(RECIPIENT).await;
        assert_eq!(received.subject, "Reset your password");
        assert_eq!(received.from, FROM);
        assert!(received.text.contains(LINK), "{}", received.text);
        assert!(received.html.contains(r#"<a href="#), "{}", received.html);
        assert_eq!(link_token(&received.text), "abc123");
        assert_eq!(link_token(&received.html), "abc123");

        let row = wait_for_status(&db, "sent").await;
        worker.abort();
        assert!(row.body_sealed.is_empty(), "the link is not kept once sent");
        assert!(row.sent_at.is_some());
        assert_eq!(row.attempts, 1);
        assert!(mailer.read_outbox(RECIPIENT).await.unwrap().is_empty());
    }
}

async fn wait_for_status(db: &store::Db, status: &str) -> mail_message::Model {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let row = only_row(db).await;
        if row.status == status {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {:?}",
            row.status
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn unreachable_smtp_server_leaves_the_mail_pending_with_a_later_attempt() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let mailer = mailer_without_a_reachable_server(&db, TestClock::at(now));
        mailer.enqueue(&db, reset_mail(RECIPIENT)).await.unwrap();

        assert_eq!(mailer.deliver_due().await.unwrap(), 1);

        let row = only_row(&db).await;
        assert_eq!(row.status, "pending");
        assert_eq!(row.attempts, 1);
        assert_eq!(row.next_attempt_at, now + chrono::Duration::seconds(2));
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("SMTP"))
        );
        assert_eq!(row.sent_at, None);
        // Not due yet at the same instant: nothing is tried again.
        assert_eq!(mailer.deliver_due().await.unwrap(), 0);
        assert_eq!(only_row(&db).await.attempts, 1);
        assert_eq!(mailer.read_outbox(RECIPIENT).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn mail_is_given_up_as_failed_after_eight_attempts() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
        let mailer = mailer_without_a_reachable_server(&db, clock.clone());
        mailer.enqueue(&db, reset_mail(RECIPIENT)).await.unwrap();

        for _ in 0..MAX_ATTEMPTS {
            assert_eq!(mailer.deliver_due().await.unwrap(), 1);
            clock.advance(chrono::Duration::minutes(10));
        }

        let row = only_row(&db).await;
        assert_eq!(row.status, "failed");
        assert_eq!(row.attempts, MAX_ATTEMPTS);
        assert!(row.last_error.is_some());
        clock.advance(chrono::Duration::days(1));
        assert_eq!(mailer.deliver_due().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn the_server_delivers_mail_through_the_configured_smtp_server() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let (mailer, db) = (&app.app.mail, &app.app.db);

    mailer.enqueue(db, reset_mail(RECIPIENT)).await.unwrap();
    mailer.wake();

    let received = sink.wait_for(RECIPIENT).await;
    assert_eq!(received.subject, "Reset your password");
    assert_eq!(link_token(&received.text), "abc123");
}

#[tokio::test]
async fn without_smtp_mail_is_logged_and_stays_readable_in_the_outbox() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let mailer =
            Mailer::from_config(&config(&[]), db.clone(), cipher(), Arc::new(SystemClock)).unwrap();
        mailer.enqueue(&db, reset_mail(RECIPIENT)).await.unwrap();

        assert_eq!(mailer.deliver_due().await.unwrap(), 1);

        let row = only_row(&db).await;
        assert_eq!(row.status, "logged");
        assert!(!row.body_sealed.is_empty());
        assert!(
            !row.body_sealed.windows(6).any(|w| w == b"abc123"),
            "sealed at rest"
        );
        let outbox = mailer.read_outbox(RECIPIENT).await.unwrap();
        assert_eq!(outbox, [reset_mail(RECIPIENT)]);
        assert_eq!(link_token(&outbox[0].text), "abc123");
        assert!(
            mailer
                .read_outbox("someone@else.test")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn mail_enqueued_in_a_rolled_back_transaction_is_never_sent() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let mailer =
            Mailer::from_config(&config(&[]), db.clone(), cipher(), Arc::new(SystemClock)).unwrap();
        let txn = db.begin().await.unwrap();
        mailer.enqueue(&txn, reset_mail(RECIPIENT)).await.unwrap();
        txn.rollback().await.unwrap();

        assert_eq!(mailer.deliver_due().await.unwrap(), 0);
        assert_eq!(mail_message::Entity::find().count(&db).await.unwrap(), 0);
    }
}

/// Records what it was asked to deliver.
#[derive(Default)]
struct RecordingTransport {
    delivered: Mutex<Vec<String>>,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl MailTransport for RecordingTransport {
    async fn deliver(&self, mail: &Mail) -> anyhow::Result<Delivery> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.delivered.lock().unwrap().push(mail.to.clone());
        Ok(Delivery::Sent)
    }
}

#[tokio::test]
async fn two_nodes_running_the_worker_deliver_each_mail_once() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrated_db(dir.path(), postgres).await;
        let cipher = cipher();
        let transport = Arc::new(RecordingTransport::default());
        let node = || {
            Mailer::new(
                db.clone(),
                cipher.clone(),
                Arc::new(SystemClock),
                transport.clone(),
            )
        };
        let (first, second) = (node(), node());
        for n in 0..6 {
            first
                .enqueue(&db, reset_mail(&format!("user{n}@example.test")))
                .await
                .unwrap();
        }

        let (a, b) = tokio::join!(first.deliver_due(), second.deliver_due());

        assert_eq!(a.unwrap() + b.unwrap(), 6);
        assert_eq!(transport.calls.load(Ordering::SeqCst), 6);
        let mut delivered = transport.delivered.lock().unwrap().clone();
        delivered.sort();
        delivered.dedup();
        assert_eq!(delivered.len(), 6);
        let rows = mail_message::Entity::find().all(&db).await.unwrap();
        assert!(
            rows.iter()
                .all(|row| row.status == "sent" && row.attempts == 1)
        );
    }
}
