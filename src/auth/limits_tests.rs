//! The limits' rules on both cache backends (in-process always, Redis when `REDIS_URL` is
//! set), and their fallback to this node's counters when the shared cache is down.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop at the first failed step"
)]

use std::time::Duration;

use super::counters::{SIGNUP_WINDOW, TURN_TTL, delay_after_failure, ip_failures_key, retry_after};
use super::*;
use crate::cache::test_support::{Backend, SwitchableCache, against_both_backends, random_prefix};
use crate::clock::SystemClock;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const IP: &str = "203.0.113.7";
const OTHER_IP: &str = "198.51.100.9";

/// A cache under a fresh random prefix, and a guard over it.
async fn guard(backend: &Backend, limits: LoginLimits) -> (BruteForceGuard, Arc<dyn Cache>) {
    let cache = backend.open_isolated().await;
    (
        BruteForceGuard::new(Arc::clone(&cache), limits, backend.clock()),
        cache,
    )
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
    a_refund_takes_the_attempt_back,
    a_refused_attempt_counts_nothing,
    an_attempt_dropped_unsettled_stays_counted,
    delays_start_at_the_fifth_failure_and_grow,
    past_the_delay_threshold_one_attempt_is_in_flight_at_a_time,
    concurrent_attempts_never_exceed_the_account_budget,
    concurrent_attempts_never_exceed_the_ip_budget,
    tenth_failure_locks_the_account_for_the_lock_duration,
    attempts_during_a_lock_are_refused_and_do_not_extend_it,
    success_forgets_the_account_failures_but_not_the_ip_failures,
    lock_expires_by_itself,
    ip_budget_refuses_after_max_failures_across_accounts,
    signups_beyond_the_hourly_budget_are_refused,
    ipv6_clients_share_the_sign_up_budget_of_their_64,
    unlock_clears_lock_delay_and_failures,
    cache_keys_never_hold_the_email_in_clear,
);

/// One attempt that fails, then the wait for the delay it started (done by removing the
/// delay, on the shared counters and on this node's own).
async fn fail_once(guard: &BruteForceGuard, account: &str) -> LoginFailure {
    let attempt = guard.reserve_attempt(account, Some(IP)).await.unwrap();
    let failure = guard.attempt_failed(attempt).await.unwrap();
    wait_out_delay(guard, account).await;
    failure
}

async fn fail_times(guard: &BruteForceGuard, account: &str, times: u32) -> LoginFailure {
    let mut last = None;
    for _ in 0..times {
        last = Some(fail_once(guard, account).await);
    }
    last.expect("at least one failure")
}

/// As if the account's delay had run out.
async fn wait_out_delay(guard: &BruteForceGuard, account: &str) {
    let delay = AccountKeys::for_account(account).delay;
    // The shared cache may be down in the fallback tests; this node's counters always answer.
    let _ = guard.shared.delete(&delay).await;
    guard.local.delete(&delay).await.unwrap();
}

/// Reserves and refunds at once: the attempt is allowed now.
async fn allowed(guard: &BruteForceGuard, account: &str, ip: Option<&str>) {
    let attempt = guard.reserve_attempt(account, ip).await.unwrap();
    guard.refund(attempt).await.unwrap();
}

/// The `retry_after` of a refusal with the given reason.
fn refused_with(outcome: Result<Attempt, Error>, reason: &str) -> Duration {
    let error = outcome.expect_err(reason);
    assert_eq!(error.reason(), reason, "{error:?}");
    match error {
        Error::AccountLocked { retry_after } | Error::RateLimited { retry_after } => retry_after,
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

/// Reserves `count` attempts on `account` at once; the granted ones and the refusals.
async fn reserve_at_once(
    guard: &BruteForceGuard,
    account: impl Fn(usize) -> String,
    count: usize,
) -> (Vec<Attempt>, Vec<Error>) {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let guard = guard.clone();
            let account = account(n);
            tokio::spawn(async move { guard.reserve_attempt(&account, Some(IP)).await })
        })
        .collect();
    let (mut granted, mut refused) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Ok(attempt) => granted.push(attempt),
            Err(error) => refused.push(error),
        }
    }
    (granted, refused)
}

async fn a_refund_takes_the_attempt_back(backend: Backend) {
    let limits = LoginLimits {
        ip_max_failures: 1,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;

    for _ in 0..20 {
        let attempt = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
        assert_eq!(attempt.failures, 1);
        guard.refund(attempt).await.unwrap();
    }

    let failure = fail_once(&guard, ALICE).await;
    assert_eq!(failure.failures, 1);
    refused_with(
        guard.reserve_attempt(BOB, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
}

async fn a_refused_attempt_counts_nothing(backend: Backend) {
    let limits = LoginLimits {
        ip_max_failures: 2,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;
    fail_times(&guard, ALICE, 2).await;

    for _ in 0..10 {
        refused_with(
            guard.reserve_attempt(BOB, Some(IP)).await,
            "RATE_LIMIT_ERROR",
        );
    }

    let ip_failures = guard.shared.get(&ip_failures_key(IP)).await.unwrap();
    assert_eq!(
        ip_failures,
        Some(b"2".to_vec()),
        "the refusals were counted back"
    );
    let attempt = guard.reserve_attempt(BOB, None).await.unwrap();
    assert_eq!(
        attempt.failures, 1,
        "the refusals never reached the account"
    );
    guard.refund(attempt).await.unwrap();
}

async fn an_attempt_dropped_unsettled_stays_counted(backend: Backend) {
    let (guard, _) = guard(&backend, default_limits()).await;

    drop(guard.reserve_attempt(ALICE, Some(IP)).await.unwrap());

    let attempt = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    assert_eq!(attempt.failures, 2);
    guard.refund(attempt).await.unwrap();
}

async fn delays_start_at_the_fifth_failure_and_grow(backend: Backend) {
    let (guard, _) = guard(&backend, default_limits()).await;

    fail_times(&guard, ALICE, 4).await;
    allowed(&guard, ALICE, Some(IP)).await;

    let mut previous = Duration::ZERO;
    for failures in 5..=9 {
        let attempt = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
        let failure = guard.attempt_failed(attempt).await.unwrap();
        assert_eq!(failure.failures, failures);
        assert!(!failure.locked);
        let delay = refused_with(guard.reserve_attempt(ALICE, None).await, "RATE_LIMIT_ERROR");
        assert_about(delay, Duration::from_secs(1 << (failures - 5)));
        assert!(
            delay > previous,
            "{delay:?} does not grow from {previous:?}"
        );
        previous = delay;
        wait_out_delay(&guard, ALICE).await;
    }
    allowed(&guard, BOB, Some(OTHER_IP)).await;
}

async fn past_the_delay_threshold_one_attempt_is_in_flight_at_a_time(backend: Backend) {
    let limits = LoginLimits {
        account_delay_after: 2,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;
    let first = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    let second = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    let third = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    assert!(!first.holds_turn && !second.holds_turn && third.holds_turn);

    let waits = refused_with(
        guard.reserve_attempt(ALICE, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
    assert_about(waits, TURN_TTL);
    guard.refund(third).await.unwrap();
    let next = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    assert_eq!((next.failures, next.holds_turn), (3, true));
    refused_with(
        guard.reserve_attempt(ALICE, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );

    guard.attempt_failed(next).await.unwrap();
    let delay = refused_with(
        guard.reserve_attempt(ALICE, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
    assert_about(delay, Duration::from_secs(2));
    guard.attempt_failed(first).await.unwrap();
    guard.attempt_failed(second).await.unwrap();
}

async fn concurrent_attempts_never_exceed_the_account_budget(backend: Backend) {
    let limits = LoginLimits {
        account_delay_after: 10,
        account_lock_after: 10,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;

    let (granted, refused) = reserve_at_once(&guard, |_| ALICE.to_owned(), 40).await;

    assert_eq!(granted.len(), 10, "{refused:?}");
    assert!(
        refused.iter().all(|e| e.reason() == "RATE_LIMIT_ERROR"),
        "{refused:?}"
    );
    let mut locked = 0;
    for attempt in granted {
        locked += usize::from(guard.attempt_failed(attempt).await.unwrap().locked);
    }
    assert_eq!(locked, 1);
    refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    // Only the ten checked attempts counted for the IP.
    let ip_failures = guard.shared.get(&ip_failures_key(IP)).await.unwrap();
    assert_eq!(ip_failures, Some(b"10".to_vec()));
}

async fn concurrent_attempts_never_exceed_the_ip_budget(backend: Backend) {
    let limits = LoginLimits {
        ip_max_failures: 5,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;

    let (mut granted, refused) =
        reserve_at_once(&guard, |n| format!("user{n}@example.com"), 30).await;

    assert_eq!(granted.len(), 5, "{refused:?}");
    assert!(refused.iter().all(|e| e.reason() == "RATE_LIMIT_ERROR"));
    let refunded = granted.pop().unwrap();
    guard.refund(refunded).await.unwrap();
    let again = guard.reserve_attempt(BOB, Some(IP)).await.unwrap();
    refused_with(
        guard.reserve_attempt(ALICE, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
    for attempt in granted.into_iter().chain([again]) {
        guard.attempt_failed(attempt).await.unwrap();
    }
}

async fn tenth_failure_locks_the_account_for_the_lock_duration(backend: Backend) {
    let limits = default_limits();
    let (guard, _) = guard(&backend, limits.clone()).await;

    let ninth = fail_times(&guard, ALICE, 9).await;
    let tenth = fail_once(&guard, ALICE).await;

    assert!(!ninth.locked);
    assert_eq!(
        tenth,
        LoginFailure {
            locked: true,
            failures: 10
        }
    );
    let retry = refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    assert_about(retry, limits.account_lock_duration);
    allowed(&guard, BOB, None).await;
}

async fn attempts_during_a_lock_are_refused_and_do_not_extend_it(backend: Backend) {
    let (guard, cache) = guard(&backend, default_limits()).await;
    fail_times(&guard, ALICE, 10).await;
    let before = refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");

    for _ in 0..10 {
        refused_with(
            guard.reserve_attempt(ALICE, Some(IP)).await,
            "ACCOUNT_LOCKED",
        );
    }

    let after = refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    assert!(after <= before, "{after:?} extends {before:?}");
    let failures = AccountKeys::for_account(ALICE).failures;
    assert_eq!(cache.get(&failures).await.unwrap(), None);
    let ip_failures = cache.get(&ip_failures_key(IP)).await.unwrap();
    assert_eq!(ip_failures, Some(b"10".to_vec()));
}

async fn success_forgets_the_account_failures_but_not_the_ip_failures(backend: Backend) {
    let limits = LoginLimits {
        ip_max_failures: 8,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;
    fail_times(&guard, ALICE, 6).await;

    guard.record_login_success(ALICE).await.unwrap();

    let failure = fail_once(&guard, ALICE).await;
    assert_eq!(failure.failures, 1);
    fail_once(&guard, BOB).await;
    refused_with(
        guard.reserve_attempt(BOB, Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
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
    refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");

    backend.pass(Duration::from_millis(1100)).await;
    let attempt = guard
        .reserve_attempt(ALICE, None)
        .await
        .expect("the lock expired by itself");

    let failure = guard.attempt_failed(attempt).await.unwrap();
    assert_eq!(failure.failures, 1);
}

async fn ip_budget_refuses_after_max_failures_across_accounts(backend: Backend) {
    let limits = default_limits();
    let (guard, _) = guard(&backend, limits.clone()).await;

    for n in 0..limits.ip_max_failures {
        fail_once(&guard, &format!("user{n}@example.com")).await;
    }

    let retry = refused_with(
        guard.reserve_attempt("fresh@example.com", Some(IP)).await,
        "RATE_LIMIT_ERROR",
    );
    assert_about(retry, limits.ip_window);
    allowed(&guard, "fresh@example.com", Some(OTHER_IP)).await;
    allowed(&guard, "fresh@example.com", None).await;
}

async fn ipv6_clients_share_the_sign_up_budget_of_their_64(backend: Backend) {
    let limits = LoginLimits {
        signups_per_hour: 2,
        ..default_limits()
    };
    let (guard, _) = guard(&backend, limits).await;

    guard.check_signup(Some("2001:db8:1:2::1")).await.unwrap();
    guard
        .check_signup(Some("2001:db8:1:2:ffff::9"))
        .await
        .unwrap();

    let error = guard.check_signup(Some("2001:db8:1:2::abcd")).await;
    assert!(matches!(error, Err(Error::RateLimited { .. })), "{error:?}");
    guard.check_signup(Some("2001:db8:1:3::1")).await.unwrap();
}

async fn signups_beyond_the_hourly_budget_are_refused(backend: Backend) {
    let limits = default_limits();
    let (guard, _) = guard(&backend, limits.clone()).await;

    for _ in 0..limits.signups_per_hour {
        guard.check_signup(Some(IP)).await.unwrap();
    }

    let error = guard.check_signup(Some(IP)).await.expect_err("refused");
    let Error::RateLimited { retry_after } = error else {
        panic!("{error:?}");
    };
    assert_about(retry_after, SIGNUP_WINDOW);
    guard.check_signup(Some(OTHER_IP)).await.unwrap();
    guard.check_signup(None).await.unwrap();
}

async fn unlock_clears_lock_delay_and_failures(backend: Backend) {
    let (guard, _) = guard(&backend, default_limits()).await;
    fail_times(&guard, ALICE, 10).await;
    fail_times(&guard, BOB, 5).await;
    let attempt = guard.reserve_attempt(BOB, Some(IP)).await.unwrap();
    guard.attempt_failed(attempt).await.unwrap();
    refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    refused_with(guard.reserve_attempt(BOB, None).await, "RATE_LIMIT_ERROR");

    guard.unlock(ALICE).await.unwrap();
    guard.unlock(BOB).await.unwrap();

    allowed(&guard, ALICE, None).await;
    let failure = fail_once(&guard, BOB).await;
    assert_eq!(failure.failures, 1);
}

async fn cache_keys_never_hold_the_email_in_clear(backend: Backend) {
    let (guard, cache) = guard(&backend, default_limits()).await;
    fail_times(&guard, ALICE, 10).await;
    fail_times(&guard, BOB, 5).await;
    let attempt = guard.reserve_attempt(BOB, Some(IP)).await.unwrap();
    guard.attempt_failed(attempt).await.unwrap();

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
    let node_a = BruteForceGuard::new(
        backend.open(&prefix).await,
        default_limits(),
        Arc::new(SystemClock),
    );
    let node_b = BruteForceGuard::new(
        backend.open(&prefix).await,
        default_limits(),
        Arc::new(SystemClock),
    );

    fail_times(&node_a, ALICE, 4).await;
    let fifth = node_a.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    node_a.attempt_failed(fifth).await.unwrap();
    refused_with(
        node_b.reserve_attempt(ALICE, None).await,
        "RATE_LIMIT_ERROR",
    );
    wait_out_delay(&node_b, ALICE).await;

    let tenth = fail_times(&node_b, ALICE, 5).await;
    assert_eq!(
        tenth,
        LoginFailure {
            locked: true,
            failures: 10
        }
    );
    refused_with(node_a.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");

    node_a.unlock(ALICE).await.unwrap();
    allowed(&node_b, ALICE, None).await;
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
    let guard = BruteForceGuard::new(cache.clone(), limits, Arc::new(SystemClock));
    cache.set_down(true);

    fail_times(&guard, ALICE, 2).await;
    let third = fail_once(&guard, ALICE).await;
    assert_eq!(
        third,
        LoginFailure {
            locked: true,
            failures: 3
        }
    );
    refused_with(guard.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    let clone = guard.clone();
    refused_with(clone.reserve_attempt(ALICE, None).await, "ACCOUNT_LOCKED");
    allowed(&guard, BOB, None).await;
    guard.check_signup(Some(IP)).await.unwrap();
    guard.check_signup(Some(IP)).await.unwrap();
    assert!(guard.check_signup(Some(IP)).await.is_err());

    clone.unlock(ALICE).await.unwrap();
    allowed(&guard, ALICE, None).await;
}

#[tokio::test]
async fn an_attempt_is_settled_on_the_counters_that_counted_it() {
    let cache = Arc::new(SwitchableCache::new());
    let guard = BruteForceGuard::new(cache.clone(), default_limits(), Arc::new(SystemClock));
    cache.set_down(true);
    let counted_here = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    cache.set_down(false);
    let counted_shared = guard.reserve_attempt(ALICE, Some(IP)).await.unwrap();
    assert_eq!(
        counted_shared.failures, 1,
        "the shared counters start empty"
    );

    guard.refund(counted_here).await.unwrap();
    guard.attempt_failed(counted_shared).await.unwrap();

    let failures = AccountKeys::for_account(ALICE).failures;
    assert_eq!(cache.get(&failures).await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        guard.local.get(&failures).await.unwrap(),
        Some(b"0".to_vec())
    );
}

#[tokio::test]
async fn limits_are_shared_again_once_the_cache_returns() {
    let cache = Arc::new(SwitchableCache::new());
    let node_a = BruteForceGuard::new(cache.clone(), default_limits(), Arc::new(SystemClock));
    let node_b = BruteForceGuard::new(cache.clone(), default_limits(), Arc::new(SystemClock));
    cache.set_down(true);
    fail_times(&node_a, ALICE, 4).await;
    let fifth = node_a.reserve_attempt(ALICE, None).await.unwrap();
    node_a.attempt_failed(fifth).await.unwrap();
    refused_with(
        node_a.reserve_attempt(ALICE, None).await,
        "RATE_LIMIT_ERROR",
    );
    allowed(&node_b, ALICE, None).await;

    cache.set_down(false);

    allowed(&node_a, ALICE, None).await;
    fail_times(&node_b, ALICE, 4).await;
    let fifth = node_b.reserve_attempt(ALICE, None).await.unwrap();
    node_b.attempt_failed(fifth).await.unwrap();
    refused_with(
        node_a.reserve_attempt(ALICE, None).await,
        "RATE_LIMIT_ERROR",
    );
}
