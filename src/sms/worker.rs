//! The delivery worker: each pass claims due messages (a conditional update, so of several
//! nodes only one sends a row), hands each to the provider once, and records the outcome:
//! sent (the sealed body is dropped), retried after the mail outbox's backoff, or given up
//! after `MAX_ATTEMPTS`. Never logs a number or a text.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    SmsSender,
    outbox::{FAILED, PENDING, SENT},
};
use crate::{
    mail::{MAX_ATTEMPTS, backoff},
    outbox::{ClaimColumns, after, claim, error_summary},
    store::entities::sms_message::{self, Column, Entity as SmsMessage},
};

/// How long a claimed message is left to the node that claimed it.
const CLAIM_LEASE: Duration = Duration::from_secs(60);
const BATCH_SIZE: u64 = 10;
const POLL_INTERVAL: Duration = Duration::from_secs(1);

impl SmsSender {
    /// The delivery loop: runs until its task is aborted.
    pub async fn run(self: Arc<Self>) {
        loop {
            match self.deliver_due().await {
                Ok(claimed) if claimed >= BATCH_SIZE as usize => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "SMS delivery pass failed")
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }

    /// One pass over the due messages, oldest first; how many this node claimed.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let due = SmsMessage::find()
            .filter(Column::Status.eq(PENDING))
            .filter(Column::NextAttemptAt.lte(self.clock.now()))
            .order_by_asc(Column::NextAttemptAt)
            .limit(BATCH_SIZE)
            .all(&self.db)
            .await?;
        let mut claimed = 0;
        for row in due {
            let lease = after(self.clock.now(), CLAIM_LEASE);
            let columns = ClaimColumns {
                id: Column::Id,
                status: Column::Status,
                next_attempt_at: Column::NextAttemptAt,
            };
            let taken = claim::<SmsMessage>(
                &self.db,
                columns,
                &row.id,
                PENDING,
                row.next_attempt_at,
                lease,
            )
            .await?;
            if taken {
                claimed += 1;
                self.attempt(row, lease).await?;
            }
        }
        Ok(claimed)
    }

    #[tracing::instrument(skip_all, fields(sms.id = %row.id))]
    async fn attempt(&self, row: sms_message::Model, lease: DateTime<Utc>) -> Result<(), DbErr> {
        let outcome = match self.open(&row) {
            Ok(message) => self.provider.send(&message).await,
            Err(error) => Err(error),
        };
        let attempts = row.attempts.saturating_add(1);
        let now = self.clock.now();
        let update = SmsMessage::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .filter(Column::Id.eq(&row.id))
            .filter(Column::NextAttemptAt.eq(lease));
        let update = match outcome {
            Ok(()) => {
                tracing::info!("text message handed to the SMS provider");
                update
                    .col_expr(Column::Status, Expr::value(SENT))
                    .col_expr(Column::SentAt, Expr::value(Some(now)))
                    .col_expr(Column::BodySealed, Expr::value(Vec::<u8>::new()))
                    .col_expr(Column::LastError, Expr::value(Option::<String>::None))
            }
            Err(error) => {
                let summary = error_summary(&error);
                let (status, next) = if attempts >= MAX_ATTEMPTS {
                    tracing::error!(error = %summary, attempts, "SMS delivery gave up");
                    (FAILED, now)
                } else {
                    tracing::warn!(error = %summary, attempts, "SMS delivery failed, will retry");
                    (PENDING, after(now, backoff(attempts)))
                };
                update
                    .col_expr(Column::Status, Expr::value(status))
                    .col_expr(Column::NextAttemptAt, Expr::value(next))
                    .col_expr(Column::LastError, Expr::value(Some(summary)))
            }
        };
        update.exec(&self.db).await?;
        Ok(())
    }
}
