//! Queries on the import tables (`import_runs`, `import_external_ids`). Nothing here decides
//! what a record becomes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::store::entities::{import_external_id, import_run};

pub const RUNNING: &str = "running";
pub const COMPLETED: &str = "completed";

pub async fn insert_run(db: &impl ConnectionTrait, run: import_run::Model) -> Result<(), DbErr> {
    run.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// The latest run of this input that did not finish.
pub async fn unfinished_run(
    db: &impl ConnectionTrait,
    source: &str,
    digest: &str,
) -> Result<Option<import_run::Model>, DbErr> {
    import_run::Entity::find()
        .filter(import_run::Column::Source.eq(source))
        .filter(import_run::Column::InputDigest.eq(digest))
        .filter(import_run::Column::Status.eq(RUNNING))
        .order_by_desc(import_run::Column::CreatedAt)
        .one(db)
        .await
}

/// Records how far the run got (in the batch's own transaction).
pub async fn save_progress(
    db: &impl ConnectionTrait,
    run_id: &str,
    cursor: u64,
    counts: serde_json::Value,
    status: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    import_run::Entity::update_many()
        .col_expr(
            import_run::Column::Cursor,
            Expr::value(i64::try_from(cursor).unwrap_or(i64::MAX)),
        )
        .col_expr(import_run::Column::Counts, Expr::value(counts))
        .col_expr(import_run::Column::Status, Expr::value(status))
        .col_expr(import_run::Column::UpdatedAt, Expr::value(now))
        .filter(import_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_external(
    db: &impl ConnectionTrait,
    source: &str,
    external_id: &str,
) -> Result<Option<import_external_id::Model>, DbErr> {
    import_external_id::Entity::find_by_id((source.to_owned(), external_id.to_owned()))
        .one(db)
        .await
}

pub async fn insert_external(
    db: &impl ConnectionTrait,
    model: import_external_id::Model,
) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn find_run(
    db: &impl ConnectionTrait,
    run_id: &str,
) -> Result<Option<import_run::Model>, DbErr> {
    import_run::Entity::find_by_id(run_id.to_owned())
        .one(db)
        .await
}

/// The users a run linked to their source ids, in source-id order after `after`.
pub async fn linked_by_run(
    db: &impl ConnectionTrait,
    run_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<import_external_id::Model>, DbErr> {
    let mut select =
        import_external_id::Entity::find().filter(import_external_id::Column::RunId.eq(run_id));
    if let Some(after) = after {
        select = select.filter(import_external_id::Column::ExternalId.gt(after));
    }
    select
        .order_by_asc(import_external_id::Column::ExternalId)
        .limit(limit)
        .all(db)
        .await
}
