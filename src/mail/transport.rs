//! The two `MailTransport`s: an SMTP relay (`SMTP_HOST`), and the log for when none is
//! configured. A transport only hands one message over; it never touches the outbox, never
//! retries (the worker does), and never logs a body outside development.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};
use secrecy::ExposeSecret;

use super::{Delivery, Mail, MailTransport};
use crate::config::{Environment, SmtpConfig};

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
