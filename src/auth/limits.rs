//! Brute-force and sign-up limits (DESIGN.md "Security rules" → Brute force), shared by every
//! node through the [`Cache`].
//!
//! Per account: from the `account_delay_after`-th failure each further attempt must wait a
//! growing delay (1 s, 2 s, 4 s … capped at a minute); the `account_lock_after`-th failure
//! locks the account for `account_lock_duration`. Per IP: at most `ip_max_failures` failures
//! within `ip_window`, whatever the accounts. Sign-ups: at most `signups_per_hour` per IP.
//! Only failures count; checking is free.
//!
//! The lock is deliberately temporary: anyone who knows an email address can trigger it, so
//! it expires by itself, failures made while it runs never extend it, and an administrator
//! unlock or a password reset clears it at once. A stranger can keep a user out for one lock
//! duration at a time (and must spend fresh failures, which the per-IP budget also counts, to
//! lock it again), never for good.
//!
//! When the shared cache cannot answer
//! ([`CacheError::Unavailable`](crate::cache::CacheError::Unavailable)) the limits fall back
//! to counters held by this node ([`InProcessCache`]): every operation is tried on the shared
//! cache first and, if that fails, done again on the node's own counters. So while Redis is
//! down each node still delays and locks on the failures it sees itself (an attacker spreading
//! guesses over N nodes gets at most N times the budget), sign-in stays available, and the
//! next operation after Redis returns is shared again. Counts and locks made on a node during
//! an outage stay on that node (they are not copied into Redis) and expire there.
//!
//! This module must never put an email address in the clear in a cache key or a log line (keys
//! hold its SHA-256), never count a check, never lock an account without an expiry, and never
//! let a cache outage refuse a sign-in that the node's own counters allow.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::cache::{Cache, CacheResult, InProcessCache};
use crate::config::LoginLimits;
use crate::error::Error;

/// The longest wait between two attempts on one account before it locks.
const MAX_DELAY: Duration = Duration::from_secs(60);
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

/// What a recorded failure did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    /// This failure locked the account (it was not locked before).
    pub locked: bool,
    /// Failures on the account in its current window, this one included (0 when no counter
    /// could count).
    pub failures: u32,
}

impl BruteForceGuard {
    pub fn new(cache: Arc<dyn Cache>, limits: LoginLimits) -> Self {
        Self {
            shared: cache,
            local: Arc::new(InProcessCache::new(LOCAL_PREFIX)),
            limits,
        }
    }

    /// Before checking a password: `Err(AccountLocked)` while the account is locked,
    /// `Err(RateLimited)` while a growing delay runs for the account or while the IP is over
    /// its failure budget. Checking counts nothing. Without an `ip`, only the account limits
    /// apply.
    ///
    /// # Errors
    /// The refusal, with how long to wait in `retry_after`.
    pub async fn check_login(&self, account: &str, ip: Option<&str>) -> Result<(), Error> {
        let refusal = self
            .shared_or_local("check_login", |counters| {
                Box::pin(counters.login_refusal(account, ip))
            })
            .await;
        fail_open("check_login", refusal, None).map_or(Ok(()), Err)
    }

    /// After a failed attempt (only failures count): counts one for the account and the IP,
    /// sets the account's growing delay from the `account_delay_after`-th failure, and at the
    /// `account_lock_after`-th locks the account for `account_lock_duration` and resets its
    /// count.
    ///
    /// # Errors
    /// None today (a counter that cannot count is logged and ignored); the `Result` keeps
    /// room for one.
    pub async fn record_login_failure(
        &self,
        account: &str,
        ip: Option<&str>,
    ) -> Result<LoginFailure, Error> {
        let not_counted = LoginFailure {
            locked: false,
            failures: 0,
        };
        let counted = self
            .shared_or_local("record_login_failure", |counters| {
                Box::pin(counters.count_failure(account, ip))
            })
            .await;
        Ok(fail_open("record_login_failure", counted, not_counted))
    }

    /// After a successful sign-in: forgets the account's failures and delay (not the IP's
    /// failures, nor a running lock).
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
        fail_open("record_login_success", forgotten, ());
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
            .await;
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
    /// on this node's own (module docs).
    async fn shared_or_local<'a, T>(
        &'a self,
        name: &'static str,
        operation: impl Fn(Counters<'a>) -> BoxFuture<'a, CacheResult<T>>,
    ) -> CacheResult<T> {
        match operation(self.counters(&*self.shared)).await {
            Ok(outcome) => Ok(outcome),
            Err(error) => {
                tracing::warn!(
                    limits.operation = name,
                    error = %error,
                    "brute-force limits counted on this node only: the shared cache is unavailable"
                );
                operation(self.counters(&*self.local)).await
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
    /// The error refusing this attempt, if any.
    async fn login_refusal(self, account: &str, ip: Option<&str>) -> CacheResult<Option<Error>> {
        let keys = AccountKeys::for_account(account);
        if let Some(remaining) = self.cache.ttl(&keys.lock).await? {
            let retry_after = retry_after(remaining);
            return Ok(Some(Error::AccountLocked { retry_after }));
        }
        if let Some(remaining) = self.cache.ttl(&keys.delay).await? {
            let retry_after = retry_after(remaining);
            return Ok(Some(Error::RateLimited { retry_after }));
        }
        match ip {
            Some(ip) => self.ip_refusal(ip).await,
            None => Ok(None),
        }
    }

    /// `RateLimited` while the IP has spent its failure budget.
    async fn ip_refusal(self, ip: &str) -> CacheResult<Option<Error>> {
        let key = ip_failures_key(ip);
        let failures = self.cache.get(&key).await?.map_or(0, |v| read_counter(&v));
        if failures < i64::from(self.limits.ip_max_failures) {
            return Ok(None);
        }
        let remaining = self.cache.ttl(&key).await?;
        Ok(remaining.map(|remaining| Error::RateLimited {
            retry_after: retry_after(remaining),
        }))
    }

    async fn count_failure(self, account: &str, ip: Option<&str>) -> CacheResult<LoginFailure> {
        if let Some(ip) = ip {
            let key = ip_failures_key(ip);
            self.cache.increment(&key, self.limits.ip_window).await?;
        }
        let keys = AccountKeys::for_account(account);
        let window = self.limits.account_lock_duration;
        let count = self.cache.increment(&keys.failures, window).await?;
        let failures = u32::try_from(count).unwrap_or(u32::MAX);
        if failures >= self.limits.account_lock_after {
            let locked = self.lock(&keys).await?;
            return Ok(LoginFailure { locked, failures });
        }
        if let Some(delay) = delay_after_failure(failures, self.limits.account_delay_after) {
            self.cache.set(&keys.delay, b"1", delay).await?;
        }
        Ok(LoginFailure {
            locked: false,
            failures,
        })
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

fn ip_failures_key(ip: &str) -> String {
    format!("bf:ip:{ip}:failures")
}

fn signup_key(ip: &str) -> String {
    format!("signup:ip:{ip}")
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

/// A counter as stored by [`Cache::increment`] (ASCII decimal); 0 when unreadable.
fn read_counter(value: &[u8]) -> i64 {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
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
mod tests {
    #![expect(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "a test should stop at the first failed step"
    )]

    use std::time::Instant;

    use super::*;
    use crate::cache::test_support::{
        Backend, SwitchableCache, against_both_backends, random_prefix,
    };

    const ALICE: &str = "alice@example.com";
    const BOB: &str = "bob@example.com";
    const IP: &str = "203.0.113.7";
    const OTHER_IP: &str = "198.51.100.9";

    /// A cache under a fresh random prefix, and a guard over it.
    async fn guard(backend: &Backend, limits: LoginLimits) -> (BruteForceGuard, Arc<dyn Cache>) {
        let cache = backend.open_isolated().await;
        (BruteForceGuard::new(Arc::clone(&cache), limits), cache)
    }

    /// The documented defaults.
    fn default_limits() -> LoginLimits {
        LoginLimits {
            account_delay_after: 5,
            account_lock_after: 10,
            account_lock_duration: Duration::from_secs(15 * 60),
            ip_max_failures: 100,
            ip_window: Duration::from_secs(10 * 60),
            signups_per_hour: 30,
        }
    }

    against_both_backends!(
        checking_counts_nothing,
        delays_start_at_the_fifth_failure_and_grow,
        tenth_failure_locks_the_account_for_the_lock_duration,
        failures_during_a_lock_do_not_extend_it,
        success_forgets_the_account_failures_but_not_the_ip_failures,
        lock_expires_by_itself,
        ip_budget_refuses_after_max_failures_across_accounts,
        signups_beyond_the_hourly_budget_are_refused,
        unlock_clears_lock_delay_and_failures,
        cache_keys_never_hold_the_email_in_clear,
    );

    async fn fail_times(guard: &BruteForceGuard, account: &str, times: u32) -> LoginFailure {
        let mut last = None;
        for _ in 0..times {
            last = Some(guard.record_login_failure(account, Some(IP)).await.unwrap());
        }
        last.expect("at least one failure")
    }

    /// The `retry_after` of a refusal with the given reason.
    fn refused_with(outcome: Result<(), Error>, reason: &str) -> Duration {
        let error = outcome.expect_err(reason);
        assert_eq!(error.reason(), reason, "{error:?}");
        match error {
            Error::AccountLocked { retry_after } | Error::RateLimited { retry_after } => {
                retry_after
            }
            other => panic!("{other:?} carries no retry_after"),
        }
    }

    /// `actual` is `expected`, give or take the two seconds a slow test may lose.
    fn assert_about(actual: Duration, expected: Duration) {
        assert!(
            actual <= expected && actual + Duration::from_secs(2) >= expected,
            "{actual:?} is not about {expected:?}"
        );
    }

    async fn checking_counts_nothing(backend: Backend) {
        let (guard, _) = guard(&backend, default_limits()).await;

        for _ in 0..20 {
            guard.check_login(ALICE, Some(IP)).await.unwrap();
        }
        let failure = guard.record_login_failure(ALICE, Some(IP)).await.unwrap();

        assert_eq!(failure.failures, 1);
        guard.check_login(ALICE, Some(IP)).await.unwrap();
    }

    async fn delays_start_at_the_fifth_failure_and_grow(backend: Backend) {
        let (guard, _) = guard(&backend, default_limits()).await;

        fail_times(&guard, ALICE, 4).await;
        guard.check_login(ALICE, Some(IP)).await.unwrap();

        let mut previous = Duration::ZERO;
        for failures in 5..=9 {
            let failure = guard.record_login_failure(ALICE, Some(IP)).await.unwrap();
            assert_eq!(failure.failures, failures);
            assert!(!failure.locked);
            let delay = refused_with(guard.check_login(ALICE, None).await, "RATE_LIMIT_ERROR");
            assert_about(delay, Duration::from_secs(1 << (failures - 5)));
            assert!(
                delay > previous,
                "{delay:?} does not grow from {previous:?}"
            );
            previous = delay;
        }
        guard.check_login(BOB, Some(OTHER_IP)).await.unwrap();
    }

    async fn tenth_failure_locks_the_account_for_the_lock_duration(backend: Backend) {
        let limits = default_limits();
        let (guard, _) = guard(&backend, limits.clone()).await;

        let ninth = fail_times(&guard, ALICE, 9).await;
        let tenth = guard.record_login_failure(ALICE, Some(IP)).await.unwrap();

        assert!(!ninth.locked);
        assert_eq!(
            tenth,
            LoginFailure {
                locked: true,
                failures: 10
            }
        );
        let retry = refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");
        assert_about(retry, limits.account_lock_duration);
        guard.check_login(BOB, None).await.unwrap();
    }

    async fn failures_during_a_lock_do_not_extend_it(backend: Backend) {
        let (guard, _) = guard(&backend, default_limits()).await;
        fail_times(&guard, ALICE, 10).await;
        let before = refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");

        let again = fail_times(&guard, ALICE, 10).await;

        assert!(!again.locked);
        let after = refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");
        assert!(after <= before, "{after:?} extends {before:?}");
    }

    async fn success_forgets_the_account_failures_but_not_the_ip_failures(backend: Backend) {
        let limits = LoginLimits {
            ip_max_failures: 8,
            ..default_limits()
        };
        let (guard, _) = guard(&backend, limits).await;
        fail_times(&guard, ALICE, 6).await;

        guard.record_login_success(ALICE).await.unwrap();

        guard.check_login(ALICE, None).await.unwrap();
        let failure = guard.record_login_failure(ALICE, Some(IP)).await.unwrap();
        assert_eq!(failure.failures, 1);
        guard.record_login_failure(BOB, Some(IP)).await.unwrap();
        refused_with(guard.check_login(BOB, Some(IP)).await, "RATE_LIMIT_ERROR");
    }

    async fn lock_expires_by_itself(backend: Backend) {
        let limits = LoginLimits {
            account_delay_after: 3,
            account_lock_after: 3,
            account_lock_duration: Duration::from_secs(1),
            ..default_limits()
        };
        let (guard, _) = guard(&backend, limits).await;
        let failure = fail_times(&guard, ALICE, 3).await;
        assert!(failure.locked);
        refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");

        let deadline = Instant::now() + Duration::from_secs(5);
        while guard.check_login(ALICE, None).await.is_err() {
            assert!(Instant::now() < deadline, "the lock did not expire");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let failure = guard.record_login_failure(ALICE, None).await.unwrap();
        assert_eq!(failure.failures, 1);
    }

    async fn ip_budget_refuses_after_max_failures_across_accounts(backend: Backend) {
        let limits = default_limits();
        let (guard, _) = guard(&backend, limits.clone()).await;

        for n in 0..limits.ip_max_failures {
            let account = format!("user{n}@example.com");
            guard.check_login(&account, Some(IP)).await.unwrap();
            guard
                .record_login_failure(&account, Some(IP))
                .await
                .unwrap();
        }

        let retry = refused_with(
            guard.check_login("fresh@example.com", Some(IP)).await,
            "RATE_LIMIT_ERROR",
        );
        assert_about(retry, limits.ip_window);
        guard
            .check_login("fresh@example.com", Some(OTHER_IP))
            .await
            .unwrap();
        guard.check_login("fresh@example.com", None).await.unwrap();
    }

    async fn signups_beyond_the_hourly_budget_are_refused(backend: Backend) {
        let limits = default_limits();
        let (guard, _) = guard(&backend, limits.clone()).await;

        for _ in 0..limits.signups_per_hour {
            guard.check_signup(Some(IP)).await.unwrap();
        }

        let retry = refused_with(guard.check_signup(Some(IP)).await, "RATE_LIMIT_ERROR");
        assert_about(retry, SIGNUP_WINDOW);
        guard.check_signup(Some(OTHER_IP)).await.unwrap();
        guard.check_signup(None).await.unwrap();
    }

    async fn unlock_clears_lock_delay_and_failures(backend: Backend) {
        let (guard, _) = guard(&backend, default_limits()).await;
        fail_times(&guard, ALICE, 10).await;
        fail_times(&guard, BOB, 6).await;
        refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");
        refused_with(guard.check_login(BOB, None).await, "RATE_LIMIT_ERROR");

        guard.unlock(ALICE).await.unwrap();
        guard.unlock(BOB).await.unwrap();

        guard.check_login(ALICE, None).await.unwrap();
        guard.check_login(BOB, None).await.unwrap();
        let failure = guard.record_login_failure(BOB, None).await.unwrap();
        assert_eq!(failure.failures, 1);
    }

    async fn cache_keys_never_hold_the_email_in_clear(backend: Backend) {
        let (guard, cache) = guard(&backend, default_limits()).await;
        fail_times(&guard, ALICE, 10).await;
        fail_times(&guard, BOB, 6).await;

        for email in [ALICE, BOB] {
            for key in [
                format!("bf:acct:{email}:failures"),
                format!("bf:acct:{email}:lock"),
                format!("bf:acct:{email}:delay"),
            ] {
                assert_eq!(cache.get(&key).await.unwrap(), None, "{key} exists");
            }
        }
        let alice = AccountKeys::for_account(ALICE);
        let bob = AccountKeys::for_account(BOB);
        assert!(!alice.lock.contains(ALICE) && !alice.lock.contains("alice"));
        assert!(cache.ttl(&alice.lock).await.unwrap().is_some());
        assert!(cache.ttl(&bob.delay).await.unwrap().is_some());
        assert!(cache.ttl(&bob.failures).await.unwrap().is_some());
    }

    #[test]
    fn account_keys_are_named_by_the_sha256_of_the_email() {
        let keys = AccountKeys::for_account("");

        assert_eq!(
            keys.lock,
            "bf:acct:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:lock"
        );
    }

    #[tokio::test]
    async fn guards_sharing_one_redis_see_the_same_counts() {
        let Some(backend) = Backend::redis_from_env("guards_sharing_one_redis_see_the_same_counts")
        else {
            return;
        };
        let prefix = random_prefix();
        let node_a = BruteForceGuard::new(backend.open(&prefix).await, default_limits());
        let node_b = BruteForceGuard::new(backend.open(&prefix).await, default_limits());

        fail_times(&node_a, ALICE, 5).await;
        refused_with(node_b.check_login(ALICE, None).await, "RATE_LIMIT_ERROR");

        let tenth = fail_times(&node_b, ALICE, 5).await;
        assert_eq!(
            tenth,
            LoginFailure {
                locked: true,
                failures: 10
            }
        );
        refused_with(node_a.check_login(ALICE, None).await, "ACCOUNT_LOCKED");

        node_a.unlock(ALICE).await.unwrap();
        node_b.check_login(ALICE, None).await.unwrap();
    }

    #[test]
    fn delay_doubles_from_the_threshold_and_caps_at_a_minute() {
        let delays: Vec<_> = (3..=13).map(|n| delay_after_failure(n, 5)).collect();

        let seconds = |s: u64| Some(Duration::from_secs(s));
        let expected = [
            None,
            None,
            seconds(1),
            seconds(2),
            seconds(4),
            seconds(8),
            seconds(16),
            seconds(32),
            seconds(60),
            seconds(60),
            seconds(60),
        ];
        assert_eq!(delays, expected);
        assert_eq!(delay_after_failure(u32::MAX, 0), seconds(60));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
        assert_eq!(retry_after(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            retry_after(Duration::from_millis(1)),
            Duration::from_secs(1)
        );
        assert_eq!(retry_after(Duration::from_secs(2)), Duration::from_secs(2));
        assert_eq!(
            retry_after(Duration::from_millis(2001)),
            Duration::from_secs(3)
        );
        assert_eq!(retry_after(Duration::MAX), Duration::from_secs(u64::MAX));
    }

    #[tokio::test]
    async fn an_unavailable_cache_falls_back_to_this_nodes_counters() {
        let cache = Arc::new(SwitchableCache::new());
        let limits = LoginLimits {
            account_delay_after: 3,
            account_lock_after: 3,
            signups_per_hour: 2,
            ..default_limits()
        };
        let guard = BruteForceGuard::new(cache.clone(), limits);
        cache.set_down(true);

        fail_times(&guard, ALICE, 2).await;
        guard.check_login(ALICE, Some(IP)).await.unwrap();
        let third = guard.record_login_failure(ALICE, Some(IP)).await.unwrap();
        assert_eq!(
            third,
            LoginFailure {
                locked: true,
                failures: 3
            }
        );
        refused_with(guard.check_login(ALICE, None).await, "ACCOUNT_LOCKED");
        let clone = guard.clone();
        refused_with(clone.check_login(ALICE, None).await, "ACCOUNT_LOCKED");
        guard.check_login(BOB, None).await.unwrap();
        guard.check_signup(Some(IP)).await.unwrap();
        guard.check_signup(Some(IP)).await.unwrap();
        refused_with(guard.check_signup(Some(IP)).await, "RATE_LIMIT_ERROR");

        clone.unlock(ALICE).await.unwrap();
        guard.check_login(ALICE, None).await.unwrap();
    }

    #[tokio::test]
    async fn limits_are_shared_again_once_the_cache_returns() {
        let cache = Arc::new(SwitchableCache::new());
        let node_a = BruteForceGuard::new(cache.clone(), default_limits());
        let node_b = BruteForceGuard::new(cache.clone(), default_limits());
        cache.set_down(true);
        fail_times(&node_a, ALICE, 5).await;
        refused_with(node_a.check_login(ALICE, None).await, "RATE_LIMIT_ERROR");
        node_b.check_login(ALICE, None).await.unwrap();

        cache.set_down(false);

        node_a.check_login(ALICE, None).await.unwrap();
        fail_times(&node_b, ALICE, 5).await;
        refused_with(node_a.check_login(ALICE, None).await, "RATE_LIMIT_ERROR");
    }
}
