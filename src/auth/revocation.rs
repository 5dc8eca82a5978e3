//! Immediate revocation: a revoked session's access tokens stop working at once, on every
//! node. Revoking writes a marker per session into the shared cache for as long as an access
//! token of it could still be valid; checking reads the marker and falls back to the
//! database when the cache cannot answer.

use std::{sync::Arc, time::Duration};

use crate::{auth::store, cache::Cache, error::Error, store::Db};

pub struct Revocations {
    cache: Arc<dyn Cache>,
    db: Db,
    /// Access-token lifetime plus clock leeway: how long a marker must live.
    marker_ttl: Duration,
}

fn marker(session_id: &str) -> String {
    format!("session:revoked:{session_id}")
}

impl Revocations {
    pub fn new(cache: Arc<dyn Cache>, db: Db, access_token_ttl: Duration) -> Self {
        Self {
            cache,
            db,
            marker_ttl: access_token_ttl + Duration::from_secs(120),
        }
    }

    /// Publishes that these sessions (already revoked in the database) are revoked.
    pub async fn publish(&self, session_ids: &[String]) {
        for id in session_ids {
            if let Err(err) = self.cache.set(&marker(id), b"1", self.marker_ttl).await {
                // The database already says revoked; checks fall back to it while the cache is down.
                tracing::warn!(error = %err, session.id = %id, "could not publish a revocation to the cache");
            }
        }
    }

    pub async fn is_revoked(&self, session_id: &str) -> Result<bool, Error> {
        match self.cache.get(&marker(session_id)).await {
            Ok(found) => Ok(found.is_some()),
            Err(err) => {
                tracing::warn!(error = %err, "revocation check falls back to the database");
                let session = store::find_session(&self.db, session_id).await?;
                Ok(session.is_none_or(|s| s.revoked_at.is_some()))
            }
        }
    }
}
