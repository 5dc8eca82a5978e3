//! Write transactions, and on SQLite the queue in front of them.
//!
//! SQLite has one writer at a time. A second `BEGIN IMMEDIATE` waits in SQLite's busy
//! handler, which sleeps in growing steps (up to 100 ms) and polls, so under concurrent
//! writes (sign-ins, refreshes) most of the wait is sleep after the lock is already free:
//! idle cores, and a p99 of 100+ ms at a thousand refreshes a second. So this process's
//! writers to one SQLite file first take their turn in a FIFO queue (a tokio mutex per file)
//! and only then begin: the lock is free when they ask for it, and the next writer starts
//! the moment the previous one ends. Another process writing to the same file (a `janua
//! import` beside `janua serve`) still meets the busy handler, as before. PostgreSQL
//! writers do not queue.

use std::{
    collections::HashMap,
    ops::Deref,
    path::PathBuf,
    sync::{Arc, LazyLock, Mutex, PoisonError},
    time::Duration,
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

/// As long as SQLite's own busy timeout (`connect`): a writer that waits longer fails the
/// same way it would have without the queue.
const TURN_TIMEOUT: Duration = Duration::from_secs(5);

/// One queue per SQLite file this process writes to.
static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// A transaction that will write, holding its SQLite turn until it ends (commit, rollback
/// or drop). Derefs to the transaction, and runs statements as one.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// A savepoint inside this transaction (it writes in this transaction's turn).
    pub async fn savepoint(&self) -> Result<WriteTxn, DbErr> {
        Ok(WriteTxn {
            txn: self.txn.begin().await?,
            _turn: None,
        })
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// Starts a transaction that will write. On SQLite it waits for this process's turn, then
/// takes the write lock at once (`BEGIN IMMEDIATE`), so concurrent writers queue instead of
/// failing when a read lock cannot be upgraded; PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let turn = match db.get_database_backend() {
        DbBackend::Sqlite => Some(take_turn(db).await?),
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

async fn take_turn(db: &DatabaseConnection) -> Result<OwnedMutexGuard<()>, DbErr> {
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = QUEUES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(file)
        .or_default()
        .clone();
    tokio::time::timeout(TURN_TIMEOUT, queue.lock_owned())
        .await
        .map_err(|_| DbErr::Custom("database is locked: the write queue did not move".into()))
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}
