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
//! failure, and its turn past the delay threshold ends after [`TURN_TTL`].
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

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::cache::{Cache, CacheResult, InProcessCache};
use crate::client_address::limit_key;
use crate::clock::Clock;
use crate::config::LoginLimits;
use crate::error::Error;

/// The longest wait between two attempts on one account before it locks.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// How long an attempt past the delay threshold may keep its turn (the account's delay key)
/// before it is settled: far above any check's duration, and no longer than the longest delay,
/// so an attempt that is never settled holds the account up no longer than a delay would.
const TURN_TTL: Duration = MAX_DELAY;
/// What the delay key holds while an attempt has the turn (a running delay holds `DELAY`).
const TURN: &[u8] = b"turn";
const DELAY: &[u8] = b"delay";
/// The wait suggested while every slot of an account's budget is held by attempts in flight.
const BUSY_RETRY: Duration = Duration::from_secs(1);
/// The window of the per-IP sign-up budget.
const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);
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

/// The limit rules over one set of counters: the shared cache, or this node's fallback.
#[derive(Clone, Copy)]
struct Counters<'a> {
    cache: &'a dyn Cache,
    limits: &'a LoginLimits,
}

impl Counters<'_> {
    /// Counts an attempt for the IP, then for the account; on a refusal, takes back what it
    /// counted and returns the error.
    async fn reserve(
        self,
        account: &str,
        ip: Option<&str>,
    ) -> CacheResult<Result<Reserved, Error>> {
        let keys = AccountKeys::for_account(account);
        // Not counted at all while locked: failures during a lock never touch the counters.
        if let Some(locked) = self.lock_refusal(&keys).await? {
            return Ok(Err(locked));
        }
        if let Some(ip) = ip
            && let Some(refusal) = self.reserve_ip(ip).await?
        {
            return Ok(Err(refusal));
        }
        let reserved = self.reserve_account(&keys).await?;
        if let (Err(_), Some(ip)) = (&reserved, ip) {
            self.cache.decrement(&ip_failures_key(ip)).await?;
        }
        Ok(reserved)
    }

    /// Counts one failure for the IP; `RateLimited` (counted back) beyond its budget.
    async fn reserve_ip(self, ip: &str) -> CacheResult<Option<Error>> {
        let key = ip_failures_key(ip);
        let failures = self.cache.increment(&key, self.limits.ip_window).await?;
        if failures <= i64::from(self.limits.ip_max_failures) {
            return Ok(None);
        }
        self.cache.decrement(&key).await?;
        let remaining = self.cache.ttl(&key).await?.unwrap_or_default();
        Ok(Some(Error::RateLimited {
            retry_after: retry_after(remaining),
        }))
    }

    /// Counts one failure for the account and takes the turn past the delay threshold; the
    /// refusal (counted back) when the count is over budget, the account locked meanwhile, or
    /// the turn taken.
    async fn reserve_account(self, keys: &AccountKeys) -> CacheResult<Result<Reserved, Error>> {
        let window = self.limits.account_lock_duration;
        let count = self.cache.increment(&keys.failures, window).await?;
        let failures = u32::try_from(count).unwrap_or(u32::MAX);
        let holds_turn = failures > self.limits.account_delay_after;
        let refusal = if let Some(locked) = self.lock_refusal(keys).await? {
            // Locked between the first look and the count.
            Some(locked)
        } else if failures > self.limits.account_lock_after {
            Some(Error::RateLimited {
                retry_after: BUSY_RETRY,
            })
        } else if holds_turn
            && !self
                .cache
                .set_if_absent(&keys.delay, TURN, TURN_TTL)
                .await?
        {
            Some(self.delay_refusal(keys).await?)
        } else {
            None
        };
        match refusal {
            None => Ok(Ok(Reserved {
                failures,
                holds_turn,
            })),
            Some(refusal) => {
                self.cache.decrement(&keys.failures).await?;
                Ok(Err(refusal))
            }
        }
    }

    /// `AccountLocked` while the account's lock runs.
    async fn lock_refusal(self, keys: &AccountKeys) -> CacheResult<Option<Error>> {
        Ok(self
            .cache
            .ttl(&keys.lock)
            .await?
            .map(|remaining| Error::AccountLocked {
                retry_after: retry_after(remaining),
            }))
    }

    /// `RateLimited` until the account's delay (or the turn of the attempt in flight) ends.
    async fn delay_refusal(self, keys: &AccountKeys) -> CacheResult<Error> {
        let remaining = self.cache.ttl(&keys.delay).await?;
        let retry_after = remaining.map_or(BUSY_RETRY, retry_after);
        Ok(Error::RateLimited { retry_after })
    }

    async fn settle_failure(self, attempt: &Attempt) -> CacheResult<LoginFailure> {
        let failures = attempt.failures;
        if failures >= self.limits.account_lock_after {
            let locked = self.lock(&attempt.keys).await?;
            return Ok(LoginFailure { locked, failures });
        }
        if let Some(delay) = delay_after_failure(failures, self.limits.account_delay_after) {
            let key = &attempt.keys.delay;
            if attempt.holds_turn {
                // The turn becomes the delay before the next attempt.
                self.cache.set(key, DELAY, delay).await?;
            } else {
                // The turn of a later attempt in flight is left alone; its failure sets the
                // longer delay.
                self.cache.set_if_absent(key, DELAY, delay).await?;
            }
        }
        Ok(LoginFailure {
            locked: false,
            failures,
        })
    }

    async fn refund(self, attempt: &Attempt) -> CacheResult<()> {
        self.cache.decrement(&attempt.keys.failures).await?;
        if let Some(ip) = &attempt.ip {
            self.cache.decrement(&ip_failures_key(ip)).await?;
        }
        if attempt.holds_turn {
            self.cache.delete(&attempt.keys.delay).await?;
        }
        Ok(())
    }

    /// Locks the account unless it already is (a running lock is never extended) and starts
    /// its count afresh; true when this call locked it.
    async fn lock(self, keys: &AccountKeys) -> CacheResult<bool> {
        let duration = self.limits.account_lock_duration;
        let locked = self.cache.set_if_absent(&keys.lock, b"1", duration).await?;
        self.forget(&[&keys.failures, &keys.delay]).await?;
        Ok(locked)
    }

    /// Counts one sign-up for the IP; `RateLimited` beyond the hourly budget.
    async fn count_signup(self, ip: &str) -> CacheResult<Option<Error>> {
        let key = signup_key(ip);
        let signups = self.cache.increment(&key, SIGNUP_WINDOW).await?;
        if signups <= i64::from(self.limits.signups_per_hour) {
            return Ok(None);
        }
        let remaining = self.cache.ttl(&key).await?.unwrap_or_default();
        Ok(Some(Error::RateLimited {
            retry_after: retry_after(remaining),
        }))
    }

    async fn forget(self, keys: &[&str]) -> CacheResult<()> {
        for key in keys {
            self.cache.delete(key).await?;
        }
        Ok(())
    }
}

/// The cache keys of one account, named by the SHA-256 of its normalised email.
#[derive(Debug)]
struct AccountKeys {
    failures: String,
    lock: String,
    delay: String,
}

impl AccountKeys {
    fn for_account(account: &str) -> Self {
        let hash: String = Sha256::digest(account.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self {
            failures: format!("bf:acct:{hash}:failures"),
            lock: format!("bf:acct:{hash}:lock"),
            delay: format!("bf:acct:{hash}:delay"),
        }
    }
}

/// Per-IP keys count an IPv6 client by its /64: one host usually holds the whole network.
fn ip_failures_key(ip: &str) -> String {
    format!("bf:ip:{}:failures", limit_key(ip))
}

fn signup_key(ip: &str) -> String {
    format!("signup:ip:{}", limit_key(ip))
}

/// The wait before the next attempt after `failures` failures: none before `delay_after`,
/// then 2^(failures − delay_after) seconds, at most [`MAX_DELAY`].
fn delay_after_failure(failures: u32, delay_after: u32) -> Option<Duration> {
    let doublings = failures.checked_sub(delay_after)?;
    let seconds = 2_u64.checked_pow(doublings).unwrap_or(u64::MAX);
    Some(Duration::from_secs(seconds).min(MAX_DELAY))
}

/// A remaining TTL as a client-facing wait: whole seconds, rounded up, at least one.
fn retry_after(remaining: Duration) -> Duration {
    let whole = remaining.as_secs();
    let seconds = if remaining.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    Duration::from_secs(seconds.max(1))
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
