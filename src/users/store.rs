//! Queries on `users`. Lookups go through `email_normalized` (unique index) or the id.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, sea_query::Expr,
};

use crate::store::entities::user::{self, Column, Entity as User};

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    normalized: &str,
) -> Result<Option<user::Model>, DbErr> {
    User::find()
        .filter(Column::EmailNormalized.eq(normalized))
        .one(db)
        .await
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: &str) -> Result<Option<user::Model>, DbErr> {
    User::find_by_id(id.to_owned()).one(db).await
}

pub async fn insert(db: &impl ConnectionTrait, model: user::Model) -> Result<user::Model, DbErr> {
    model.into_active_model().reset_all().insert(db).await
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_email_verified(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(Column::EmailVerified, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn record_login(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(Column::LastLoginAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
