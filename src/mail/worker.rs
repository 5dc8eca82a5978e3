//! The delivery worker: each pass claims due messages (so several nodes never send the same
//! row knowingly), hands each to the transport once, and records the outcome: sent, logged,
//! retried after an exponential backoff, or given up after `MAX_ATTEMPTS`. It never decides
//! what a message says and keeps only a bounded error text (`crate::outbox`).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{Delivery, Mailer, status};
use crate::outbox::{ClaimColumns, claim};
pub use crate::outbox::{after, error_summary};
use crate::store::entities::mail_message::{self, Column, Entity as MailMessage};

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

/// The wait after the `attempts`-th failed attempt: 2^attempts seconds, at most 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

impl Mailer {
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
        let columns = ClaimColumns {
            id: Column::Id,
            status: Column::Status,
            next_attempt_at: Column::NextAttemptAt,
        };
        let taken = claim::<MailMessage>(
            &self.db,
            columns,
            &message.id,
            status::PENDING,
            message.next_attempt_at,
            lease,
        )
        .await?;
        Ok(taken.then_some(lease))
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
                crate::telemetry::mail_delivery(if delivery == Delivery::Sent {
                    crate::telemetry::MailDelivery::Sent
                } else {
                    crate::telemetry::MailDelivery::Logged
                });
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
                crate::telemetry::mail_delivery(crate::telemetry::MailDelivery::Failed);
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
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::{
        clock::SystemClock,
        config::Environment,
        crypto::{FieldCipher, FieldKey},
        mail::{LogTransport, Mail},
        store,
    };

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
}
