//! What the outboxes share (mail, SMS, webhooks): claiming a due row so that of several nodes
//! only one attempts it, the time after a wait, retry schedules with jitter, and the bounded
//! error text kept on a row. Each outbox keeps its own table and decides its own outcomes;
//! this module never reads or sends a message.
//!
//! A claim is a conditional update: the row's `next_attempt_at` moves past a lease, but only
//! if it still holds the value the node read. Two nodes that read the same due row race on
//! that update and exactly one wins; a node that dies mid-attempt leaves the row to be
//! claimed again once the lease has passed (at least once, never lost).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};

/// The longest error text kept on a row.
const MAX_ERROR_CHARS: usize = 500;

/// `now` plus `wait`, saturating at the end of time.
pub fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// An error as stored on a row: its causes, bounded. Bodies and credentials never reach
/// transport errors, so nothing secret is kept.
pub fn error_summary(error: &anyhow::Error) -> String {
    format!("{error:#}").chars().take(MAX_ERROR_CHARS).collect()
}

/// The columns of an outbox table a claim reads and moves.
#[derive(Debug, Clone, Copy)]
pub struct ClaimColumns<C> {
    pub id: C,
    pub status: C,
    pub next_attempt_at: C,
}

/// Claims the row `id` of entity `E`, still `pending` and due at `seen` (the
/// `next_attempt_at` this node read), by moving its next attempt to `lease`. True when the
/// row is this node's to attempt; false when another node took it first.
pub async fn claim<E: EntityTrait>(
    db: &impl ConnectionTrait,
    columns: ClaimColumns<E::Column>,
    id: &str,
    pending: &str,
    seen: DateTime<Utc>,
    lease: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = E::update_many()
        .col_expr(columns.next_attempt_at, Expr::value(lease))
        .filter(columns.id.eq(id))
        .filter(columns.status.eq(pending))
        .filter(columns.next_attempt_at.eq(seen))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The waits between attempts: after the n-th failed attempt, the n-th wait, each spread by
/// up to ± `jitter_percent` so that many rows failing together do not retry together. Once
/// the waits run out, the row is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    waits: Vec<Duration>,
    jitter_percent: u8,
}

impl RetrySchedule {
    /// `jitter_percent` is capped at 100.
    pub fn new(waits: Vec<Duration>, jitter_percent: u8) -> Self {
        Self {
            waits,
            jitter_percent: jitter_percent.min(100),
        }
    }

    /// Attempts in all: the first and one per wait.
    pub fn max_attempts(&self) -> i32 {
        i32::try_from(self.waits.len())
            .unwrap_or(i32::MAX)
            .saturating_add(1)
    }

    /// The wait after the `attempts`-th failed attempt (1-based), jittered with `random` in
    /// [0, 1); None when the schedule is spent.
    pub fn wait_after(&self, attempts: i32, random: f64) -> Option<Duration> {
        let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
        let base = *self.waits.get(index)?;
        let spread = f64::from(self.jitter_percent) / 100.0;
        let factor = 1.0 + spread * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        Some(Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(base))
    }

    pub fn waits(&self) -> &[Duration] {
        &self.waits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_summary_keeps_the_causes_and_is_bounded() {
        let error = anyhow::anyhow!("connection refused").context("SMTP delivery");
        assert_eq!(error_summary(&error), "SMTP delivery: connection refused");
        let long = anyhow::anyhow!("x".repeat(2 * MAX_ERROR_CHARS));
        assert_eq!(error_summary(&long).chars().count(), MAX_ERROR_CHARS);
    }

    #[test]
    fn a_schedule_jitters_each_wait_within_its_bounds_and_then_gives_up() {
        let schedule =
            RetrySchedule::new(vec![Duration::from_secs(10), Duration::from_secs(100)], 20);
        assert_eq!(schedule.max_attempts(), 3);
        assert_eq!(schedule.wait_after(1, 0.5), Some(Duration::from_secs(10)));
        assert_eq!(schedule.wait_after(1, 0.0), Some(Duration::from_secs(8)));
        assert_eq!(schedule.wait_after(2, 1.0), Some(Duration::from_secs(120)));
        assert_eq!(schedule.wait_after(3, 0.5), None);
        assert_eq!(schedule.wait_after(0, 0.5), None);
        assert_eq!(schedule.wait_after(-1, 0.5), None);
    }

    #[test]
    fn after_saturates_at_the_end_of_time() {
        assert_eq!(
            after(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
