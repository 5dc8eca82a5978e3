//! The Redis cache: a small fred connection pool shared by every Janua node.
//!
//! Accepts the URLs fred understands (`redis://`, `rediss://`, `redis-cluster://`,
//! `redis-sentinel://`, and their `valkey` spellings). Reconnects in the background with
//! exponential backoff (at most [`RECONNECT_MAX_DELAY_MS`] apart). Commands fail fast: while
//! a connection is down, a command yields [`CacheError::Unavailable`] at once instead of
//! waiting for the reconnection, so callers fall back (database, per-node counters) without
//! adding seconds to every request; a Redis that accepts a command but does not answer is cut
//! off by [`COMMAND_TIMEOUT`]. Needs Redis 6.2 or later (`GETDEL`).
//!
//! This module must never put a key, a value or the URL (it can hold a password) in an error
//! or a log line, and must never leave a key without an expiry.

use std::time::Duration;

use fred::clients::WithOptions;
use fred::prelude::{
    Builder, ClientLike, Config, Error as FredError, KeysInterface, LuaInterface, Options, Pool,
    ReconnectPolicy, SetOptions,
};
use fred::types::{Expiration, Value};

use super::{Cache, CacheError, CacheResult, ttl_millis};

/// Connections in the pool; commands are spread over them round-robin.
const POOL_SIZE: usize = 4;
/// The longest any command (including its wait for a reconnection) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a TCP connect plus TLS handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A connection silent for this long with commands in flight is dropped and reopened.
const UNRESPONSIVE_AFTER: Duration = Duration::from_secs(5);
/// Reconnection backoff: first delay, cap and growth factor, retrying forever. The cap is
/// short because commands fail fast while disconnected: every second without a connection is
/// a second of fallbacks after Redis is back.
const RECONNECT_MIN_DELAY_MS: u32 = 100;
const RECONNECT_MAX_DELAY_MS: u32 = 1_000;
const RECONNECT_BASE: u32 = 2;

/// Adds 1 and, when the key has no expiry (it was just created), sets one — in one atomic
/// step. `PTTL == -1` rather than `count == 1` so a counter can never be left without expiry.
const INCREMENT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
";

/// Takes 1 back from an existing counter, never below zero and without touching its expiry
/// (`DECR` keeps it), in one atomic step; an absent key stays absent. `DECR` errors on a
/// value that is not an integer, as `INCR` does.
const DECREMENT_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local count = redis.call('DECR', KEYS[1])
if count < 0 then
  redis.call('INCR', KEYS[1])
  return 0
end
return count
";

/// A [`Cache`] stored in Redis.
pub struct RedisCache {
    pool: Pool,
    key_prefix: String,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RedisCache")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCache {
    /// Connects a pool to the Redis at `url` and waits until every connection is up.
    ///
    /// Once connected, outages are retried in the background and surface as
    /// [`CacheError::Unavailable`].
    ///
    /// # Errors
    /// When the URL is invalid or Redis cannot be reached now.
    pub async fn connect(url: &str, key_prefix: &str) -> anyhow::Result<Self> {
        let pool = build_pool(url)?;
        // The connection task runs until the pool is dropped; its handle is not needed.
        let _connection_task = pool
            .init()
            .await
            .map_err(|error| anyhow::anyhow!("cannot connect to Redis: {error}"))?;
        Ok(Self {
            pool,
            key_prefix: key_prefix.to_owned(),
        })
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }

    /// The pool, with every command failing at once while its connection is down (see the
    /// module docs).
    fn commands(&self) -> WithOptions<Pool> {
        self.pool.with_options(&Options {
            fail_fast: true,
            ..Options::default()
        })
    }
}

fn build_pool(url: &str) -> anyhow::Result<Pool> {
    if uses_tls(url) {
        ensure_rustls_provider();
    }
    let config = Config::from_url(url)
        .map_err(|error| anyhow::anyhow!("invalid Redis URL: {}", error.details()))?;
    Builder::from_config(config)
        .with_performance_config(|performance| {
            performance.default_command_timeout = COMMAND_TIMEOUT;
        })
        .with_connection_config(|connection| {
            connection.connection_timeout = CONNECT_TIMEOUT;
            connection.internal_command_timeout = COMMAND_TIMEOUT;
            connection.unresponsive.max_timeout = Some(UNRESPONSIVE_AFTER);
            connection.unresponsive.interval = Duration::from_secs(1);
        })
        .set_policy(ReconnectPolicy::new_exponential(
            0,
            RECONNECT_MIN_DELAY_MS,
            RECONNECT_MAX_DELAY_MS,
            RECONNECT_BASE,
        ))
        .build_pool(POOL_SIZE)
        .map_err(|error| anyhow::anyhow!("cannot build the Redis pool: {error}"))
}

fn uses_tls(url: &str) -> bool {
    url.starts_with("rediss") || url.starts_with("valkeys")
}

/// fred builds its rustls config with the process-wide crypto provider, which rustls cannot
/// choose on its own when several are compiled in; install ring (the one fred is built with)
/// unless the process already chose one.
fn ensure_rustls_provider() {
    // An error only means a provider is already installed, which is what we want.
    let _already_installed = fred::rustls::crypto::ring::default_provider().install_default();
}

/// Maps a fred failure to the cache error, naming the operation but never the key.
fn unavailable(operation: &'static str) -> impl FnOnce(FredError) -> CacheError {
    move |error| CacheError::Unavailable(format!("redis {operation}: {error}"))
}

/// `ttl_millis` as the signed integer Redis expects.
fn redis_ttl_millis(ttl: Duration) -> i64 {
    // At most ten years of milliseconds, far below i64::MAX.
    i64::try_from(ttl_millis(ttl)).unwrap_or(i64::MAX)
}

/// Reads a `PTTL` reply: -2 means absent, -1 means no expiry (never written by this cache).
fn remaining_ttl(pttl: i64) -> Option<Duration> {
    match pttl {
        -2 => None,
        -1 => Some(Duration::MAX),
        millis => Some(Duration::from_millis(u64::try_from(millis).unwrap_or(0))),
    }
}

fn bytes_to_vec(value: Option<fred::bytes::Bytes>) -> Option<Vec<u8>> {
    value.map(|bytes| bytes.to_vec())
}

#[async_trait::async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        let value = self
            .commands()
            .get(self.full_key(key))
            .await
            .map_err(unavailable("GET"))?;
        Ok(bytes_to_vec(value))
    }

    async fn get_many(&self, keys: &[&str]) -> CacheResult<Vec<Option<Vec<u8>>>> {
        let full_keys: Vec<String> = keys.iter().map(|key| self.full_key(key)).collect();
        let values: Vec<Option<fred::bytes::Bytes>> = self
            .commands()
            .mget(full_keys)
            .await
            .map_err(unavailable("MGET"))?;
        Ok(values.into_iter().map(bytes_to_vec).collect())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()> {
        let expiry = Expiration::PX(redis_ttl_millis(ttl));
        self.commands()
            .set::<(), _, _>(self.full_key(key), value, Some(expiry), None, false)
            .await
            .map_err(unavailable("SET"))
    }

    async fn increment(&self, key: &str, ttl: Duration) -> CacheResult<i64> {
        self.commands()
            .eval(INCREMENT_SCRIPT, self.full_key(key), redis_ttl_millis(ttl))
            .await
            .map_err(unavailable("EVAL increment"))
    }

    async fn decrement(&self, key: &str) -> CacheResult<i64> {
        let no_args: Vec<i64> = Vec::new();
        self.commands()
            .eval(DECREMENT_SCRIPT, self.full_key(key), no_args)
            .await
            .map_err(unavailable("EVAL decrement"))
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool> {
        let expiry = Expiration::PX(redis_ttl_millis(ttl));
        let reply: Value = self
            .commands()
            .set(
                self.full_key(key),
                value,
                Some(expiry),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(unavailable("SET NX"))?;
        Ok(!reply.is_null())
    }

    async fn take(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        let value = self
            .commands()
            .getdel(self.full_key(key))
            .await
            .map_err(unavailable("GETDEL"))?;
        Ok(bytes_to_vec(value))
    }

    async fn delete(&self, key: &str) -> CacheResult<bool> {
        let removed: i64 = self
            .commands()
            .del(self.full_key(key))
            .await
            .map_err(unavailable("DEL"))?;
        Ok(removed > 0)
    }

    async fn ttl(&self, key: &str) -> CacheResult<Option<Duration>> {
        let pttl: i64 = self
            .commands()
            .pttl(self.full_key(key))
            .await
            .map_err(unavailable("PTTL"))?;
        Ok(remaining_ttl(pttl))
    }

    async fn ping(&self) -> CacheResult<()> {
        self.commands()
            .ping::<()>(None)
            .await
            .map_err(unavailable("PING"))
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
