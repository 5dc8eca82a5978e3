//! One behaviour suite run against both cache backends.
//!
//! Every behaviour runs as `in_process::<name>` always and as `redis::<name>` against the
//! Redis named by the `REDIS_URL` environment variable. When `REDIS_URL` is unset the Redis
//! variants print that they were skipped and pass; the project's test command always starts
//! a Redis and sets it, so CI runs both. Each test works under its own random key prefix, so
//! tests never see each other's keys even on a shared Redis.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should stop at the first failed step"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::SystemClock;

use super::{
    CacheError, connect,
    test_support::{Backend, against_both_backends},
};

/// Short enough to keep the suite fast, long enough to be measured reliably.
const SHORT_TTL: Duration = Duration::from_millis(150);
/// Comfortably longer than any test.
const LONG_TTL: Duration = Duration::from_secs(60);

against_both_backends!(
    set_then_get_returns_value,
    get_many_returns_values_in_order,
    value_expires_after_ttl,
    zero_ttl_is_treated_as_one_millisecond,
    increment_counts_and_expires_from_first_increment,
    increment_of_non_integer_is_an_error,
    concurrent_increments_are_atomic,
    decrement_refunds_without_going_below_zero_or_creating_keys,
    decrement_keeps_the_expiry_of_the_counter,
    concurrent_increments_and_decrements_are_atomic,
    set_if_absent_stores_once,
    take_returns_value_once,
    delete_reports_presence,
    ttl_reports_remaining_time,
    prefixes_isolate_namespaces,
    ping_answers_and_backend_is_named,
);

async fn set_then_get_returns_value(backend: Backend) {
    let cache = backend.open_isolated().await;

    assert_eq!(cache.get("greeting").await.unwrap(), None);
    cache.set("greeting", b"hello", LONG_TTL).await.unwrap();
    assert_eq!(
        cache.get("greeting").await.unwrap(),
        Some(b"hello".to_vec())
    );

    cache
        .set("greeting", b"\x00\xffbinary", LONG_TTL)
        .await
        .unwrap();
    assert_eq!(
        cache.get("greeting").await.unwrap(),
        Some(b"\x00\xffbinary".to_vec())
    );

    cache.set("empty", b"", LONG_TTL).await.unwrap();
    assert_eq!(cache.get("empty").await.unwrap(), Some(Vec::new()));
}

async fn get_many_returns_values_in_order(backend: Backend) {
    let cache = backend.open_isolated().await;
    cache.set("{slot}:a", b"first", LONG_TTL).await.unwrap();
    cache.set("{slot}:c", b"third", LONG_TTL).await.unwrap();
    cache.set("{slot}:gone", b"v", SHORT_TTL).await.unwrap();
    backend.pass(SHORT_TTL * 2).await;

    let values = cache
        .get_many(&["{slot}:a", "{slot}:b", "{slot}:c", "{slot}:gone"])
        .await
        .unwrap();

    assert_eq!(
        values,
        vec![Some(b"first".to_vec()), None, Some(b"third".to_vec()), None]
    );
    let single = cache.get_many(&["{slot}:c"]).await.unwrap();
    assert_eq!(single, vec![Some(b"third".to_vec())]);
}

async fn value_expires_after_ttl(backend: Backend) {
    let cache = backend.open_isolated().await;

    cache.set("short", b"v", SHORT_TTL).await.unwrap();
    assert_eq!(cache.get("short").await.unwrap(), Some(b"v".to_vec()));

    backend.pass(SHORT_TTL * 2).await;
    assert_eq!(cache.get("short").await.unwrap(), None);
    assert_eq!(cache.ttl("short").await.unwrap(), None);
}

async fn zero_ttl_is_treated_as_one_millisecond(backend: Backend) {
    let cache = backend.open_isolated().await;

    cache.set("zero", b"v", Duration::ZERO).await.unwrap();
    assert!(
        cache
            .set_if_absent("zero-nx", b"v", Duration::ZERO)
            .await
            .unwrap()
    );
    assert_eq!(
        cache.increment("zero-count", Duration::ZERO).await.unwrap(),
        1
    );

    backend.pass(Duration::from_millis(50)).await;
    assert_eq!(cache.get("zero").await.unwrap(), None);
    assert_eq!(cache.get("zero-nx").await.unwrap(), None);
    assert_eq!(cache.get("zero-count").await.unwrap(), None);
}

async fn increment_counts_and_expires_from_first_increment(backend: Backend) {
    let cache = backend.open_isolated().await;
    let window = Duration::from_millis(300);
    // Clock granularity between this process and the backend.
    let tolerance = Duration::from_millis(5);

    assert_eq!(cache.increment("failures", window).await.unwrap(), 1);
    let after_first = backend.now();
    backend.pass(SHORT_TTL).await;
    assert_eq!(cache.increment("failures", window).await.unwrap(), 2);
    assert_eq!(cache.get("failures").await.unwrap(), Some(b"2".to_vec()));

    // The expiry is at most `window` after the first increment returned; an extended one
    // would be a full `window` after the second.
    let before_ttl = backend.now();
    let remaining = cache.ttl("failures").await.unwrap().unwrap();
    let elapsed = (before_ttl - after_first).to_std().unwrap();
    let latest_first_expiry = window.saturating_sub(elapsed) + tolerance;
    assert!(
        remaining <= latest_first_expiry,
        "the second increment extended the expiry: {remaining:?} > {latest_first_expiry:?}"
    );

    backend.pass(window).await;
    assert_eq!(cache.increment("failures", window).await.unwrap(), 1);
}

async fn concurrent_increments_are_atomic(backend: Backend) {
    let cache = backend.open_isolated().await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.increment("hits", LONG_TTL).await })
        })
        .collect();

    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap().unwrap());
    }
    counts.sort_unstable();

    assert_eq!(counts, (1..=50).collect::<Vec<i64>>());
    assert_eq!(cache.get("hits").await.unwrap(), Some(b"50".to_vec()));
}

async fn decrement_refunds_without_going_below_zero_or_creating_keys(backend: Backend) {
    let cache = backend.open_isolated().await;

    assert_eq!(cache.decrement("attempts").await.unwrap(), 0);
    assert_eq!(cache.get("attempts").await.unwrap(), None, "no key created");
    cache.increment("attempts", LONG_TTL).await.unwrap();
    cache.increment("attempts", LONG_TTL).await.unwrap();

    assert_eq!(cache.decrement("attempts").await.unwrap(), 1);
    assert_eq!(cache.decrement("attempts").await.unwrap(), 0);
    assert_eq!(cache.decrement("attempts").await.unwrap(), 0);
    assert_eq!(cache.get("attempts").await.unwrap(), Some(b"0".to_vec()));
    assert_eq!(cache.increment("attempts", LONG_TTL).await.unwrap(), 1);

    cache.set("word", b"abc", LONG_TTL).await.unwrap();
    let outcome = cache.decrement("word").await;
    assert!(matches!(outcome, Err(CacheError::Unavailable(_))));
}

async fn decrement_keeps_the_expiry_of_the_counter(backend: Backend) {
    let cache = backend.open_isolated().await;
    cache.increment("attempts", SHORT_TTL).await.unwrap();
    cache.increment("attempts", SHORT_TTL).await.unwrap();

    assert_eq!(cache.decrement("attempts").await.unwrap(), 1);

    let remaining = cache.ttl("attempts").await.unwrap().unwrap();
    assert!(remaining <= SHORT_TTL, "{remaining:?}");
    backend.pass(SHORT_TTL * 2).await;
    assert_eq!(cache.get("attempts").await.unwrap(), None);
    assert_eq!(cache.decrement("attempts").await.unwrap(), 0);
    assert_eq!(cache.get("attempts").await.unwrap(), None);
}

async fn concurrent_increments_and_decrements_are_atomic(backend: Backend) {
    let cache = backend.open_isolated().await;
    for _ in 0..25 {
        cache.increment("slots", LONG_TTL).await.unwrap();
    }
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                if n % 2 == 0 {
                    cache.increment("slots", LONG_TTL).await
                } else {
                    cache.decrement("slots").await
                }
            })
        })
        .collect();

    for task in tasks {
        task.await.unwrap().unwrap();
    }

    assert_eq!(cache.get("slots").await.unwrap(), Some(b"25".to_vec()));
}

async fn set_if_absent_stores_once(backend: Backend) {
    let cache = backend.open_isolated().await;

    assert!(
        cache
            .set_if_absent("nonce", b"first", SHORT_TTL)
            .await
            .unwrap()
    );
    assert!(
        !cache
            .set_if_absent("nonce", b"second", SHORT_TTL)
            .await
            .unwrap()
    );
    assert_eq!(cache.get("nonce").await.unwrap(), Some(b"first".to_vec()));

    backend.pass(SHORT_TTL * 2).await;
    assert!(
        cache
            .set_if_absent("nonce", b"third", SHORT_TTL)
            .await
            .unwrap()
    );
    assert_eq!(cache.get("nonce").await.unwrap(), Some(b"third".to_vec()));
}

async fn take_returns_value_once(backend: Backend) {
    let cache = backend.open_isolated().await;

    cache.set("ceremony", b"challenge", LONG_TTL).await.unwrap();
    assert_eq!(
        cache.take("ceremony").await.unwrap(),
        Some(b"challenge".to_vec())
    );
    assert_eq!(cache.take("ceremony").await.unwrap(), None);
    assert_eq!(cache.get("ceremony").await.unwrap(), None);

    cache.set("expired", b"v", SHORT_TTL).await.unwrap();
    backend.pass(SHORT_TTL * 2).await;
    assert_eq!(cache.take("expired").await.unwrap(), None);
}

async fn delete_reports_presence(backend: Backend) {
    let cache = backend.open_isolated().await;

    assert!(!cache.delete("session").await.unwrap());
    cache.set("session", b"v", LONG_TTL).await.unwrap();
    assert!(cache.delete("session").await.unwrap());
    assert!(!cache.delete("session").await.unwrap());
    assert_eq!(cache.get("session").await.unwrap(), None);
}

async fn ttl_reports_remaining_time(backend: Backend) {
    let cache = backend.open_isolated().await;

    assert_eq!(cache.ttl("lock").await.unwrap(), None);
    cache.set("lock", b"v", LONG_TTL).await.unwrap();
    let remaining = cache.ttl("lock").await.unwrap().unwrap();
    assert!(remaining <= LONG_TTL, "{remaining:?}");
    assert!(remaining > LONG_TTL / 2, "{remaining:?}");
}

async fn prefixes_isolate_namespaces(backend: Backend) {
    let tenant_a = backend.open_isolated().await;
    let tenant_b = backend.open_isolated().await;

    tenant_a.set("shared-name", b"a", LONG_TTL).await.unwrap();
    assert_eq!(tenant_b.get("shared-name").await.unwrap(), None);
    assert!(
        tenant_b
            .set_if_absent("shared-name", b"b", LONG_TTL)
            .await
            .unwrap()
    );
    assert_eq!(tenant_b.increment("counter", LONG_TTL).await.unwrap(), 1);
    assert_eq!(tenant_a.increment("counter", LONG_TTL).await.unwrap(), 1);

    assert_eq!(
        tenant_a.get("shared-name").await.unwrap(),
        Some(b"a".to_vec())
    );
    assert_eq!(
        tenant_b.take("shared-name").await.unwrap(),
        Some(b"b".to_vec())
    );
    assert_eq!(
        tenant_a.get("shared-name").await.unwrap(),
        Some(b"a".to_vec())
    );
}

async fn ping_answers_and_backend_is_named(backend: Backend) {
    let cache = backend.open_isolated().await;

    cache.ping().await.unwrap();
    assert_eq!(cache.backend(), backend.name());
}

#[tokio::test]
async fn connect_with_invalid_url_names_redis_url() {
    let error = connect(Some("not a url"), "test:", Arc::new(SystemClock))
        .await
        .err()
        .expect("an invalid URL is refused");

    assert!(format!("{error:#}").contains("REDIS_URL"), "{error:#}");
}

#[tokio::test]
async fn connect_to_unreachable_redis_fails_quickly() {
    let started = Instant::now();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let outcome = connect(Some("redis://127.0.0.1:1"), "test:", Arc::new(SystemClock)).await;

    assert!(outcome.is_err());
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn increment_of_non_integer_is_an_error(backend: Backend) {
    let cache = backend.open_isolated().await;
    cache.set("word", b"abc", LONG_TTL).await.unwrap();

    let outcome = cache.increment("word", LONG_TTL).await;

    assert!(matches!(outcome, Err(CacheError::Unavailable(_))));
}
