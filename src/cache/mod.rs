//! The shared short-lived state of Janua: rate-limit counters, single-use tokens, replay
//! guards, locks and in-flight ceremony state (`WebAuthn`, SSO), behind one small [`Cache`]
//! trait.
//!
//! Two implementations: [`InProcessCache`] (the default when `REDIS_URL` is unset, so
//! `cargo run` just works on one node) and [`RedisCache`] (a fred pool, shared by every node;
//! plain, TLS, Cluster and Sentinel URLs). Every key is namespaced by a prefix applied inside
//! the implementation, and every entry expires: there is no "store forever".
//!
//! This module must never decide what a failure means: a dead Redis is reported as
//! [`CacheError::Unavailable`] and the caller chooses to fail closed or fall back. It must
//! never log keys or values either — they can hold token material.

mod memory;
mod redis;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::clock::Clock;

pub use memory::InProcessCache;
pub use redis::RedisCache;

/// The result of every cache operation.
pub type CacheResult<T> = Result<T, CacheError>;

/// Why a cache operation failed; callers decide whether to fall back.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The backend could not answer (down, timed out, or refused the command).
    #[error("cache unavailable: {0}")]
    Unavailable(String),
}

impl CacheError {
    /// The failure as Janua's internal error, naming the store that needed the cache (for
    /// callers that fail closed without it: challenges, ceremonies, interactions).
    pub fn failed_in(self, store: &'static str) -> crate::error::Error {
        crate::error::Error::Internal(anyhow::Error::new(self).context(store))
    }
}

/// Short-lived, expiring key/value state shared by all nodes of a deployment.
///
/// Keys are plain strings without the deployment prefix; implementations add it. TTLs have
/// millisecond precision; anything shorter than 1 ms (including zero, a caller bug) is treated
/// as 1 ms.
#[async_trait::async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The stored value, or `None` when absent or expired.
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>>;
    /// The values of several keys in one round trip, in the order given (`None` for each
    /// absent or expired key). On Redis Cluster the keys must share a hash slot: give them
    /// the same `{hash tag}`.
    async fn get_many(&self, keys: &[&str]) -> CacheResult<Vec<Option<Vec<u8>>>>;
    /// Stores `value`, replacing any previous value and expiry.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()>;
    /// Atomically adds 1 and returns the new value; the expiry is set when the key is created (first increment) and not extended later.
    async fn increment(&self, key: &str, ttl: Duration) -> CacheResult<i64>;
    /// Atomically takes 1 back from a counter made by [`Cache::increment`] (a refund) and
    /// returns the new value. Never goes below zero, never creates the key (an absent or
    /// expired counter stays absent: 0) and never changes its expiry.
    async fn decrement(&self, key: &str) -> CacheResult<i64>;
    /// Stores only if absent; true when stored. (Single-use tokens, replay guards, locks.)
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool>;
    /// Removes and returns the value in one step (single-use ceremony state).
    async fn take(&self, key: &str) -> CacheResult<Option<Vec<u8>>>;
    /// Removes the key; true when it was present.
    async fn delete(&self, key: &str) -> CacheResult<bool>;
    /// Remaining time to live, None when the key is absent.
    async fn ttl(&self, key: &str) -> CacheResult<Option<Duration>>;
    /// Checks that the backend answers.
    async fn ping(&self) -> CacheResult<()>;
    /// `"in_process"` or `"redis"` (reported by `/health`).
    fn backend(&self) -> &'static str;
}

/// Opens the configured cache: in-process when `redis_url` is `None`, Redis otherwise.
///
/// `key_prefix` (e.g. `"janua:"`) namespaces every key. The in-process cache expires entries
/// by `clock`; Redis expires them on its own clock.
///
/// # Errors
/// When the Redis URL is invalid or Redis cannot be reached at start-up; the message names
/// `REDIS_URL` but never repeats it (it can hold a password).
pub async fn connect(
    redis_url: Option<&str>,
    key_prefix: &str,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Arc<dyn Cache>> {
    match redis_url {
        None => Ok(Arc::new(InProcessCache::with_clock(key_prefix, clock))),
        Some(url) => {
            let cache = RedisCache::connect(url, key_prefix)
                .await
                .context("cannot use the Redis cache configured by REDIS_URL")?;
            Ok(Arc::new(cache))
        }
    }
}

/// The longest TTL honoured (ten years); longer ones are shortened to it.
const MAX_TTL_MILLIS: u64 = 10 * 365 * 24 * 60 * 60 * 1000;

/// A TTL in whole milliseconds, at least 1 and at most [`MAX_TTL_MILLIS`].
fn ttl_millis(ttl: Duration) -> u64 {
    let millis = u64::try_from(ttl.as_millis()).unwrap_or(MAX_TTL_MILLIS);
    millis.clamp(1, MAX_TTL_MILLIS)
}
