//! Queries on linked identities that more than SSO needs: when an account's owner proves
//! the email address (password reset, verification, a mailed link), the links made before
//! that proof may be an attacker's pre-registration, so they go (SECURITY.md).

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::linked_identity::{Column, Entity as LinkedIdentity};

/// Removes the user's links made while the account's address was unproven; how many.
pub async fn delete_unproven(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let deleted = LinkedIdentity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::EmailProven.eq(false))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Removes every link of the user; how many.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let deleted = LinkedIdentity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The user's links, oldest first (provider and subject break ties).
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<super::entities::linked_identity::Model>, DbErr> {
    LinkedIdentity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Provider)
        .order_by_asc(Column::Subject)
        .all(db)
        .await
}
