//! The mail outbox and its delivery worker. Capabilities `enqueue` a `Mail` inside their own
//! transaction (so a reset token and the mail that carries it commit together); `Mailer::run`
//! then delivers due messages through a `MailTransport`: SMTP when `SMTP_HOST` is set, else the
//! log (development), where the message stays readable in the outbox.
//!
//! Bodies carry one-time links, so they are sealed by the field cipher at rest and dropped once
//! an SMTP server has accepted them. This module never decides who gets mail or what it says,
//! never logs a body outside the log transport in development, and never sends a message twice
//! knowingly: several nodes may run the worker, and each claims a row before sending it.

use std::{fmt, sync::Arc, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::{
    clock::Clock,
    config::{Config, Environment, SmtpConfig},
    crypto::FieldCipher,
    store::entities::mail_message::{self, Column, Entity as MailMessage},
};

/// Delivery attempts before a message is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 8;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);
/// How long a claimed message is left to the node that claimed it before another may retry.
const CLAIM_LEASE: Duration = Duration::from_secs(5 * 60);
/// Messages claimed per pass of the worker.
const BATCH_SIZE: u64 = 10;
/// How long the worker sleeps when nobody wakes it.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 500;

mod status {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    pub const LOGGED: &str = "logged";
}

/// One message: plain text and HTML alternatives of the same content.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The bodies carry one-time links: never printed.
impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// What a transport did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A server accepted it: the stored body is dropped.
    Sent,
    /// Written to the log only: the stored body is kept so it stays readable.
    Logged,
}

/// Where mail goes. An error means "not delivered, try again later".
#[async_trait]
pub trait MailTransport: Send + Sync {
    async fn deliver(&self, mail: &Mail) -> anyhow::Result<Delivery>;
}

/// Delivery through an SMTP relay (`SMTP_HOST`), with STARTTLS whenever the server offers it.
pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpTransport {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config.from.parse().context("SMTP_FROM is not a mailbox")?;
        let tls = TlsParameters::new(config.host.clone()).context("SMTP_HOST")?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(Tls::Opportunistic(tls))
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn deliver(&self, mail: &Mail) -> anyhow::Result<Delivery> {
        let to: Mailbox = mail.to.parse().context("the recipient is not a mailbox")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .context("building the message")?;
        self.transport
            .send(message)
            .await
            .context("SMTP delivery")?;
        Ok(Delivery::Sent)
    }
}

/// No SMTP server configured: the message is logged (with its text body only in development)
/// and kept in the outbox.
pub struct LogTransport {
    include_body: bool,
}

impl LogTransport {
    pub fn new(environment: Environment) -> Self {
        Self {
            include_body: environment == Environment::Development,
        }
    }
}

#[async_trait]
impl MailTransport for LogTransport {
    async fn deliver(&self, mail: &Mail) -> anyhow::Result<Delivery> {
        if self.include_body {
            tracing::info!(mail.to = %mail.to, mail.subject = %mail.subject, mail.text = %mail.text,
                "mail logged, not sent (SMTP_HOST is not set)");
        } else {
            tracing::warn!(mail.to = %mail.to, mail.subject = %mail.subject,
                "mail kept in the outbox, not sent (SMTP_HOST is not set)");
        }
        Ok(Delivery::Logged)
    }
}

/// The sealed form of a message's bodies.
#[derive(Serialize, Deserialize)]
struct SealedBody {
    text: String,
    html: String,
}

fn seal_context(id: &str) -> String {
    format!("mail:{id}")
}

/// The wait after the `attempts`-th failed attempt: 2^attempts seconds, at most 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// An error as stored in `last_error`: its causes, bounded. Bodies and credentials never reach
/// transport errors, so nothing secret is kept.
fn error_summary(error: &anyhow::Error) -> String {
    format!("{error:#}").chars().take(MAX_ERROR_CHARS).collect()
}

/// The outbox and its delivery worker.
pub struct Mailer {
    db: DatabaseConnection,
    cipher: FieldCipher,
    clock: Arc<dyn Clock>,
    transport: Arc<dyn MailTransport>,
    wake: Notify,
}

impl Mailer {
    pub fn new(
        db: DatabaseConnection,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn MailTransport>,
    ) -> Self {
        Self {
            db,
            cipher,
            clock,
            transport,
            wake: Notify::new(),
        }
    }

    /// SMTP when `SMTP_HOST` is set, else the log transport.
    pub fn from_config(
        config: &Config,
        db: DatabaseConnection,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let transport: Arc<dyn MailTransport> = match &config.smtp {
            Some(smtp) => Arc::new(SmtpTransport::new(smtp)?),
            None => {
                if config.environment == Environment::Production {
                    tracing::warn!("SMTP_HOST is not set: mail is kept in the outbox, not sent");
                }
                Arc::new(LogTransport::new(config.environment))
            }
        };
        Ok(Self::new(db, cipher, clock, transport))
    }

    /// Adds `mail` to the outbox through `db` (a transaction of the caller's, or the pool).
    /// It does not wake the worker: call `wake` once the caller's transaction has committed,
    /// or the worker finds the message on its next poll.
    pub async fn enqueue(&self, db: &impl ConnectionTrait, mail: Mail) -> Result<(), DbErr> {
        let id = uuid::Uuid::now_v7().to_string();
        let body = serde_json::to_vec(&SealedBody {
            text: mail.text,
            html: mail.html,
        })
        .map_err(|e| DbErr::Custom(format!("encoding a mail body: {e}")))?;
        let body_sealed = self
            .cipher
            .seal(&body, &seal_context(&id))
            .map_err(|e| DbErr::Custom(format!("sealing a mail body: {e}")))?;
        let now = self.clock.now();
        mail_message::ActiveModel {
            id: Set(id),
            recipient: Set(mail.to),
            subject: Set(mail.subject),
            body_sealed: Set(body_sealed),
            status: Set(status::PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// Makes the worker look at the outbox now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The delivery loop: runs until its task is aborted. Sleeps between passes until woken
    /// or for about a second; a full batch is followed at once by the next.
    pub async fn run(self: Arc<Self>) {
        loop {
            let claimed = match self.deliver_due().await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "mail delivery pass failed");
                    0
                }
            };
            if claimed < BATCH_SIZE as usize {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        }
    }

    /// One pass: claims up to a batch of due messages, oldest first, and tries each once.
    /// Returns how many this node claimed.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let due = MailMessage::find()
            .filter(Column::Status.eq(status::PENDING))
            .filter(Column::NextAttemptAt.lte(self.clock.now()))
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::CreatedAt)
            .limit(BATCH_SIZE)
            .all(&self.db)
            .await?;
        let mut claimed = 0;
        for message in due {
            if let Some(lease) = self.claim(&message).await? {
                claimed += 1;
                self.attempt(message, lease).await?;
            }
        }
        Ok(claimed)
    }

    /// Moves the message's next attempt past the lease, but only if no other node did since we
    /// read it. Returns the lease (the new `next_attempt_at`) when the message is ours.
    async fn claim(&self, message: &mail_message::Model) -> Result<Option<DateTime<Utc>>, DbErr> {
        let lease = after(self.clock.now(), CLAIM_LEASE);
        let result = MailMessage::update_many()
            .col_expr(Column::NextAttemptAt, Expr::value(lease))
            .filter(Column::Id.eq(&message.id))
            .filter(Column::Status.eq(status::PENDING))
            .filter(Column::NextAttemptAt.eq(message.next_attempt_at))
            .exec(&self.db)
            .await?;
        Ok((result.rows_affected == 1).then_some(lease))
    }

    #[tracing::instrument(skip_all, fields(mail.id = %message.id))]
    async fn attempt(
        &self,
        message: mail_message::Model,
        lease: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let outcome = match self.open(&message) {
            Ok(mail) => self.transport.deliver(&mail).await,
            Err(error) => Err(error),
        };
        let attempts = message.attempts.saturating_add(1);
        let now = self.clock.now();
        let mut update = MailMessage::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .filter(Column::Id.eq(&message.id))
            .filter(Column::NextAttemptAt.eq(lease));
        update = match outcome {
            Ok(delivery) => {
                tracing::info!(?delivery, "mail delivered");
                let (status, body) = match delivery {
                    Delivery::Sent => (status::SENT, Vec::new()),
                    Delivery::Logged => (status::LOGGED, message.body_sealed),
                };
                update
                    .col_expr(Column::Status, Expr::value(status))
                    .col_expr(Column::SentAt, Expr::value(Some(now)))
                    .col_expr(Column::BodySealed, Expr::value(body))
                    .col_expr(Column::LastError, Expr::value(Option::<String>::None))
            }
            Err(error) => {
                let summary = error_summary(&error);
                let (status, next) = if attempts >= MAX_ATTEMPTS {
                    tracing::error!(error = %summary, attempts, "mail delivery gave up");
                    (status::FAILED, now)
                } else {
                    tracing::warn!(error = %summary, attempts, "mail delivery failed, will retry");
                    (status::PENDING, after(now, backoff(attempts)))
                };
                update
                    .col_expr(Column::Status, Expr::value(status))
                    .col_expr(Column::NextAttemptAt, Expr::value(next))
                    .col_expr(Column::LastError, Expr::value(Some(summary)))
            }
        };
        if update.exec(&self.db).await?.rows_affected != 1 {
            tracing::warn!("mail claim expired before its outcome was recorded");
        }
        Ok(())
    }

    fn open(&self, message: &mail_message::Model) -> anyhow::Result<Mail> {
        let body = self
            .cipher
            .open(&message.body_sealed, &seal_context(&message.id))?;
        let body: SealedBody = serde_json::from_slice(&body).context("decoding a mail body")?;
        Ok(Mail {
            to: message.recipient.clone(),
            subject: message.subject.clone(),
            text: body.text,
            html: body.html,
        })
    }

    /// Messages to `recipient` that still hold their body (not yet sent, or only logged),
    /// newest first. For development tooling and tests when no SMTP server is configured.
    pub async fn read_outbox(&self, recipient: &str) -> anyhow::Result<Vec<Mail>> {
        let messages = MailMessage::find()
            .filter(Column::Recipient.eq(recipient))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .all(&self.db)
            .await?;
        messages
            .iter()
            .filter(|message| !message.body_sealed.is_empty())
            .map(|message| self.open(message))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::{clock::SystemClock, crypto::FieldKey, store};

    async fn mailer_on_a_fresh_database(dir: &std::path::Path) -> Mailer {
        let url = format!("sqlite://{}?mode=rwc", dir.join("mail.db").display());
        let db = store::connect(&url).await.unwrap();
        store::migrate(&db).await.unwrap();
        let cipher = FieldCipher::new(&FieldKey::generate());
        Mailer::new(
            db,
            cipher,
            Arc::new(SystemClock),
            Arc::new(LogTransport::new(Environment::Development)),
        )
    }

    #[tokio::test]
    async fn a_message_read_by_two_nodes_is_claimed_by_one_only() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = mailer_on_a_fresh_database(dir.path()).await;
        let mail = Mail {
            to: "ada@example.test".into(),
            subject: "Hello".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
        };
        mailer.enqueue(&mailer.db, mail).await.unwrap();
        // Both nodes read the row before either claims it.
        let seen = MailMessage::find().one(&mailer.db).await.unwrap().unwrap();

        let first = mailer.claim(&seen).await.unwrap();
        let second = mailer.claim(&seen).await.unwrap();

        assert!(first.is_some());
        assert_eq!(second, None);
    }

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_ten_minutes() {
        let waits: Vec<u64> = (1..=MAX_ATTEMPTS).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256]);
        assert_eq!(backoff(10), MAX_BACKOFF);
        assert_eq!(backoff(i32::MAX), MAX_BACKOFF);
        assert_eq!(backoff(-3), Duration::from_secs(1));
    }

    #[test]
    fn mail_debug_output_leaves_the_bodies_out() {
        let mail = Mail {
            to: "ada@example.test".into(),
            subject: "Reset your password".into(),
            text: "https://app.example.test/reset?token=secret".into(),
            html: "<a href=\"https://app.example.test/reset?token=secret\">reset</a>".into(),
        };
        let printed = format!("{mail:?}");
        assert!(printed.contains("ada@example.test"));
        assert!(!printed.contains("secret"));
    }

    #[test]
    fn error_summary_keeps_the_causes_and_is_bounded() {
        let error = anyhow::anyhow!("connection refused").context("SMTP delivery");
        assert_eq!(error_summary(&error), "SMTP delivery: connection refused");
        let long = anyhow::anyhow!("x".repeat(2 * MAX_ERROR_CHARS));
        assert_eq!(error_summary(&long).chars().count(), MAX_ERROR_CHARS);
    }
}
