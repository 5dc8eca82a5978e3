//! Webhook delivery (`WEBHOOK_*`): the retry schedule and its jitter, the timeout of one
//! attempt, when an endpoint is marked failing and when it is disabled, and which addresses
//! deliveries may reach. Endpoint URLs are tenants', so loopback is allowed only in
//! development and private networks only when the operator says so.

use std::time::Duration;

use super::{
    Environment, OutboundPolicy,
    vars::{ConfigError, Vars, problem},
};
use crate::outbox::RetrySchedule;

/// The default waits after the first, second, ... failed attempt: a first retry within about
/// ten seconds, then growing to a day, over nine attempts in all.
pub const DEFAULT_RETRY_SCHEDULE: &str = "10s,1m,5m,30m,2h,5h,10h,24h";

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `WEBHOOK_RETRY_SCHEDULE` and `WEBHOOK_RETRY_JITTER_PERCENT` (20).
    pub retry_schedule: RetrySchedule,
    /// `WEBHOOK_TIMEOUT_SECONDS` (10): how long one attempt may take.
    pub timeout: Duration,
    /// `WEBHOOK_FAILING_AFTER_FAILURES` (5): failed attempts in a row that mark an endpoint
    /// failing.
    pub failing_after: i32,
    /// `WEBHOOK_DISABLE_AFTER_HOURS` (72): how long an endpoint may keep failing before it
    /// is disabled.
    pub disable_after: Duration,
    /// `WEBHOOK_ALLOW_LOOPBACK` (true in development, false in production),
    /// `WEBHOOK_ALLOW_PRIVATE` (false).
    pub outbound: OutboundPolicy,
    /// Endpoint URLs must be https (production); else http is allowed to loopback hosts.
    pub require_https: bool,
    /// `WEBHOOK_RETENTION_DAYS` (30): how long delivered and failed deliveries (and their
    /// events) are kept for the delivery log.
    pub retention: Duration,
    /// `WEBHOOK_DELIVERY_ENABLED` (true): whether this node runs the delivery worker (nodes
    /// that only serve requests may leave delivery to others).
    pub delivery_enabled: bool,
}

pub(super) fn webhook_settings(
    vars: &Vars,
    environment: Environment,
) -> Result<WebhookSettings, ConfigError> {
    let waits = parse_schedule(
        vars.get("WEBHOOK_RETRY_SCHEDULE")
            .unwrap_or(DEFAULT_RETRY_SCHEDULE),
    )
    .map_err(|e| problem("WEBHOOK_RETRY_SCHEDULE", e))?;
    let jitter: u8 = vars.parsed("WEBHOOK_RETRY_JITTER_PERCENT", 20, "0 to 100")?;
    if jitter > 100 {
        return Err(problem("WEBHOOK_RETRY_JITTER_PERCENT", "must be 0 to 100"));
    }
    let failing_after = i32::try_from(vars.positive("WEBHOOK_FAILING_AFTER_FAILURES", 5)?)
        .map_err(|_| problem("WEBHOOK_FAILING_AFTER_FAILURES", "too large"))?;
    let disable_hours = vars.positive("WEBHOOK_DISABLE_AFTER_HOURS", 72)?;
    if disable_hours > 24 * 365 {
        return Err(problem("WEBHOOK_DISABLE_AFTER_HOURS", "at most a year"));
    }
    let retention_days = vars.positive("WEBHOOK_RETENTION_DAYS", 30)?;
    if retention_days > 3650 {
        return Err(problem("WEBHOOK_RETENTION_DAYS", "at most 3650"));
    }
    let timeout = vars.positive("WEBHOOK_TIMEOUT_SECONDS", 10)?;
    if timeout > 300 {
        return Err(problem("WEBHOOK_TIMEOUT_SECONDS", "at most 300"));
    }
    Ok(WebhookSettings {
        retry_schedule: RetrySchedule::new(waits, jitter),
        timeout: Duration::from_secs(timeout),
        failing_after,
        disable_after: Duration::from_secs(disable_hours * 3600),
        outbound: OutboundPolicy {
            allow_loopback: vars.parsed(
                "WEBHOOK_ALLOW_LOOPBACK",
                environment == Environment::Development,
                "true or false",
            )?,
            allow_private: vars.parsed("WEBHOOK_ALLOW_PRIVATE", false, "true or false")?,
        },
        require_https: environment == Environment::Production,
        retention: Duration::from_secs(retention_days * 86_400),
        delivery_enabled: vars.parsed("WEBHOOK_DELIVERY_ENABLED", true, "true or false")?,
    })
}

/// `10s,1m,2h,1d`: waits with a unit (s, m, h, d), at least one, at most 20, each from one
/// second to seven days.
fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    let waits: Vec<Duration> = raw
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(parse_wait)
        .collect::<Result<_, _>>()?;
    if waits.is_empty() || waits.len() > 20 {
        return Err(format!(
            "expected 1 to 20 waits such as {DEFAULT_RETRY_SCHEDULE}"
        ));
    }
    Ok(waits)
}

fn parse_wait(part: &str) -> Result<Duration, String> {
    let bad = || format!("expected a wait such as 10s, 5m, 2h or 1d, got {part:?}");
    let split = part.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = part.split_at_checked(split).ok_or_else(bad)?;
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3600),
        "d" => number.saturating_mul(86_400),
        _ => return Err(bad()),
    };
    if !(1..=7 * 86_400).contains(&seconds) {
        return Err(format!("{part:?} is not between 1s and 7d"));
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_default_schedule_retries_within_ten_seconds_and_grows_to_a_day() {
        let waits = parse_schedule(DEFAULT_RETRY_SCHEDULE).unwrap();
        assert_eq!(waits.first(), Some(&Duration::from_secs(10)));
        assert_eq!(waits.last(), Some(&Duration::from_secs(86_400)));
        assert_eq!(waits.len(), 8);
    }

    #[test]
    fn a_schedule_refuses_waits_without_a_unit_zero_or_too_long() {
        for bad in ["", "10", "0s", "8d", "1w", "s", "1s,,x", "-1s"] {
            assert!(parse_schedule(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_schedule(" 1s, 2m ").unwrap(),
            [Duration::from_secs(1), Duration::from_secs(120)]
        );
    }
}
