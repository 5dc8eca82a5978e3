//! Queries on second factors (`mfa_factors`, `recovery_codes`) that more than the MFA
//! capability needs: a password reset that revokes other credentials removes the passkeys
//! and, with no factor left, the recovery codes, and keeps `users.mfa_enabled` true to the
//! factors. Every query is scoped by the user id; nothing here decides a rule.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr,
};

use super::entities::{
    mfa_factor::{Column, Entity as Factor},
    recovery_code, user,
};

pub use super::entities::mfa_factor::{FactorKind, FactorStatus};

/// Keeps `users.mfa_enabled` equal to "has an active TOTP or passkey".
pub async fn refresh_mfa_enabled(db: &impl ConnectionTrait, user_id: &str) -> Result<bool, DbErr> {
    let enabled = Factor::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Status.eq(FactorStatus::Active))
        .count(db)
        .await?
        > 0;
    user::Entity::update_many()
        .col_expr(user::Column::MfaEnabled, Expr::value(enabled))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(enabled)
}

pub async fn delete_recovery_codes(db: &impl ConnectionTrait, user_id: &str) -> Result<(), DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes every passkey of the user (a password reset that revokes other credentials);
/// how many.
pub async fn delete_passkeys(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let deleted = Factor::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(FactorKind::Passkey))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
