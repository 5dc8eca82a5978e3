//! The source of "now". Domain code, the in-process cache's TTLs and the keyring's reload age
//! ask a `Clock` instead of the system so tests can move time (token expiry, key reload, lock
//! expiry) without sleeping. This module must never read configuration or hold state beyond
//! the time itself.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock (`janua serve` and every CLI command).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock a test moves by hand: the wall clock plus everything [`ManualClock::advance`] has
/// added. Time keeps flowing between steps (so orderings by time stay realistic) and jumps
/// forward when the test says so.
#[derive(Debug, Default)]
pub struct ManualClock {
    advanced_millis: AtomicI64,
}

impl ManualClock {
    /// A clock that reads the wall clock until it is advanced.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves this clock forward by `by` (milliseconds precision; saturates).
    pub fn advance(&self, by: std::time::Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .advanced_millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |advanced| {
                Some(advanced.saturating_add(millis))
            });
    }

    /// How far this clock is ahead of the wall clock.
    #[must_use]
    pub fn advanced(&self) -> std::time::Duration {
        let millis = self.advanced_millis.load(Ordering::SeqCst);
        std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let advanced = TimeDelta::milliseconds(self.advanced_millis.load(Ordering::SeqCst));
        Utc::now()
            .checked_add_signed(advanced)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_runs_with_the_wall_clock_and_jumps_when_advanced() {
        let clock = ManualClock::new();
        let before = Utc::now();
        assert!(clock.now() >= before);

        clock.advance(std::time::Duration::from_secs(3600));

        assert!(clock.now() >= before + TimeDelta::hours(1));
        assert_eq!(clock.advanced(), std::time::Duration::from_secs(3600));
    }
}
