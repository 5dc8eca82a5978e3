//! Queries on `signing_keys`. No rules here: which key signs and when one retires is the
//! keyring's decision.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, sea_query::Expr,
};

use crate::store::entities::signing_key::{self, Column, Entity as SigningKey};

/// Keys still published at `now` (never retired, or retiring later), newest first.
pub async fn published(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<signing_key::Model>, sea_orm::DbErr> {
    SigningKey::find()
        .filter(
            Condition::any()
                .add(Column::RetireAt.is_null())
                .add(Column::RetireAt.gt(now)),
        )
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Kid)
        .all(db)
        .await
}

/// Every key ever made, newest first.
pub async fn all(db: &DatabaseConnection) -> Result<Vec<signing_key::Model>, sea_orm::DbErr> {
    SigningKey::find()
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Kid)
        .all(db)
        .await
}

/// In one transaction: schedules every live signing key to retire at `retire_at`, but for
/// those of `kept_algorithms` (another algorithm still in use), and inserts `key` as the new
/// signing key of its algorithm.
pub async fn replace_signing_key(
    db: &DatabaseConnection,
    key: signing_key::Model,
    kept_algorithms: &[String],
    retire_at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let txn = crate::store::begin_write(db).await?;
    SigningKey::update_many()
        .col_expr(Column::RetireAt, Expr::value(retire_at))
        .filter(Column::RetireAt.is_null())
        .filter(Column::Algorithm.is_not_in(kept_algorithms.iter().cloned()))
        .exec(&txn)
        .await?;
    key.into_active_model().reset_all().insert(&txn).await?;
    txn.commit().await
}
