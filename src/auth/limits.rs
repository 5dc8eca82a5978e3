//! Brute-force and sign-up limits (DESIGN.md "Security rules" → Brute force), shared by every
//! node through the [`Cache`].
//!
//! Per account: from the `account_delay_after`-th failure each further attempt must wait a
//! growing delay (1 s, 2 s, 4 s … capped at a minute) and only one attempt may be in flight at
//! a time; the `account_lock_after`-th failure locks the account for `account_lock_duration`.
//! Per IP: at most `ip_max_failures` failures within `ip_window`, whatever the accounts.
//! Sign-ups: at most `signups_per_hour` per IP.
//!
//! Every guess is counted before it is checked (DESIGN.md: limits are reserved before the
//! check they guard). [`BruteForceGuard::reserve_attempt`] counts the attempt for the account
//! and the IP with the cache's atomic increment and refuses it — taking the count back — when
//! the count passes a budget, while the account is locked, or while a delay (or another
//! attempt past the delay threshold) runs. Only then does the caller check the password, code
//! or assertion, and settle the [`Attempt`]: [`BruteForceGuard::attempt_failed`] keeps the
//! count (and starts a delay or the lock), [`BruteForceGuard::refund`] takes it back. So only
//! failures count, yet requests sent at once each get their own count and only those within
//! the budgets are checked: at most `account_lock_after` guesses per account and lock window,
//! at most `ip_max_failures` per IP window, whatever the concurrency. An attempt dropped
//! without being settled (an internal error, a cancelled request) stays counted, like a
//! failure, and its turn past the delay threshold ends after [`TURN_TTL`](counters::TURN_TTL).
//!
//! The lock is deliberately temporary: anyone who knows an email address can trigger it, so
//! it expires by itself, attempts made while it runs are refused without being counted (they
//! never extend it), and an administrator unlock or a password reset clears it at once. A
//! stranger can keep a user out for one lock duration at a time (and must spend fresh
//! failures, which the per-IP budget also counts, to lock it again), never for good.
//!
//! When the shared cache cannot answer
//! ([`CacheError::Unavailable`](crate::cache::CacheError::Unavailable)) the limits fall back
//! to counters held by this node ([`InProcessCache`]): every operation is tried on the shared
//! cache first and, if that fails, done again on the node's own counters. So while Redis is
//! down each node still delays and locks on the failures it sees itself (an attacker spreading
//! guesses over N nodes gets at most N times the budget), sign-in stays available, and the
//! next operation after Redis returns is shared again. Counts and locks made on a node during
//! an outage stay on that node (they are not copied into Redis) and expire there; an attempt
//! is settled on the counters that reserved it.
//!
//! This module must never put an email address in the clear in a cache key or a log line (keys
//! hold its SHA-256), never let an attempt be checked before it is counted, never lock an
//! account without an expiry, and never let a cache outage refuse a sign-in that the node's own
//! counters allow.
//!
//! This file is the guard's public API (reserve, settle, unlock, sign-ups) and its fallback
//! from the shared cache to this node's counters; `counters` holds the rules over one set of
//! counters, the cache keys and the delay arithmetic.

mod counters;

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::cache::{Cache, CacheResult, InProcessCache};
use crate::clock::Clock;
use crate::config::LoginLimits;
use crate::error::Error;

use counters::{AccountKeys, Counters};

/// Namespaces this node's fallback counters (they never leave the process).
const LOCAL_PREFIX: &str = "node-local:";

/// Enforces the brute-force and sign-up limits of one deployment. Clones share their
/// counters (the node's fallback ones included), so every capability of a node sees the same.
#[derive(Clone)]
pub struct BruteForceGuard {
    shared: Arc<dyn Cache>,
    /// This node's own counters, used while `shared` cannot answer (module docs).
    local: Arc<InProcessCache>,
    limits: LoginLimits,
}

/// One guess at an account's credentials, counted before it is checked. Settle it with
/// [`BruteForceGuard::attempt_failed`] or [`BruteForceGuard::refund`]; dropped unsettled it
/// stays counted as a failure.
#[derive(Debug)]
#[must_use = "an attempt is settled with attempt_failed or refund"]
pub struct Attempt {
    keys: AccountKeys,
    ip: Option<String>,
    /// The account's count with this attempt included, as reserved.
    failures: u32,
    /// This attempt is past the delay threshold and holds the account's only turn.
    holds_turn: bool,
    counted_on: CountedOn,
}

/// Which counters counted an attempt (and so settle it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CountedOn {
    Shared,
    ThisNode,
    /// No counter could count it: the limits failed open (module docs).
    Nowhere,
}

/// What a settled failure did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    /// This failure locked the account (it was not locked before).
    pub locked: bool,
    /// Failures on the account in its current window, this one included (0 when no counter
    /// could count).
    pub failures: u32,
}

/// An attempt's counts, as the counters reserved them.
struct Reserved {
    failures: u32,
    holds_turn: bool,
}

impl BruteForceGuard {
    /// A guard over `cache`; this node's fallback counters expire by `clock`.
    pub fn new(cache: Arc<dyn Cache>, limits: LoginLimits, clock: Arc<dyn Clock>) -> Self {
        Self {
            shared: cache,
            local: Arc::new(InProcessCache::with_clock(LOCAL_PREFIX, clock)),
            limits,
        }
    }

    /// Before checking a password or a second factor: counts the attempt for the account (and
    /// the IP, when given) and hands it back to be settled. Refused, with nothing counted:
    /// `AccountLocked` while the account is locked; `RateLimited` while the IP has spent its
    /// failure budget, while a delay or another attempt past the delay threshold runs for the
    /// account, or while attempts in flight hold the rest of the account's budget.
    ///
    /// # Errors
    /// The refusal, with how long to wait in `retry_after`.
    pub async fn reserve_attempt(&self, account: &str, ip: Option<&str>) -> Result<Attempt, Error> {
        let reserved = self
            .shared_or_local("reserve_attempt", |counters| {
                Box::pin(counters.reserve(account, ip))
            })
            .await;
        let uncounted = Reserved {
            failures: 0,
            holds_turn: false,
        };
        let (reserved, counted_on) = fail_open(
            "reserve_attempt",
            reserved,
            (Ok(uncounted), CountedOn::Nowhere),
        );
        let reserved = reserved?;
        Ok(Attempt {
            keys: AccountKeys::for_account(account),
            ip: ip.map(str::to_owned),
            failures: reserved.failures,
            holds_turn: reserved.holds_turn,
            counted_on,
        })
    }

    /// After the check failed: the attempt stays counted; from the `account_delay_after`-th
    /// failure the account's growing delay starts, and the `account_lock_after`-th locks the
    /// account for `account_lock_duration` and starts its count afresh.
    ///
    /// # Errors
    /// None today (a counter that cannot count is logged and ignored); the `Result` keeps
    /// room for one.
    pub async fn attempt_failed(&self, attempt: Attempt) -> Result<LoginFailure, Error> {
        let not_counted = LoginFailure {
            locked: false,
            failures: 0,
        };
        let settled = match attempt.counted_on {
            CountedOn::Nowhere => return Ok(not_counted),
            CountedOn::ThisNode => self.counters(&*self.local).settle_failure(&attempt).await,
            // Should the shared cache have gone down since, this node's counters still delay
            // or lock by the count the attempt reserved.
            CountedOn::Shared => self
                .shared_or_local("attempt_failed", |counters| {
                    Box::pin(counters.settle_failure(&attempt))
                })
                .await
                .map(|(failure, _)| failure),
        };
        Ok(fail_open("attempt_failed", settled, not_counted))
    }

    /// After the check passed: takes the attempt's counts back (account and IP) and ends its
    /// turn. The account's earlier failures stay until [`Self::record_login_success`].
    ///
    /// # Errors
    /// None today (a counter that cannot answer is logged and ignored).
    pub async fn refund(&self, attempt: Attempt) -> Result<(), Error> {
        let counters = match attempt.counted_on {
            CountedOn::Nowhere => return Ok(()),
            CountedOn::ThisNode => self.counters(&*self.local),
            // Never on this node's counters as a fallback: they did not count it, and would
            // give back a count that another attempt made.
            CountedOn::Shared => self.counters(&*self.shared),
        };
        fail_open("refund", counters.refund(&attempt).await, ());
        Ok(())
    }

    /// After a successful sign-in (every factor proven): forgets the account's failures and
    /// delay (not the IP's failures, nor a running lock).
    ///
    /// # Errors
    /// None today (a counter that cannot answer is logged and ignored).
    pub async fn record_login_success(&self, account: &str) -> Result<(), Error> {
        let keys = AccountKeys::for_account(account);
        let forgettable = [keys.failures.as_str(), keys.delay.as_str()];
        let forgotten = self
            .shared_or_local("record_login_success", |counters| {
                Box::pin(counters.forget(&forgettable))
            })
            .await;
        fail_open("record_login_success", forgotten, ((), CountedOn::Nowhere));
        Ok(())
    }

    /// Sign-ups: counts one for the IP and refuses beyond `signups_per_hour`. Without an `ip`
    /// nothing is counted.
    ///
    /// # Errors
    /// `RateLimited` once the IP's hourly budget is spent.
    pub async fn check_signup(&self, ip: Option<&str>) -> Result<(), Error> {
        let Some(ip) = ip else { return Ok(()) };
        let refusal = self
            .shared_or_local("check_signup", |counters| {
                Box::pin(counters.count_signup(ip))
            })
            .await
            .map(|(refusal, _)| refusal);
        fail_open("check_signup", refusal, None).map_or(Ok(()), Err)
    }

    /// Clears the lock, delay and failures of an account (administrator unlock, password
    /// reset), on the shared counters and on this node's own.
    ///
    /// # Errors
    /// None today (a counter that cannot answer is logged and ignored).
    pub async fn unlock(&self, account: &str) -> Result<(), Error> {
        let keys = AccountKeys::for_account(account);
        let all = [
            keys.lock.as_str(),
            keys.delay.as_str(),
            keys.failures.as_str(),
        ];
        // Both, not either: a lock taken on this node during an outage must go too.
        let shared = self.counters(&*self.shared).forget(&all).await;
        fail_open("unlock", shared, ());
        let local = self.counters(&*self.local).forget(&all).await;
        fail_open("unlock", local, ());
        Ok(())
    }

    fn counters<'a>(&'a self, cache: &'a dyn Cache) -> Counters<'a> {
        Counters {
            cache,
            limits: &self.limits,
        }
    }

    /// Runs `operation` on the shared counters and, when the shared cache cannot answer, again
    /// on this node's own (module docs); says which answered.
    async fn shared_or_local<'a, T>(
        &'a self,
        name: &'static str,
        operation: impl Fn(Counters<'a>) -> BoxFuture<'a, CacheResult<T>>,
    ) -> CacheResult<(T, CountedOn)> {
        match operation(self.counters(&*self.shared)).await {
            Ok(outcome) => Ok((outcome, CountedOn::Shared)),
            Err(error) => {
                tracing::warn!(
                    limits.operation = name,
                    error = %error,
                    "brute-force limits counted on this node only: the shared cache is unavailable"
                );
                let outcome = operation(self.counters(&*self.local)).await?;
                Ok((outcome, CountedOn::ThisNode))
            }
        }
    }
}

/// The outcome of a limit operation, or `fallback` (after a warning) when not even this
/// node's own counters could answer (a counter overflow): then the limits fail open rather
/// than refuse every sign-in.
fn fail_open<T>(operation: &'static str, outcome: CacheResult<T>, fallback: T) -> T {
    outcome.unwrap_or_else(|error| {
        tracing::warn!(
            limits.operation = operation,
            error = %error,
            "brute-force limits skipped: no counter could answer"
        );
        fallback
    })
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
