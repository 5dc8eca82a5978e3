//! Immediate revocation: a revoked session's access tokens stop working at once, on every
//! node, whether the shared cache is up, down or freshly restarted.
//!
//! The database is the truth (`sessions.revoked_at`); the cache is the fast path. Revoking
//! writes a marker per session into the cache for as long as an access token of it could
//! still be valid, and a check reads the marker: one cache round trip, no query. That is only
//! sound while the cache holds *every* marker, which an outage breaks in two ways: a marker
//! published while the cache is down is lost, and a restarted Redis has lost them all. So:
//!
//! - Beside the markers the cache holds a completeness sentinel, read in the same round trip
//!   as the marker. Only a repair writes it, after re-publishing from the database every
//!   session revoked within a marker's lifetime. A check that finds the sentinel missing (a
//!   restarted or flushed Redis) does not trust the absence of a marker.
//! - A node that fails to publish, or whose check cannot reach the cache, stops trusting the
//!   cache: it answers from the database and repairs as soon as the cache answers again
//!   ([`Revocations::maintain`]). A node that failed to publish also withdraws the sentinel
//!   (at once when the cache still takes a delete, else first thing in its repair), so every
//!   other node turns to the database until the markers are complete again.
//! - A check that cannot trust the cache reads the session row, so a revoked session is
//!   refused while Redis is down too.
//!
//! What remains: a node that cannot reach Redis while the others can (a partition, or an
//! outage too short for them to notice) cannot tell them about the revocations it makes; they
//! learn when it reconnects and repairs, within about [`MAINTENANCE_INTERVAL`] plus its
//! reconnection delay. With Redis down for every node, or restarted, there is no gap.
//!
//! This module must never treat a missing marker as "live" unless the sentinel vouches for
//! the whole set, and never let a cache failure make a revoked session valid.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::{
    cache::Cache,
    clock::Clock,
    error::Error,
    store::{Db, sessions},
};

/// How often a node probes the cache for a lost sentinel, and retries a pending repair.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(500);
/// How long a repair vouches for the markers; when the sentinel expires the next check
/// repairs again (a cheap query), so no key lives forever.
const SENTINEL_TTL: Duration = Duration::from_secs(60 * 60);
/// Says "every revocation of the last marker lifetime is marked". Markers and sentinel
/// share one `{hash tag}` so a Redis Cluster can read both in one command.
const SENTINEL: &str = "{revocations}:complete";

fn marker(session_id: &str) -> String {
    format!("{{revocations}}:session:{session_id}")
}

pub struct Revocations {
    cache: Arc<dyn Cache>,
    db: Db,
    clock: Arc<dyn Clock>,
    /// Access-token lifetime plus clock leeway: how long a marker must live.
    marker_ttl: Duration,
    /// Counts the failures that made this node distrust the cache. The cache is trusted
    /// while `repaired` has caught up with it: a failure during a repair keeps it untrusted.
    distrusted: AtomicU64,
    repaired: AtomicU64,
    /// A marker could not be stored and the sentinel may still vouch for the set: the next
    /// repair must withdraw it first.
    lost_marker: AtomicBool,
}

impl Revocations {
    pub fn new(
        cache: Arc<dyn Cache>,
        db: Db,
        clock: Arc<dyn Clock>,
        access_token_ttl: Duration,
    ) -> Self {
        Self {
            cache,
            db,
            clock,
            marker_ttl: access_token_ttl + Duration::from_secs(120),
            distrusted: AtomicU64::new(0),
            repaired: AtomicU64::new(0),
            lost_marker: AtomicBool::new(false),
        }
    }

    /// Publishes that these sessions (already revoked in the database) are revoked.
    pub async fn publish(&self, session_ids: &[String]) {
        crate::telemetry::sessions_revoked(session_ids.len());
        for id in session_ids {
            if let Err(err) = self.cache.set(&marker(id), b"1", self.marker_ttl).await {
                tracing::warn!(error = %err, session.id = %id, "could not publish a revocation to the cache");
                self.lost_a_marker().await;
            }
        }
    }

    /// After a marker could not be stored: this node checks the database until it repairs,
    /// and, if the cache still takes a delete (a Redis refusing writes for want of memory,
    /// say), every other node does too, at once.
    async fn lost_a_marker(&self) {
        self.distrust();
        self.lost_marker.store(true, Ordering::SeqCst);
        match self.cache.delete(SENTINEL).await {
            Ok(_) => self.lost_marker.store(false, Ordering::SeqCst),
            Err(err) => tracing::debug!(error = %err, "the sentinel waits for the repair"),
        }
    }

    pub async fn is_revoked(&self, session_id: &str) -> Result<bool, Error> {
        if self.trusts_cache() {
            let marker = marker(session_id);
            match self.cache.get_many(&[marker.as_str(), SENTINEL]).await {
                Ok(found) => match found.as_slice() {
                    [Some(_), _] => return Ok(true),
                    [None, Some(_)] => return Ok(false),
                    _ => {
                        // A new, restarted or flushed cache, or another node lost a marker.
                        tracing::info!(
                            "revocation markers not vouched for; checking the database until repaired"
                        );
                        self.distrust();
                    }
                },
                Err(err) => {
                    tracing::warn!(error = %err, "revocation check falls back to the database");
                    self.distrust();
                }
            }
        }
        let session = sessions::find_session(&self.db, session_id).await?;
        Ok(session.is_none_or(|s| s.revoked_at.is_some()))
    }

    /// Runs until aborted: every [`MAINTENANCE_INTERVAL`], repairs the cache if this node
    /// distrusts it, or else checks that the sentinel is still there.
    pub async fn maintain(self: Arc<Self>) {
        loop {
            tokio::time::sleep(MAINTENANCE_INTERVAL).await;
            if self.trusts_cache() {
                self.probe().await;
            } else if let Err(err) = self.repair().await {
                tracing::debug!(
                    error = format!("{err:#}"),
                    "revocation markers not repaired yet"
                );
            }
        }
    }

    /// Distrusts the cache when it does not answer or has lost the sentinel.
    async fn probe(&self) {
        if !matches!(self.cache.get(SENTINEL).await, Ok(Some(_))) {
            self.distrust();
        }
    }

    /// Re-publishes every revocation a live access token could still carry, then vouches for
    /// the set with the sentinel; this node trusts the cache again unless it failed meanwhile.
    ///
    /// Only a node that lost a marker withdraws the sentinel first (so the others turn to the
    /// database meanwhile); a repair for any other reason leaves it, or nodes repairing at
    /// the same time would keep knocking each other's sentinel down.
    async fn repair(&self) -> anyhow::Result<()> {
        let failures = self.distrusted.load(Ordering::SeqCst);
        if self.lost_marker.swap(false, Ordering::SeqCst)
            && let Err(err) = self.cache.delete(SENTINEL).await
        {
            self.lost_marker.store(true, Ordering::SeqCst);
            return Err(err.into());
        }
        let since = self.clock.now() - self.marker_ttl;
        let revoked = sessions::sessions_revoked_since(&self.db, since).await?;
        for id in &revoked {
            self.cache.set(&marker(id), b"1", self.marker_ttl).await?;
        }
        self.cache.set(SENTINEL, b"1", SENTINEL_TTL).await?;
        self.repaired.fetch_max(failures, Ordering::SeqCst);
        tracing::info!(
            sessions = revoked.len(),
            "revocation markers repaired from the database"
        );
        Ok(())
    }

    fn trusts_cache(&self) -> bool {
        self.repaired.load(Ordering::SeqCst) >= self.distrusted.load(Ordering::SeqCst)
    }

    fn distrust(&self) {
        self.distrusted.fetch_add(1, Ordering::SeqCst);
    }
}
