//! Queries on `oauth_grants`, `oauth_refresh_tokens` and `oauth_consents`. Every change that
//! must happen once (spending a code, rotating a refresh token, revoking a grant) is a
//! conditional update whose affected-row count says whether this caller won.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, sea_query::Expr, sea_query::OnConflict,
};

use crate::store::entities::{oauth_consent, oauth_grant, oauth_refresh_token};

pub async fn insert_grant(db: &impl ConnectionTrait, row: oauth_grant::Model) -> Result<(), DbErr> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn find_grant(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<oauth_grant::Model>, DbErr> {
    oauth_grant::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn find_grant_by_code(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<oauth_grant::Model>, DbErr> {
    oauth_grant::Entity::find()
        .filter(oauth_grant::Column::CodeHash.eq(code_hash))
        .one(db)
        .await
}

/// Spends the grant's code; false when it was spent already.
pub async fn spend_code(
    db: &impl ConnectionTrait,
    grant_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = oauth_grant::Entity::update_many()
        .col_expr(oauth_grant::Column::CodeUsedAt, Expr::value(now))
        .filter(oauth_grant::Column::Id.eq(grant_id))
        .filter(oauth_grant::Column::CodeUsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes a live grant; false when it was revoked already.
pub async fn revoke_grant(
    db: &impl ConnectionTrait,
    grant_id: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<bool, DbErr> {
    let result = oauth_grant::Entity::update_many()
        .col_expr(oauth_grant::Column::RevokedAt, Expr::value(now))
        .col_expr(oauth_grant::Column::RevokedReason, Expr::value(reason))
        .filter(oauth_grant::Column::Id.eq(grant_id))
        .filter(oauth_grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes the live grants made in a browser session; how many.
pub async fn revoke_session_grants(
    db: &impl ConnectionTrait,
    session_id: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<u64, DbErr> {
    let result = oauth_grant::Entity::update_many()
        .col_expr(oauth_grant::Column::RevokedAt, Expr::value(now))
        .col_expr(oauth_grant::Column::RevokedReason, Expr::value(reason))
        .filter(oauth_grant::Column::SessionId.eq(session_id))
        .filter(oauth_grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    row: oauth_refresh_token::Model,
) -> Result<(), DbErr> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn find_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<oauth_refresh_token::Model>, DbErr> {
    oauth_refresh_token::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await
}

/// Marks a refresh token rotated; false when it was rotated already.
pub async fn mark_refresh_token_used(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = oauth_refresh_token::Entity::update_many()
        .col_expr(oauth_refresh_token::Column::UsedAt, Expr::value(now))
        .filter(oauth_refresh_token::Column::TokenHash.eq(token_hash))
        .filter(oauth_refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_consent(
    db: &impl ConnectionTrait,
    user_id: &str,
    client_id: &str,
) -> Result<Option<oauth_consent::Model>, DbErr> {
    oauth_consent::Entity::find_by_id((user_id.to_owned(), client_id.to_owned()))
        .one(db)
        .await
}

/// Records the scopes a user consented to for a client (replacing the earlier consent).
pub async fn save_consent(
    db: &impl ConnectionTrait,
    row: oauth_consent::Model,
) -> Result<(), DbErr> {
    let active: oauth_consent::ActiveModel = row.into();
    oauth_consent::Entity::insert(active)
        .on_conflict(
            OnConflict::columns([
                oauth_consent::Column::UserId,
                oauth_consent::Column::ClientId,
            ])
            .update_columns([
                oauth_consent::Column::Scope,
                oauth_consent::Column::GrantedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
