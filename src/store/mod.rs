//! The database: connecting (SQLite or PostgreSQL by URL), migrating, health and pool
//! statistics, and the SeaORM entities. Queries live beside the capability that owns them,
//! except those on tables several capabilities share: `accounts` (the users table),
//! `sessions` (with refresh and one-time tokens), `memberships`, `organizations` (the
//! lookups others need), `second_factors` and `linked_identities`. Nothing here decides a
//! rule.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, sqlx};

pub mod accounts;
mod checkpoint;
pub mod entities;
pub mod linked_identities;
pub mod memberships;
pub mod organizations;
mod page;
pub mod second_factors;
pub mod sessions;
mod sqlite_file;
mod write_txn;

pub use checkpoint::keep_checkpointed;
pub use page::{Cursor, Page};
pub use sea_orm::DatabaseConnection as Db;
pub use write_txn::{WriteTxn, begin_write};

/// Opens a pool. SQLite runs in WAL mode with a busy timeout so concurrent requests wait
/// for the writer instead of failing, and commits leave checkpoints to the server's
/// checkpointer (`keep_checkpointed`); a database file it creates is private (0600).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    sqlite_file::prepare(url).context("creating the SQLite database file")?;
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(if sqlite { 8 } else { 32 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .pragma(
                    "wal_autocheckpoint",
                    checkpoint::AUTOCHECKPOINT_PAGES.to_string(),
                )
        });
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to the database ({})", redact(url)))
}

/// Opens a database that must exist already, and creates nothing: the commands that only
/// read (`keys list`, `migrate status`) or undo (`migrate down`) use it, so an empty folder
/// or a mistyped path is an error instead of a new, empty database file.
pub async fn connect_existing(url: &str) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_file::missing(url) {
        anyhow::bail!(
            "there is no database at {} (DATABASE_URL); create one with `janua migrate up` or `janua serve`",
            path.display()
        );
    }
    connect(&sqlite_file::without_create(url)).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrate_with(db, Direction::Up, None)
        .await
        .context("applying migrations")
}

/// Rolls back the latest `steps` migrations (all when None).
pub async fn roll_back(db: &DatabaseConnection, steps: Option<u32>) -> anyhow::Result<()> {
    migrate_with(db, Direction::Down, steps)
        .await
        .context("rolling back migrations")
}

enum Direction {
    Up,
    Down,
}

/// On SQLite every step runs on one connection, inside one transaction: a step on another
/// pooled connection could still read the schema as it was before the previous step (a WAL
/// snapshot) and fail with "already exists". PostgreSQL runs each step in a transaction of
/// its own (sea-orm-migration's default there).
async fn migrate_with(
    db: &DatabaseConnection,
    direction: Direction,
    steps: Option<u32>,
) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return match direction {
            Direction::Up => Migrator::up(db, steps).await,
            Direction::Down => Migrator::down(db, steps).await,
        };
    }
    let txn = begin_write(db).await?;
    match direction {
        Direction::Up => Migrator::up(&*txn, steps).await?,
        Direction::Down => Migrator::down(&*txn, steps).await?,
    }
    txn.commit().await
}

/// True when the database answers.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Connections in the pool: (open, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    /// `.cargo/config.toml` builds SQLite with the query planner stability guarantee;
    /// without it every `.one()` query is re-prepared on each run (see that file).
    #[tokio::test]
    async fn sqlite_is_built_with_the_query_planner_stability_guarantee() {
        let db = super::connect("sqlite::memory:").await.unwrap();
        let options = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA compile_options",
            ))
            .await
            .unwrap();
        let options: Vec<String> = options
            .iter()
            .map(|row| row.try_get_by_index(0).unwrap())
            .collect();
        assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    }
}
