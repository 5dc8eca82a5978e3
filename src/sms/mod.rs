//! The SMS outbox and its delivery worker, built like the mail outbox (`crate::mail`):
//! capabilities `enqueue` a `TextMessage`; `SmsSender::run` delivers due messages through an
//! `SmsProvider` (Twilio's Messages API, or an operator's webhook), retrying with the mail
//! outbox's backoff, so a failing provider loses no message and never blocks a request.
//!
//! The recipient's number and the text (a sign-in code) are sealed together at rest and
//! dropped once a provider accepted them. This module never decides who gets a text or what
//! it says, and never logs a number or a text.

mod outbox;
mod twilio;
mod webhook;
mod worker;

use std::{fmt, sync::Arc, time::Duration};

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use twilio::Twilio;
pub use webhook::Webhook;

use crate::{
    clock::Clock,
    config::{OutboundPolicy, SmsProviderSettings},
    crypto::FieldCipher,
};

/// How long one call to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// One text message.
#[derive(Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// E.164.
    pub to: String,
    pub body: String,
}

/// The number and the text carry personal data and a code: never printed.
impl fmt::Debug for TextMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextMessage").finish_non_exhaustive()
    }
}

/// Where text messages go. An error means "not delivered, try again later"; it must not
/// carry the number or the text.
#[async_trait]
pub trait SmsProvider: Send + Sync {
    async fn send(&self, message: &TextMessage) -> anyhow::Result<()>;
}

/// The outbox and its delivery worker.
pub struct SmsSender {
    db: DatabaseConnection,
    cipher: FieldCipher,
    clock: Arc<dyn Clock>,
    provider: Arc<dyn SmsProvider>,
    wake: Notify,
}

impl SmsSender {
    pub fn new(
        db: DatabaseConnection,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        provider: Arc<dyn SmsProvider>,
    ) -> Self {
        Self {
            db,
            cipher,
            clock,
            provider,
            wake: Notify::new(),
        }
    }

    /// The configured provider. Its URL is the operator's, not a tenant's, but calls still go
    /// through the outbound guard under the operator's policy, as calls to the configured
    /// social providers do.
    pub fn from_settings(
        settings: &SmsProviderSettings,
        policy: OutboundPolicy,
        db: DatabaseConnection,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let http = crate::outbound::client_builder(policy)?
            .timeout(PROVIDER_TIMEOUT)
            .user_agent(concat!("Janua/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let provider: Arc<dyn SmsProvider> = match settings {
            SmsProviderSettings::Twilio {
                api_base_url,
                account_sid,
                auth_token,
                sender,
            } => Arc::new(Twilio::new(
                http,
                api_base_url,
                account_sid,
                auth_token.clone(),
                sender.clone(),
            )?),
            SmsProviderSettings::Webhook { url, secret } => {
                Arc::new(Webhook::new(http, url.clone(), secret.clone()))
            }
        };
        Ok(Self::new(db, cipher, clock, provider))
    }

    /// Makes the worker look at the outbox now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Posts a prepared request to a provider: Ok on a 2xx answer. Errors name the status or the
/// transport failure only: answers may quote the number (Twilio's do), and URLs are left out.
async fn post(request: reqwest::RequestBuilder) -> anyhow::Result<()> {
    let response = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("the SMS provider cannot be reached: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!("the SMS provider answered {status}");
    }
    Ok(())
}
