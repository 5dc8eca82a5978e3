//! The in-process cache: a mutex-guarded map for single-node deployments and development.
//!
//! Expired entries are treated as absent at once and swept lazily, so memory stays bounded
//! by the live entries plus the writes since the last sweep. This module must never hold its
//! lock across an `.await` (there are none inside it) and must never be used when several
//! nodes share state — that is what Redis is for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Cache, CacheError, CacheResult, ttl_millis};
use crate::clock::{Clock, SystemClock};

/// A point in time as the cache's clock reads it.
type Instant = DateTime<Utc>;

/// Writes between sweeps never drop below this, so small maps are not rescanned constantly.
const MIN_WRITES_BETWEEN_SWEEPS: usize = 1024;

/// A [`Cache`] held in this process's memory; entries expire by its [`Clock`].
pub struct InProcessCache {
    key_prefix: String,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for InProcessCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessCache")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    writes_since_sweep: usize,
    kept_by_last_sweep: usize,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
}

impl Entry {
    fn new(value: Vec<u8>, now: Instant, ttl: Duration) -> Self {
        Self {
            value,
            expires_at: expiry(now, ttl),
        }
    }

    fn is_live(&self, now: Instant) -> bool {
        self.expires_at > now
    }
}

impl InProcessCache {
    /// An empty cache whose keys are namespaced by `key_prefix`, on the system clock.
    #[must_use]
    pub fn new(key_prefix: &str) -> Self {
        Self::with_clock(key_prefix, Arc::new(SystemClock))
    }

    /// An empty cache whose entries expire by `clock`.
    #[must_use]
    pub fn with_clock(key_prefix: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            key_prefix: key_prefix.to_owned(),
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }

    /// Locks the map. A poisoned lock is recovered: no code path can leave a half-updated
    /// entry behind, so the data is still consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The live entry under `key`, dropping it first if it has expired.
    fn live_entry(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self
            .entries
            .get(key)
            .is_some_and(|entry| !entry.is_live(now))
        {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    fn insert(&mut self, key: String, entry: Entry, now: Instant) {
        self.entries.insert(key, entry);
        self.note_write(now);
    }

    /// Counts a write and sweeps expired entries once the writes since the last sweep reach
    /// the number of entries that sweep kept (or the minimum): the sweep's cost stays amortised
    /// constant per write, and expired entries never outnumber live ones by more than that.
    fn note_write(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= self.kept_by_last_sweep.max(MIN_WRITES_BETWEEN_SWEEPS) {
            self.entries.retain(|_, entry| entry.is_live(now));
            self.kept_by_last_sweep = self.entries.len();
            self.writes_since_sweep = 0;
        }
    }

    /// Inserts `entry` unless a live one is there; true when inserted.
    fn insert_if_absent(&mut self, key: String, entry: Entry, now: Instant) -> bool {
        if self.live_entry(&key, now).is_some() {
            return false;
        }
        self.insert(key, entry, now);
        true
    }

    fn increment(&mut self, key: String, ttl: Duration, now: Instant) -> CacheResult<i64> {
        let Some(entry) = self.live_entry(&key, now) else {
            self.insert(key, Entry::new(b"1".to_vec(), now, ttl), now);
            return Ok(1);
        };
        let count = parse_counter(&entry.value)?
            .checked_add(1)
            .ok_or_else(|| CacheError::Unavailable("increment: counter overflow".to_owned()))?;
        entry.value = count.to_string().into_bytes();
        Ok(count)
    }

    fn decrement(&mut self, key: &str, now: Instant) -> CacheResult<i64> {
        let Some(entry) = self.live_entry(key, now) else {
            return Ok(0);
        };
        let count = parse_counter(&entry.value)?;
        if count <= 0 {
            return Ok(0);
        }
        let count = count - 1;
        entry.value = count.to_string().into_bytes();
        Ok(count)
    }
}

/// Reads a counter stored as ASCII decimal, the same representation Redis uses.
fn parse_counter(value: &[u8]) -> CacheResult<i64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| CacheError::Unavailable("counter: value is not an integer".to_owned()))
}

fn expiry(now: Instant, ttl: Duration) -> Instant {
    let ttl = TimeDelta::milliseconds(i64::try_from(ttl_millis(ttl)).unwrap_or(i64::MAX));
    // Ten years always fits; the fallback only guards the arithmetic.
    now.checked_add_signed(ttl).unwrap_or(now)
}

#[async_trait::async_trait]
impl Cache for InProcessCache {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        let now = self.clock.now();
        let key = self.full_key(key);
        Ok(self
            .lock()
            .live_entry(&key, now)
            .map(|entry| entry.value.clone()))
    }

    async fn get_many(&self, keys: &[&str]) -> CacheResult<Vec<Option<Vec<u8>>>> {
        let now = self.clock.now();
        let mut state = self.lock();
        Ok(keys
            .iter()
            .map(|key| {
                let entry = state.live_entry(&self.full_key(key), now);
                entry.map(|entry| entry.value.clone())
            })
            .collect())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()> {
        let now = self.clock.now();
        let entry = Entry::new(value.to_vec(), now, ttl);
        self.lock().insert(self.full_key(key), entry, now);
        Ok(())
    }

    async fn increment(&self, key: &str, ttl: Duration) -> CacheResult<i64> {
        let now = self.clock.now();
        self.lock().increment(self.full_key(key), ttl, now)
    }

    async fn decrement(&self, key: &str) -> CacheResult<i64> {
        let now = self.clock.now();
        self.lock().decrement(&self.full_key(key), now)
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool> {
        let now = self.clock.now();
        let entry = Entry::new(value.to_vec(), now, ttl);
        Ok(self.lock().insert_if_absent(self.full_key(key), entry, now))
    }

    async fn take(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        let now = self.clock.now();
        let removed = self.lock().entries.remove(&self.full_key(key));
        Ok(removed
            .filter(|entry| entry.is_live(now))
            .map(|entry| entry.value))
    }

    async fn delete(&self, key: &str) -> CacheResult<bool> {
        let now = self.clock.now();
        let removed = self.lock().entries.remove(&self.full_key(key));
        Ok(removed.is_some_and(|entry| entry.is_live(now)))
    }

    async fn ttl(&self, key: &str) -> CacheResult<Option<Duration>> {
        let now = self.clock.now();
        let key = self.full_key(key);
        Ok(self
            .lock()
            .live_entry(&key, now)
            .map(|entry| (entry.expires_at - now).to_std().unwrap_or_default()))
    }

    async fn ping(&self) -> CacheResult<()> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "in_process"
    }
}

#[cfg(test)]
mod sweep_tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test should stop at the first failed step"
    )]

    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn expired_entries_are_swept_as_writes_accumulate() {
        let clock = Arc::new(ManualClock::new());
        let cache = InProcessCache::with_clock("test:", clock.clone());
        for index in 0..MIN_WRITES_BETWEEN_SWEEPS {
            let key = format!("short-{index}");
            cache
                .set(&key, b"v", Duration::from_millis(1))
                .await
                .unwrap();
        }
        clock.advance(Duration::from_millis(20));

        for index in 0..MIN_WRITES_BETWEEN_SWEEPS {
            let key = format!("long-{index}");
            cache
                .set(&key, b"v", Duration::from_secs(60))
                .await
                .unwrap();
        }

        let stored = cache.lock().entries.len();
        assert!(
            stored <= MIN_WRITES_BETWEEN_SWEEPS + 1,
            "{stored} entries kept"
        );
    }
}
