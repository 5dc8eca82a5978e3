//! The delivery worker: each pass claims due deliveries (`outbox::claim`, so of several nodes
//! only one attempts a row, and a node that dies mid-attempt leaves it to be claimed again
//! after the lease), POSTs each event's body, signed, through the outbound guard, and records
//! the outcome on the delivery (status, latency, response code, first KiB of the body) and on
//! the endpoint (failing after `failing_after` failures in a row, disabled after failing for
//! `disable_after`). Retries follow the configured schedule, with jitter; every attempt
//! carries the event's id as `webhook-id`, so receivers can de-duplicate. Never logs a
//! secret or a body.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::{Webhooks, secret::SigningSecret, store};
use crate::{
    outbox::{ClaimColumns, after, claim, error_summary},
    store::entities::{
        webhook_delivery::{self, Column, Entity as Delivery},
        webhook_endpoint, webhook_event,
    },
    telemetry::{self, WebhookDelivery as Outcome},
    webhook_events::{delivery_status, endpoint_state},
};

/// Deliveries claimed per pass; endpoints are attempted concurrently, each in order.
const BATCH_SIZE: u64 = 16;
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often a node drops deliveries past the retention period.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// How much of a response body the delivery log keeps.
const KEPT_BODY_BYTES: usize = 1024;

/// What one attempt came to.
struct Attempt {
    status: Option<u16>,
    body: Option<String>,
    latency: Duration,
    error: Option<String>,
}

impl Attempt {
    fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl Webhooks {
    /// The delivery loop: runs until its task is aborted. About once an hour it also drops
    /// what the retention period no longer keeps.
    pub async fn run(self: Arc<Self>) {
        let mut pruned_at: Option<DateTime<Utc>> = None;
        loop {
            let now = self.clock.now();
            if pruned_at.is_none_or(|at| after(at, PRUNE_INTERVAL) <= now) {
                pruned_at = Some(now);
                if let Err(error) = self.prune().await {
                    tracing::warn!(error = %format!("{error:#}"), "webhook pruning failed");
                }
            }
            match self.deliver_due().await {
                Ok(claimed) if claimed >= BATCH_SIZE as usize => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "webhook delivery pass failed");
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }

    /// Deletes deliveries that ended longer than `WEBHOOK_RETENTION_DAYS` ago, and their
    /// events; returns how many deliveries went.
    pub async fn prune(&self) -> Result<u64, DbErr> {
        let now = self.clock.now();
        let cutoff = chrono::Duration::from_std(self.settings.retention)
            .ok()
            .and_then(|retention| now.checked_sub_signed(retention))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let deleted = store::prune(&self.db, cutoff).await?;
        if deleted > 0 {
            tracing::info!(deleted, "old webhook deliveries pruned");
        }
        Ok(deleted)
    }

    /// One pass over the due deliveries, oldest first; how many this node claimed.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let due = Delivery::find()
            .filter(Column::Status.eq(delivery_status::PENDING))
            .filter(Column::NextAttemptAt.lte(self.clock.now()))
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::CreatedAt)
            .limit(BATCH_SIZE)
            .all(&self.db)
            .await?;
        let mut claimed = Vec::new();
        for row in due {
            // The lease outlasts an attempt (the request's timeout) with room to record it.
            let lease = after(
                self.clock.now(),
                self.settings
                    .timeout
                    .saturating_mul(2)
                    .saturating_add(Duration::from_secs(30)),
            );
            let columns = ClaimColumns {
                id: Column::Id,
                status: Column::Status,
                next_attempt_at: Column::NextAttemptAt,
            };
            let taken = claim::<Delivery>(
                &self.db,
                columns,
                &row.id,
                delivery_status::PENDING,
                row.next_attempt_at,
                lease,
            )
            .await?;
            if taken {
                claimed.push((row, lease));
            }
        }
        let count = claimed.len();
        // Endpoints are attempted concurrently; one endpoint's deliveries in order.
        let mut by_endpoint: BTreeMap<String, Vec<(webhook_delivery::Model, DateTime<Utc>)>> =
            BTreeMap::new();
        for (row, lease) in claimed {
            by_endpoint
                .entry(row.endpoint_id.clone())
                .or_default()
                .push((row, lease));
        }
        let results = join_all(by_endpoint.into_values().map(|rows| async move {
            for (row, lease) in rows {
                self.attempt(row, lease).await?;
            }
            Ok::<(), DbErr>(())
        }))
        .await;
        for result in results {
            result?;
        }
        telemetry::webhook_queue_depth(store::pending_count(&self.db).await?);
        Ok(count)
    }

    #[tracing::instrument(skip_all, fields(webhook.delivery_id = %row.id, webhook.endpoint_id = %row.endpoint_id))]
    async fn attempt(
        &self,
        row: webhook_delivery::Model,
        lease: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let endpoint = store::endpoint_by_id(&self.db, &row.endpoint_id).await?;
        let event = store::find_event(&self.db, &row.event_id).await?;
        let (Some(endpoint), Some(event)) = (endpoint, event) else {
            return Ok(()); // deleted with its endpoint meanwhile
        };
        let now = self.clock.now();
        if !endpoint.enabled || endpoint.state == endpoint_state::DISABLED {
            telemetry::webhook_delivery(Outcome::GaveUp);
            return self
                .record(
                    &row,
                    lease,
                    now,
                    None,
                    "the endpoint is disabled",
                    delivery_status::FAILED,
                    now,
                )
                .await;
        }
        let attempt = self.send(&endpoint, &event, now).await;
        let attempts = row.attempts.saturating_add(1);
        if attempt.succeeded() {
            tracing::info!(status = ?attempt.status, "webhook delivered");
            telemetry::webhook_delivery(Outcome::Delivered);
            self.record_success(&row, lease, now, &attempt, attempts)
                .await?;
            self.endpoint_succeeded(&endpoint.id, now).await?;
            return Ok(());
        }
        let error = attempt
            .error
            .clone()
            .unwrap_or_else(|| format!("the endpoint answered {}", attempt.status.unwrap_or(0)));
        let wait = self
            .settings
            .retry_schedule
            .wait_after(attempts, rand::random::<f64>());
        let (status, next) = match wait {
            Some(wait) => {
                tracing::warn!(error = %error, attempts, "webhook delivery failed, will retry");
                telemetry::webhook_delivery(Outcome::Failed);
                (delivery_status::PENDING, after(now, wait))
            }
            None => {
                tracing::warn!(error = %error, attempts, "webhook delivery gave up");
                telemetry::webhook_delivery(Outcome::GaveUp);
                (delivery_status::FAILED, now)
            }
        };
        self.record(&row, lease, now, Some(&attempt), &error, status, next)
            .await?;
        self.endpoint_failed(&endpoint.id, now).await
    }

    /// POSTs the event's body, signed with every valid secret, and reads the start of the
    /// answer.
    async fn send(
        &self,
        endpoint: &webhook_endpoint::Model,
        event: &webhook_event::Model,
        now: DateTime<Utc>,
    ) -> Attempt {
        let started = Instant::now();
        let result = self.post(endpoint, event, now).await;
        let latency = started.elapsed();
        match result {
            Ok((status, body)) => Attempt {
                status: Some(status),
                body: Some(body),
                latency,
                error: None,
            },
            Err(error) => Attempt {
                status: None,
                body: None,
                latency,
                error: Some(error_summary(&error)),
            },
        }
    }

    async fn post(
        &self,
        endpoint: &webhook_endpoint::Model,
        event: &webhook_event::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(u16, String)> {
        let secrets = self.signing_secrets(endpoint, now)?;
        let timestamp = now.timestamp();
        let body = event.payload.as_bytes();
        let signature = super::secret::signature_header(&secrets, &event.id, timestamp, body);
        let mut response = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(event.payload.clone())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", crate::outbound::describe(&e.without_url())))?;
        let status = response.status().as_u16();
        let mut kept = Vec::new();
        while kept.len() < KEPT_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        kept.truncate(KEPT_BODY_BYTES);
        Ok((status, String::from_utf8_lossy(&kept).into_owned()))
    }

    /// The current secret, and the replaced one while it still signs.
    fn signing_secrets(
        &self,
        endpoint: &webhook_endpoint::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<SigningSecret>> {
        let mut secrets = vec![
            SigningSecret::open(&self.cipher, &endpoint.secret_sealed, &endpoint.id)
                .context("opening the endpoint's secret")?,
        ];
        if let (Some(sealed), Some(until)) = (
            &endpoint.previous_secret_sealed,
            endpoint.previous_secret_expires_at,
        ) && until > now
        {
            secrets.push(
                SigningSecret::open(&self.cipher, sealed, &endpoint.id)
                    .context("opening the endpoint's previous secret")?,
            );
        }
        Ok(secrets)
    }

    async fn record_success(
        &self,
        row: &webhook_delivery::Model,
        lease: DateTime<Utc>,
        now: DateTime<Utc>,
        attempt: &Attempt,
        attempts: i32,
    ) -> Result<(), DbErr> {
        let updated = Delivery::update_many()
            .col_expr(Column::Status, Expr::value(delivery_status::DELIVERED))
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::NextAttemptAt, Expr::value(now))
            .col_expr(Column::LastAttemptAt, Expr::value(Some(now)))
            .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(
                Column::ResponseStatus,
                Expr::value(attempt.status.map(i32::from)),
            )
            .col_expr(Column::ResponseBody, Expr::value(attempt.body.clone()))
            .col_expr(
                Column::LatencyMs,
                Expr::value(Some(millis(attempt.latency))),
            )
            .col_expr(Column::LastError, Expr::value(Option::<String>::None))
            .filter(Column::Id.eq(&row.id))
            .filter(Column::NextAttemptAt.eq(lease))
            .exec(&self.db)
            .await?;
        if updated.rows_affected != 1 {
            tracing::warn!("webhook claim expired before its outcome was recorded");
        }
        Ok(())
    }

    #[expect(clippy::too_many_arguments, reason = "one row's whole outcome")]
    async fn record(
        &self,
        row: &webhook_delivery::Model,
        lease: DateTime<Utc>,
        now: DateTime<Utc>,
        attempt: Option<&Attempt>,
        error: &str,
        status: &str,
        next: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let mut update = Delivery::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::NextAttemptAt, Expr::value(next))
            .col_expr(Column::LastError, Expr::value(Some(error.to_owned())))
            .filter(Column::Id.eq(&row.id))
            .filter(Column::NextAttemptAt.eq(lease));
        if let Some(attempt) = attempt {
            update = update
                .col_expr(
                    Column::Attempts,
                    Expr::value(row.attempts.saturating_add(1)),
                )
                .col_expr(Column::LastAttemptAt, Expr::value(Some(now)))
                .col_expr(
                    Column::ResponseStatus,
                    Expr::value(attempt.status.map(i32::from)),
                )
                .col_expr(Column::ResponseBody, Expr::value(attempt.body.clone()))
                .col_expr(
                    Column::LatencyMs,
                    Expr::value(Some(millis(attempt.latency))),
                );
        }
        if update.exec(&self.db).await?.rows_affected != 1 {
            tracing::warn!("webhook claim expired before its outcome was recorded");
        }
        Ok(())
    }

    /// A success clears the endpoint's failing state.
    async fn endpoint_succeeded(&self, endpoint_id: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
        use webhook_endpoint::Column as E;
        webhook_endpoint::Entity::update_many()
            .col_expr(E::ConsecutiveFailures, Expr::value(0))
            .col_expr(E::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(E::State, Expr::value(endpoint_state::ACTIVE))
            .col_expr(E::UpdatedAt, Expr::value(now))
            .filter(E::Id.eq(endpoint_id))
            .filter(E::State.ne(endpoint_state::DISABLED))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A failure counts toward failing; failing for too long disables the endpoint.
    async fn endpoint_failed(&self, endpoint_id: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
        use webhook_endpoint::Column as E;
        webhook_endpoint::Entity::update_many()
            .col_expr(
                E::ConsecutiveFailures,
                Expr::col(E::ConsecutiveFailures).add(1),
            )
            .filter(E::Id.eq(endpoint_id))
            .exec(&self.db)
            .await?;
        let Some(mut endpoint) = store::endpoint_by_id(&self.db, endpoint_id).await? else {
            return Ok(());
        };
        if endpoint.state == endpoint_state::DISABLED {
            return Ok(());
        }
        let since = *endpoint.failing_since.get_or_insert(now);
        let state = if after(since, self.settings.disable_after) <= now {
            tracing::warn!(webhook.endpoint_id = %endpoint.id, "webhook endpoint disabled after failing too long");
            endpoint_state::DISABLED
        } else if endpoint.consecutive_failures >= self.settings.failing_after {
            endpoint_state::FAILING
        } else {
            endpoint.state.as_str()
        };
        webhook_endpoint::Entity::update_many()
            .col_expr(E::FailingSince, Expr::value(Some(since)))
            .col_expr(E::State, Expr::value(state.to_owned()))
            .filter(E::Id.eq(endpoint_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
