//! Queries on `sessions`, `refresh_tokens` and `one_time_tokens`. Every state change that
//! must happen once (rotating a refresh token, consuming a one-time token, revoking) is a
//! conditional update whose affected-row count says whether this caller won.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::store::entities::{one_time_token, refresh_token, session, user};

pub async fn insert_session(db: &impl ConnectionTrait, model: session::Model) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn find_session(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<session::Model>, DbErr> {
    session::Entity::find_by_id(id.to_owned()).one(db).await
}

/// A session still live at `now`, as a condition on `sessions`: neither revoked nor
/// expired (the row rule of `Authentication::live_session`), for queries that join it.
pub fn session_is_live(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(session::Column::RevokedAt.is_null())
        .add(session::Column::ExpiresAt.gt(now))
}

/// Records use of a session and slides its expiry.
pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, Expr::value(now))
        .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
        .filter(session::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes the matching live sessions and returns their ids.
async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: Condition,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<String>, DbErr> {
    let live = Condition::all()
        .add(condition)
        .add(session::Column::RevokedAt.is_null());
    let ids: Vec<String> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(live.clone())
        .into_tuple()
        .all(db)
        .await?;
    if !ids.is_empty() {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .col_expr(session::Column::RevokedReason, Expr::value(reason))
            .filter(live.add(session::Column::Id.is_in(ids.clone())))
            .exec(db)
            .await?;
    }
    Ok(ids)
}

pub async fn revoke_session(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<String>, DbErr> {
    revoke_where(
        db,
        Condition::all().add(session::Column::Id.eq(id)),
        now,
        reason,
    )
    .await
}

/// Revokes every live session of a user, except `keep` when given.
pub async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<String>, DbErr> {
    let mut condition = Condition::all().add(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        condition = condition.add(session::Column::Id.ne(keep));
    }
    revoke_where(db, condition, now, reason).await
}

/// Revokes the live sessions scoped to an organization: all of them, or one user's.
pub async fn revoke_organization_sessions(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: Option<&str>,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<String>, DbErr> {
    let mut condition = Condition::all().add(session::Column::OrganizationId.eq(organization_id));
    if let Some(user_id) = user_id {
        condition = condition.add(session::Column::UserId.eq(user_id));
    }
    revoke_where(db, condition, now, reason).await
}

/// Ids of the sessions revoked after `since` (to re-publish revocations to the cache).
pub async fn sessions_revoked_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::RevokedAt.gt(since))
        .into_tuple()
        .all(db)
        .await
}

/// Live sessions of a user, most recently used first.
pub async fn list_live_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
    offset: u64,
    limit: u64,
) -> Result<Vec<session::Model>, DbErr> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::LastUsedAt)
        .order_by_desc(session::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// Scopes a session to an organization and drops its unused refresh tokens (used ones stay,
/// so presenting one still triggers reuse detection).
pub async fn rescope_session(
    db: &impl ConnectionTrait,
    session_id: &str,
    organization_id: &str,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::OrganizationId,
            Expr::value(organization_id),
        )
        .filter(session::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.eq(session_id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    model: refresh_token::Model,
) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// A refresh token with its session and the session's user, in one query (a refresh reads
/// all three before it writes).
pub async fn find_refresh_token_chain(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<(refresh_token::Model, session::Model, Option<user::Model>)>, DbErr> {
    let row = refresh_token::Entity::find_by_id(hash.to_owned())
        .find_also_related(session::Entity)
        .and_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(row.and_then(|(token, session, user)| Some((token, session?, user))))
}

/// Marks a refresh token used; false when another request used it first.
pub async fn mark_refresh_token_used(
    db: &impl ConnectionTrait,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_one_time_token(
    db: &impl ConnectionTrait,
    model: one_time_token::Model,
) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

fn live_one_time_token(hash: &str, purpose: &str, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(one_time_token::Column::TokenHash.eq(hash))
        .add(one_time_token::Column::Purpose.eq(purpose))
        .add(one_time_token::Column::UsedAt.is_null())
        .add(one_time_token::Column::ExpiresAt.gt(now))
}

/// A live one-time token of `purpose`, without consuming it.
pub async fn find_live_one_time_token(
    db: &impl ConnectionTrait,
    hash: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<one_time_token::Model>, DbErr> {
    one_time_token::Entity::find()
        .filter(live_one_time_token(hash, purpose, now))
        .one(db)
        .await
}

/// Consumes a live one-time token of `purpose`: returns it once, then never again.
pub async fn consume_one_time_token(
    db: &impl ConnectionTrait,
    hash: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<one_time_token::Model>, DbErr> {
    let live = live_one_time_token(hash, purpose, now);
    let Some(token) = one_time_token::Entity::find()
        .filter(live.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let claimed = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(live)
        .exec(db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(token))
}
