//! Test support shared by every suite that must pass on both cache backends: the backend
//! choice (in-process always, Redis when `REDIS_URL` is set) and a macro that runs each
//! behaviour as `in_process::<name>` and `redis::<name>`.
#![expect(clippy::expect_used, reason = "test support")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Cache, CacheError, CacheResult, InProcessCache, connect};
use crate::clock::{Clock as _, ManualClock, SystemClock};

/// Which implementation a behaviour runs against.
#[derive(Clone)]
pub(crate) enum Backend {
    /// In-process caches on one manual clock, so time passes without sleeping.
    InProcess {
        clock: Arc<ManualClock>,
    },
    Redis {
        url: String,
    },
}

impl Backend {
    /// The in-process backend, on a fresh manual clock.
    pub(crate) fn in_process() -> Self {
        Self::InProcess {
            clock: Arc::new(ManualClock::new()),
        }
    }

    /// Lets `duration` pass for the caches this backend opened: the in-process backend moves
    /// its clock; Redis expires keys on its own clock, so there the test really waits.
    pub(crate) async fn pass(&self, duration: Duration) {
        match self {
            Self::InProcess { clock } => clock.advance(duration),
            Self::Redis { .. } => tokio::time::sleep(duration).await,
        }
    }

    /// The Redis backend, or `None` (after saying so) when `REDIS_URL` is unset in a run
    /// that allows it: a pass declared Redis-free (`JANUA_TEST_CACHE=in-process`), or one not
    /// under `JANUA_TEST_REQUIRE_PEERS`. Anywhere else a missing Redis fails the test.
    pub(crate) fn redis_from_env(test_name: &str) -> Option<Self> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Redis { url }),
            _ => {
                let redis_free = std::env::var("JANUA_TEST_CACHE").is_ok_and(|c| c == "in-process");
                assert!(
                    redis_free || std::env::var("JANUA_TEST_REQUIRE_PEERS").is_err(),
                    "redis::{test_name} needs REDIS_URL under JANUA_TEST_REQUIRE_PEERS"
                );
                println!("skipped redis::{test_name}: REDIS_URL is unset");
                None
            }
        }
    }

    /// The clock this backend's in-process caches (and a guard's fallback counters) use.
    pub(crate) fn clock(&self) -> Arc<dyn crate::clock::Clock> {
        match self {
            Self::InProcess { clock } => clock.clone(),
            Self::Redis { .. } => Arc::new(SystemClock),
        }
    }

    /// "Now" as this backend's caches count it (the wall clock for Redis).
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            Self::InProcess { clock } => clock.now(),
            Self::Redis { .. } => chrono::Utc::now(),
        }
    }

    pub(crate) async fn open(&self, key_prefix: &str) -> Arc<dyn Cache> {
        match self {
            Self::InProcess { clock } => {
                Arc::new(InProcessCache::with_clock(key_prefix, clock.clone()))
            }
            Self::Redis { url } => connect(Some(url), key_prefix, Arc::new(SystemClock))
                .await
                .expect("cache connects"),
        }
    }

    /// A cache under a fresh random prefix.
    pub(crate) async fn open_isolated(&self) -> Arc<dyn Cache> {
        self.open(&random_prefix()).await
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::InProcess { .. } => "in_process",
            Self::Redis { .. } => "redis",
        }
    }
}

pub(crate) fn random_prefix() -> String {
    format!("test:{}:", uuid::Uuid::now_v7())
}

/// Runs each named behaviour as `in_process::<name>` and `redis::<name>`.
macro_rules! against_both_backends_impl {
    ($($behaviour:ident),* $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    super::$behaviour(super::Backend::in_process()).await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    if let Some(backend) = super::Backend::redis_from_env(stringify!($behaviour)) {
                        super::$behaviour(backend).await;
                    }
                }
            )*
        }
    };
}

pub(crate) use against_both_backends_impl as against_both_backends;

/// An in-process cache that can be switched off: while down, every operation fails with
/// [`CacheError::Unavailable`] as a dead Redis does, and the data survives (a network outage,
/// not a restart).
pub(crate) struct SwitchableCache {
    inner: InProcessCache,
    down: AtomicBool,
}

impl SwitchableCache {
    pub(crate) fn new() -> Self {
        Self {
            inner: InProcessCache::new("switchable:"),
            down: AtomicBool::new(false),
        }
    }

    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn up(&self) -> CacheResult<&InProcessCache> {
        if self.down.load(Ordering::SeqCst) {
            Err(CacheError::Unavailable("connection refused".to_owned()))
        } else {
            Ok(&self.inner)
        }
    }
}

#[async_trait::async_trait]
impl Cache for SwitchableCache {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        self.up()?.get(key).await
    }
    async fn get_many(&self, keys: &[&str]) -> CacheResult<Vec<Option<Vec<u8>>>> {
        self.up()?.get_many(keys).await
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()> {
        self.up()?.set(key, value, ttl).await
    }
    async fn increment(&self, key: &str, ttl: Duration) -> CacheResult<i64> {
        self.up()?.increment(key, ttl).await
    }
    async fn decrement(&self, key: &str) -> CacheResult<i64> {
        self.up()?.decrement(key).await
    }
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool> {
        self.up()?.set_if_absent(key, value, ttl).await
    }
    async fn take(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        self.up()?.take(key).await
    }
    async fn delete(&self, key: &str) -> CacheResult<bool> {
        self.up()?.delete(key).await
    }
    async fn ttl(&self, key: &str) -> CacheResult<Option<Duration>> {
        self.up()?.ttl(key).await
    }
    async fn ping(&self) -> CacheResult<()> {
        self.up()?.ping().await
    }
    fn backend(&self) -> &'static str {
        "switchable"
    }
}
