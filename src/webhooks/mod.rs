//! Webhooks (WebhookService): endpoints that receive signed events for every identity
//! change, and the worker that delivers them. Events are written by `webhook_events` in the
//! transaction of the change (through the audit log's hook); this capability manages the
//! endpoints, signs and delivers, retries and keeps the delivery log.
//!
//! - `endpoint`: the rules of an endpoint's settings (URL, event types, description);
//! - `secret`: `whsec_` secrets, sealed at rest, and Standard Webhooks signatures;
//! - `owner`: who an endpoint belongs to (an organization, or the platform), and the check;
//! - `registry`: create, read, update, delete, rotate, redeliver, test, under an owner,
//!   audited; `store` its queries; `convert` and `grpc` the tonic service;
//! - `transfer`: endpoints as `janua export` and `janua import` move them;
//! - `worker`: claims due deliveries (as the mail outbox does), sends them through the
//!   outbound guard, records the outcome and the endpoint's health.
//!
//! Nobody below depends on this capability. It never logs or returns a secret after the
//! response that creates it, and never follows a redirect.

mod convert;
mod endpoint;
pub mod grpc;
mod owner;
mod registry;
mod secret;
mod store;
pub mod transfer;
mod worker;

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

pub use endpoint::EndpointChanges;
pub use owner::Owner;
pub use registry::IssuedEndpoint;
pub use secret::SigningSecret;

use crate::{clock::Clock, config::WebhookSettings, crypto::FieldCipher, store::Db};

/// The webhook registry and its delivery worker, wired once at start-up.
pub struct Webhooks {
    db: Db,
    cipher: FieldCipher,
    clock: Arc<dyn Clock>,
    settings: WebhookSettings,
    http: reqwest::Client,
    wake: Notify,
}

impl Webhooks {
    pub fn new(
        db: Db,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        settings: WebhookSettings,
    ) -> anyhow::Result<Self> {
        let http = crate::outbound::client_builder(settings.outbound)?
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("Janua-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            db,
            cipher,
            clock,
            settings,
            http,
            wake: Notify::new(),
        })
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Makes the worker look at the queue now (after a commit that queued deliveries).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
