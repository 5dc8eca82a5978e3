//! SQLite's WAL checkpoints, off the write path. By default the transaction whose commit
//! takes the WAL past 1,000 pages copies it back into the database file and syncs it before
//! its commit returns: a refresh every ~120 stood still for 10+ ms of fsync while holding the
//! write turn (`write_txn`), and every writer queued behind it waited too (the write paths'
//! p95 and p99). The server instead checkpoints PASSIVE (never waiting for, or blocking,
//! readers and writers) on a pooled connection of its own: every `BUSY_INTERVAL` while the
//! WAL grows, so each checkpoint is small (a sync still makes a concurrent commit wait for
//! the pages it shares with it: at 100 ms a paced refresh's p99 was 11 ms, at 10 ms 5.5 ms,
//! against 12.6 ms for the commit's own checkpoints), backing off to `IDLE_INTERVAL` while
//! nothing is written. Commits only checkpoint past `AUTOCHECKPOINT_PAGES`, a backstop for
//! when nothing else does (the CLI commands, or a checkpointer that fell behind).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// WAL pages after which a commit checkpoints by itself (SQLite's default is 1,000).
pub const AUTOCHECKPOINT_PAGES: u32 = 10_000;
const BUSY_INTERVAL: Duration = Duration::from_millis(10);
const IDLE_INTERVAL: Duration = Duration::from_secs(1);

/// Checkpoints the WAL until aborted; returns at once for PostgreSQL.
pub async fn keep_checkpointed(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut wait = BUSY_INTERVAL;
    let mut last = None;
    let mut failing = false;
    loop {
        tokio::time::sleep(wait).await;
        match checkpoint(&db).await {
            Ok(frames) => {
                failing = false;
                // The same WAL frames as last time: nothing was written since.
                wait = if last == Some(frames) {
                    (wait * 2).min(IDLE_INTERVAL)
                } else {
                    BUSY_INTERVAL
                };
                last = Some(frames);
            }
            // Once per failure streak: the readiness probe reports a database that is gone.
            Err(err) => {
                if !failing {
                    tracing::warn!("checkpointing the SQLite WAL failed: {err}");
                }
                failing = true;
                wait = IDLE_INTERVAL;
            }
        }
    }
}

/// One PASSIVE checkpoint: the frames in the WAL, and how many of them are now in the
/// database file.
async fn checkpoint(db: &DatabaseConnection) -> Result<(i64, i64), DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint answered no row".into()))?;
    Ok((row.try_get_by_index(1)?, row.try_get_by_index(2)?))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    /// The rows of `notes`; none while the table itself has not reached the file.
    async fn count(db: &DatabaseConnection) -> i64 {
        let rows = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) FROM notes",
            ))
            .await;
        match rows {
            Ok(Some(row)) => row.try_get_by_index(0).unwrap(),
            _ => 0,
        }
    }

    /// Rows too few for a commit to checkpoint reach the database file itself: a copy of
    /// that file alone (no WAL) holds them once the checkpointer has run.
    #[tokio::test]
    async fn the_checkpointer_moves_commits_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("janua.db");
        let db = crate::store::connect(&format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE notes (body TEXT)")
            .await
            .unwrap();
        let checkpoints = tokio::spawn(keep_checkpointed(db.clone()));
        for n in 0..20 {
            let txn = crate::store::begin_write(&db).await.unwrap();
            txn.execute_unprepared(&format!("INSERT INTO notes VALUES ('note {n}')"))
                .await
                .unwrap();
            txn.commit().await.unwrap();
        }
        let copy = dir.path().join("copy.db");
        let mut copied = 0;
        for _ in 0..50 {
            tokio::time::sleep(BUSY_INTERVAL * 10).await;
            std::fs::copy(&file, &copy).unwrap();
            let alone = crate::store::connect_existing(&format!("sqlite://{}", copy.display()))
                .await
                .unwrap();
            copied = count(&alone).await;
            alone.close().await.unwrap();
            std::fs::remove_file(&copy).unwrap();
            if copied == 20 {
                break;
            }
        }
        checkpoints.abort();
        assert_eq!(copied, 20, "rows in the database file without its WAL");
    }
}
