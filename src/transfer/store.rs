//! Queries on the API imports' tables (`import_jobs`, `import_chunks`, `import_errors`).
//! The conditional updates here are what make a chunk's order and a run's start race-free;
//! nothing here decides what is allowed.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait as _},
};

use crate::store::entities::{import_chunk, import_error, import_job, import_run};

pub const UPLOADING: &str = "uploading";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

pub async fn insert_job(db: &impl ConnectionTrait, job: import_job::Model) -> Result<(), DbErr> {
    job.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn find_job(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<import_job::Model>, DbErr> {
    import_job::Entity::find_by_id(id.to_owned()).one(db).await
}

/// The engine's row of a run (cursor and counts while it runs); none for a plan.
pub async fn find_engine_run(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<import_run::Model>, DbErr> {
    import_run::Entity::find_by_id(id.to_owned()).one(db).await
}

/// Jobs in id (creation) order after `after`.
pub async fn list_jobs(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<import_job::Model>, DbErr> {
    let mut select = import_job::Entity::find();
    if let Some(after) = after {
        select = select.filter(import_job::Column::Id.gt(after));
    }
    select
        .order_by_asc(import_job::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Counts one more chunk of `bytes` on a job still uploading whose last chunk is
/// `sequence - 1` and whose total stays within `max_total`; false when any of that fails.
pub async fn count_chunk(
    db: &impl ConnectionTrait,
    id: &str,
    sequence: i64,
    bytes: i64,
    max_total: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = import_job::Entity::update_many()
        .col_expr(
            import_job::Column::ChunkCount,
            Expr::col(import_job::Column::ChunkCount).add(1),
        )
        .col_expr(
            import_job::Column::TotalBytes,
            Expr::col(import_job::Column::TotalBytes).add(bytes),
        )
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::State.eq(UPLOADING))
        .filter(import_job::Column::ChunkCount.eq(sequence - 1))
        .filter(import_job::Column::TotalBytes.lte(max_total - bytes))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_chunk(
    db: &impl ConnectionTrait,
    chunk: import_chunk::Model,
) -> Result<(), DbErr> {
    chunk.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// A job's chunks after `after`, in order.
pub async fn chunks_after(
    db: &impl ConnectionTrait,
    id: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<import_chunk::Model>, DbErr> {
    import_chunk::Entity::find()
        .filter(import_chunk::Column::JobId.eq(id))
        .filter(import_chunk::Column::Sequence.gt(after))
        .order_by_asc(import_chunk::Column::Sequence)
        .limit(limit)
        .all(db)
        .await
}

pub async fn delete_chunks(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    import_chunk::Entity::delete_many()
        .filter(import_chunk::Column::JobId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a job that is uploading and has input to running; false otherwise.
pub async fn mark_running(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = import_job::Entity::update_many()
        .col_expr(import_job::Column::State, Expr::value(RUNNING))
        .col_expr(import_job::Column::StartedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::State.eq(UPLOADING))
        .filter(import_job::Column::ChunkCount.gt(0))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A running job's sign of life: its node is still running it.
pub async fn touch_running(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    import_job::Entity::update_many()
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::State.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// Fails a job still `running` without a sign of life since `silent_since`; false when it
/// is not (it ended, or its node touched it meanwhile).
pub async fn abandon_job(
    db: &impl ConnectionTrait,
    id: &str,
    silent_since: DateTime<Utc>,
    failure: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = import_job::Entity::update_many()
        .col_expr(import_job::Column::State, Expr::value(FAILED))
        .col_expr(import_job::Column::Failure, Expr::value(failure))
        .col_expr(import_job::Column::FinishedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::State.eq(RUNNING))
        .filter(import_job::Column::UpdatedAt.lt(silent_since))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// How many records the input holds, once the engine has read it through.
pub async fn set_records_total(
    db: &impl ConnectionTrait,
    id: &str,
    total: i64,
) -> Result<(), DbErr> {
    import_job::Entity::update_many()
        .col_expr(import_job::Column::RecordsTotal, Expr::value(total))
        .filter(import_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How a job ended.
pub struct Ending {
    pub state: &'static str,
    pub counts: Option<serde_json::Value>,
    pub records_done: Option<i64>,
    pub failure: Option<String>,
}

pub async fn finish_job(
    db: &impl ConnectionTrait,
    id: &str,
    ending: Ending,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    import_job::Entity::update_many()
        .col_expr(import_job::Column::State, Expr::value(ending.state))
        .col_expr(import_job::Column::Counts, Expr::value(ending.counts))
        .col_expr(
            import_job::Column::RecordsDone,
            Expr::value(ending.records_done),
        )
        .col_expr(import_job::Column::Failure, Expr::value(ending.failure))
        .col_expr(import_job::Column::FinishedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_errors(
    db: &impl ConnectionTrait,
    rows: Vec<import_error::Model>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    import_error::Entity::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
        .exec(db)
        .await?;
    Ok(())
}

/// A job's errors in report order after position `after`.
pub async fn errors_after(
    db: &impl ConnectionTrait,
    id: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<import_error::Model>, DbErr> {
    import_error::Entity::find()
        .filter(import_error::Column::JobId.eq(id))
        .filter(import_error::Column::Position.gt(after))
        .order_by_asc(import_error::Column::Position)
        .limit(limit)
        .all(db)
        .await
}
