//! Queries on `users`, shared by every capability that reads or changes accounts, and the
//! row a new account starts as. Lookups go through `email_normalized` (unique index) or the
//! id; lists are keyset-paged by id. Nothing here decides who may see or change a user.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    Iterable, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};

use super::{
    entities::{
        one_time_token,
        user::{self, Column, Entity as User},
    },
    memberships,
};
use crate::credentials::Email;

pub use super::entities::user::{AuthMethod, UserStatus};

const DELETED: UserStatus = UserStatus::Deleted;

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

/// `user::Model::is_active` as a condition on `users`, for queries that join it.
pub fn user_is_active() -> Expr {
    Column::Status.eq(UserStatus::Active)
}

/// Whether any user who is not deleted is a platform administrator.
pub async fn any_admin(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(User::find()
        .filter(Column::IsAdmin.eq(true))
        .filter(Column::Status.ne(DELETED))
        .count(db)
        .await?
        > 0)
}

/// A new active account for `email`, created `now`: no password, display name, metadata or
/// second factor, not verified, not an administrator. Callers set what differs.
pub fn new_account(email: &Email, now: DateTime<Utc>) -> user::Model {
    user::Model {
        id: uuid::Uuid::now_v7().to_string(),
        email: email.as_str().to_owned(),
        email_normalized: email.normalized().to_owned(),
        password_hash: None,
        display_name: String::new(),
        email_verified: false,
        is_admin: false,
        status: UserStatus::Active,
        metadata: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        mfa_enabled: false,
        auth_method: None,
        external_id: None,
        migration_invited_at: None,
        migration_completed_at: None,
    }
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

/// The owner proved the address (a mailed token came back): it is verified, and external
/// identities linked before the proof are dropped (`store::linked_identities`).
pub async fn mark_email_proven(
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
    crate::store::linked_identities::delete_unproven(db, id).await?;
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

/// Who `list` returns; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct UserQuery<'a> {
    /// Only members of this organization.
    pub organization_id: Option<&'a str>,
    /// Only users whose email, lower-cased, starts with this (already lower-cased) text.
    pub email_prefix: Option<&'a str>,
    /// Only users whose status is one of these.
    pub statuses: &'a [UserStatus],
    /// Only users with this dual sign-in method.
    pub auth_method: Option<AuthMethod>,
    /// Only imported users in this state of their move to Janua.
    pub migration: Option<MigrationState>,
}

/// Where an imported user is in its move to "Sign in with Janua".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Neither invited nor signed in through Janua yet.
    NotInvited,
    /// Invited, not yet signed in through Janua.
    Invited,
    /// Signed in through Janua.
    Completed,
}

/// Users in id order (UUIDv7: creation order) after `after`.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &UserQuery<'_>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<user::Model>, DbErr> {
    let mut select = User::find().filter(Column::Status.is_in(query.statuses.iter().copied()));
    if let Some(organization_id) = query.organization_id {
        select = select.filter(Column::Id.in_subquery(memberships::member_ids(organization_id)));
    }
    if let Some(prefix) = query.email_prefix {
        let pattern = || LikeExpr::new(format!("{}%", escape_like(prefix))).escape('\\');
        // A deleted user's lookup key is freed; their email stays in `email`.
        select = select.filter(
            Condition::any()
                .add(Column::EmailNormalized.like(pattern()))
                .add(
                    Condition::all()
                        .add(Column::Status.eq(DELETED))
                        .add(Expr::expr(Func::lower(Expr::col(Column::Email))).like(pattern())),
                ),
        );
    }
    if let Some(method) = query.auth_method {
        select = select.filter(Column::AuthMethod.eq(method));
    }
    if let Some(state) = query.migration {
        select = select.filter(Column::ExternalId.is_not_null());
        select = match state {
            MigrationState::NotInvited => select
                .filter(Column::MigrationInvitedAt.is_null())
                .filter(Column::MigrationCompletedAt.is_null()),
            MigrationState::Invited => select
                .filter(Column::MigrationInvitedAt.is_not_null())
                .filter(Column::MigrationCompletedAt.is_null()),
            MigrationState::Completed => select.filter(Column::MigrationCompletedAt.is_not_null()),
        };
    }
    if let Some(after) = after {
        select = select.filter(Column::Id.gt(after));
    }
    select.order_by_asc(Column::Id).limit(limit).all(db).await
}

/// The first sign-in of an imported user through Janua's OpenID Provider: its move is
/// complete, and `password` becomes `dual` (its password keeps working). One conditional
/// UPDATE that touches nothing for users never imported or already moved.
pub async fn complete_migration(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    User::update_many()
        .col_expr(Column::MigrationCompletedAt, Expr::value(now))
        .col_expr(
            Column::AuthMethod,
            Expr::case(
                Column::AuthMethod.eq(AuthMethod::Password),
                Expr::value(AuthMethod::Dual),
            )
            .finally(Expr::col(Column::AuthMethod))
            .into(),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::ExternalId.is_not_null())
        .filter(Column::MigrationCompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// `text` with the LIKE wildcards (and the escape character) escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Writes the columns where `after` differs from `before`, unless the user is deleted
/// (or gone); false when nothing was written for that reason.
pub async fn update_live(
    db: &impl ConnectionTrait,
    before: &user::Model,
    after: &user::Model,
) -> Result<bool, DbErr> {
    let mut update = User::update_many()
        .filter(Column::Id.eq(&before.id))
        .filter(Column::Status.ne(DELETED));
    for column in Column::iter() {
        let value = after.get(column);
        if before.get(column) != value {
            update = update.col_expr(column, Expr::value(value));
        }
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Moves a user from status `from` to `to`; false when the user was not in `from`.
pub async fn change_status(
    db: &impl ConnectionTrait,
    id: &str,
    from: UserStatus,
    to: UserStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = User::update_many()
        .col_expr(Column::Status, Expr::value(to))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a user deleted: status, time, no password, and `freed_key` as `email_normalized` so
/// the address can sign up again (`email` keeps it for the record). False when the user
/// was already deleted (or gone).
pub async fn mark_deleted(
    db: &impl ConnectionTrait,
    id: &str,
    freed_key: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = User::update_many()
        .col_expr(Column::Status, Expr::value(DELETED))
        .col_expr(Column::DeletedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::EmailNormalized, Expr::value(freed_key))
        .col_expr(Column::PasswordHash, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.ne(DELETED))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Spends every unused one-time token of a user (the links mailed to an address the user
/// no longer has); returns how many.
pub async fn spend_one_time_tokens(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(escape_like("plain@x"), "plain@x");
    }
}
