//! The mail outbox and its delivery worker. Capabilities `enqueue` a `Mail` inside their own
//! transaction (so a reset token and the mail that carries it commit together); `Mailer::run`
//! then delivers due messages through a `MailTransport`: SMTP when `SMTP_HOST` is set, else the
//! log (development), where the message stays readable in the outbox.
//!
//! Bodies carry one-time links, so they are sealed by the field cipher at rest and dropped once
//! an SMTP server has accepted them. This module never decides who gets mail or what it says,
//! never logs a body outside the log transport in development, and never sends a message twice
//! knowingly: several nodes may run the worker, and each claims a row before sending it.
//!
//! This file holds the shared types (`Mail`, `Delivery`, `MailTransport`) and builds the
//! `Mailer`; `transport` holds the SMTP and log transports, `outbox` the sealed rows (enqueue
//! and read), and `worker` the delivery loop with its claims and retries.

mod outbox;
mod transport;
mod worker;

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use transport::{LogTransport, SmtpTransport};
pub use worker::{MAX_ATTEMPTS, after, backoff, error_summary};

use crate::{
    clock::Clock,
    config::{Config, Environment},
    crypto::FieldCipher,
};

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

    /// Makes the worker look at the outbox now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
