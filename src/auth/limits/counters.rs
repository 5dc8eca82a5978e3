//! The limit rules over one set of counters (the shared cache, or this node's fallback): how
//! an attempt is reserved for the IP and the account, how a failure starts a delay or the
//! lock, how a refund or a sign-up is counted; the cache keys of an account (named by the
//! SHA-256 of its email, never the email itself) and of an IP; and the delay arithmetic.
//! It never chooses between the shared and the local counters (the guard does).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Attempt, LoginFailure, Reserved};
use crate::cache::{Cache, CacheResult};
use crate::client_address::limit_key;
use crate::config::LoginLimits;
use crate::error::Error;

/// The longest wait between two attempts on one account before it locks.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// How long an attempt past the delay threshold may keep its turn (the account's delay key)
/// before it is settled: far above any check's duration, and no longer than the longest delay,
/// so an attempt that is never settled holds the account up no longer than a delay would.
pub(super) const TURN_TTL: Duration = MAX_DELAY;
/// What the delay key holds while an attempt has the turn (a running delay holds `DELAY`).
const TURN: &[u8] = b"turn";
const DELAY: &[u8] = b"delay";
/// The wait suggested while every slot of an account's budget is held by attempts in flight.
const BUSY_RETRY: Duration = Duration::from_secs(1);
/// The window of the per-IP sign-up budget.
pub(super) const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);

/// The limit rules over one set of counters: the shared cache, or this node's fallback.
#[derive(Clone, Copy)]
pub(super) struct Counters<'a> {
    pub(super) cache: &'a dyn Cache,
    pub(super) limits: &'a LoginLimits,
}

impl Counters<'_> {
    /// Counts an attempt for the IP, then for the account; on a refusal, takes back what it
    /// counted and returns the error.
    pub(super) async fn reserve(
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

    pub(super) async fn settle_failure(self, attempt: &Attempt) -> CacheResult<LoginFailure> {
        let failures = attempt.failures;
        if failures >= self.limits.account_lock_after {
            let locked = self.lock(&attempt.keys).await?;
            crate::telemetry::lockout_if(locked);
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

    pub(super) async fn refund(self, attempt: &Attempt) -> CacheResult<()> {
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
    pub(super) async fn count_signup(self, ip: &str) -> CacheResult<Option<Error>> {
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

    pub(super) async fn forget(self, keys: &[&str]) -> CacheResult<()> {
        for key in keys {
            self.cache.delete(key).await?;
        }
        Ok(())
    }
}

/// The cache keys of one account, named by the SHA-256 of its normalised email.
#[derive(Debug)]
pub(super) struct AccountKeys {
    pub(super) failures: String,
    pub(super) lock: String,
    pub(super) delay: String,
}

impl AccountKeys {
    pub(super) fn for_account(account: &str) -> Self {
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
pub(super) fn ip_failures_key(ip: &str) -> String {
    format!("bf:ip:{}:failures", limit_key(ip))
}

fn signup_key(ip: &str) -> String {
    format!("signup:ip:{}", limit_key(ip))
}

/// The wait before the next attempt after `failures` failures: none before `delay_after`,
/// then 2^(failures − delay_after) seconds, at most [`MAX_DELAY`].
pub(super) fn delay_after_failure(failures: u32, delay_after: u32) -> Option<Duration> {
    let doublings = failures.checked_sub(delay_after)?;
    let seconds = 2_u64.checked_pow(doublings).unwrap_or(u64::MAX);
    Some(Duration::from_secs(seconds).min(MAX_DELAY))
}

/// A remaining TTL as a client-facing wait: whole seconds, rounded up, at least one.
pub(super) fn retry_after(remaining: Duration) -> Duration {
    let whole = remaining.as_secs();
    let seconds = if remaining.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    Duration::from_secs(seconds.max(1))
}
