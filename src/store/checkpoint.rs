//! SQLite's WAL checkpoints, off the write path. By default the transaction whose commit
//! takes the WAL past 1,000 pages copies it back into the database file and syncs it, before
//! its commit returns: a refresh every ~120 stood still for 10+ ms of fsync while holding the
//! write turn (`write_txn`), so every writer queued behind it waited too (the write paths'
//! p99). The server instead checkpoints every `INTERVAL` on a pooled connection of its own,
//! PASSIVE (it never waits for, or blocks, readers and writers); commits only checkpoint
//! past `AUTOCHECKPOINT_PAGES`, a backstop for when nothing else does (the CLI commands,
//! or a checkpointer that fell behind).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

/// WAL pages after which a commit checkpoints by itself (SQLite's default is 1,000).
pub const AUTOCHECKPOINT_PAGES: u32 = 10_000;
const INTERVAL: Duration = Duration::from_millis(100);

/// Checkpoints the WAL every `INTERVAL` until aborted; returns at once for PostgreSQL.
pub async fn keep_checkpointed(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        ticks.tick().await;
        match db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            Ok(_) => failing = false,
            // Once per failure streak: the readiness probe reports a database that is gone.
            Err(err) if !failing => {
                failing = true;
                tracing::warn!("checkpointing the SQLite WAL failed: {err}");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

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
            tokio::time::sleep(INTERVAL).await;
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
