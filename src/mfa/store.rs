//! Queries on second factors and recovery codes that only this capability makes (those a
//! password reset needs too live in `store::second_factors`, re-exported here). Every query
//! is scoped by the user id.
//! Updates set only the columns they change (never a whole row from a model read earlier), and
//! a factor's last accepted TOTP step or passkey counter only ever moves forward, by a
//! conditional update, so a used code stays used whatever runs beside it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr,
};

use crate::store::entities::{
    mfa_factor::{self, Column, Entity as Factor},
    recovery_code,
};
pub use crate::store::second_factors::{
    FactorKind, FactorStatus, delete_recovery_codes, refresh_mfa_enabled,
};

pub async fn factors_of(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<mfa_factor::Model>, DbErr> {
    Factor::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn active_factors(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<mfa_factor::Model>, DbErr> {
    Factor::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Status.eq(FactorStatus::Active))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn find_factor(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: &str,
) -> Result<Option<mfa_factor::Model>, DbErr> {
    Factor::find_by_id(id.to_owned())
        .filter(Column::UserId.eq(user_id))
        .one(db)
        .await
}

pub async fn insert_factor(
    db: &impl ConnectionTrait,
    model: mfa_factor::Model,
) -> Result<mfa_factor::Model, DbErr> {
    model.into_active_model().reset_all().insert(db).await
}

/// Activates a pending factor, touching only its status (never its last accepted step).
pub async fn activate_factor(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Factor::update_many()
        .col_expr(Column::Status, Expr::value(FactorStatus::Active))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Renames one of the user's factors, touching only its name; false when the user has no
/// such factor.
pub async fn rename_factor(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: &str,
    name: &str,
) -> Result<bool, DbErr> {
    let renamed = Factor::update_many()
        .col_expr(Column::Name, Expr::value(name))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(renamed.rows_affected == 1)
}

pub async fn delete_factor(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Factor::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// The user's active passkeys.
pub async fn active_passkeys(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<mfa_factor::Model>, DbErr> {
    Factor::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(FactorKind::Passkey))
        .filter(Column::Status.eq(FactorStatus::Active))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// The factor holding this WebAuthn credential id (base64url), whoever's it is: credential
/// ids are unique across users, and a passwordless sign-in learns the user from it.
pub async fn find_by_credential_id(
    db: &impl ConnectionTrait,
    credential_id: &str,
) -> Result<Option<mfa_factor::Model>, DbErr> {
    Factor::find()
        .filter(Column::CredentialId.eq(credential_id))
        .one(db)
        .await
}

/// Records a verified passkey assertion: the updated credential, its signature counter (kept
/// in `last_used_step`) and the time — unless the factor already accepted this counter or a
/// later one, which means another copy of the authenticator signed in meanwhile: false then.
/// A counter of zero (authenticators that do not count, such as synced passkeys) is accepted
/// while the stored counter is zero too. Atomic, so two concurrent uses cannot both pass.
pub async fn record_passkey_use(
    db: &impl ConnectionTrait,
    factor_id: &str,
    counter: u32,
    credential: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let counter = i64::from(counter);
    let unseen = if counter > 0 {
        Column::LastUsedStep.lt(counter)
    } else {
        Column::LastUsedStep.eq(0)
    };
    let recorded = Factor::update_many()
        .col_expr(Column::Credential, Expr::value(credential))
        .col_expr(Column::LastUsedStep, Expr::value(counter))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(factor_id))
        .filter(Column::Kind.eq(FactorKind::Passkey))
        .filter(
            sea_orm::Condition::any()
                .add(Column::LastUsedStep.is_null())
                .add(unseen),
        )
        .exec(db)
        .await?;
    Ok(recorded.rows_affected == 1)
}

/// Deletes a user's pending (unconfirmed) enrolments of one kind.
pub async fn delete_pending(
    db: &impl ConnectionTrait,
    user_id: &str,
    kind: FactorKind,
) -> Result<(), DbErr> {
    Factor::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Kind.eq(kind))
        .filter(Column::Status.eq(FactorStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that a factor answered a challenge now.
pub async fn touch_factor(
    db: &impl ConnectionTrait,
    factor_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Factor::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(factor_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that a TOTP factor accepted the code of `step`, unless that step (or a later
/// one) was accepted already: false means the code is a replay.
pub async fn claim_totp_step(
    db: &impl ConnectionTrait,
    factor_id: &str,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = Factor::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(factor_id))
        .filter(
            sea_orm::Condition::any()
                .add(Column::LastUsedStep.is_null())
                .add(Column::LastUsedStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Replaces every recovery code of the user with these digests.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: &str,
    digests: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    delete_recovery_codes(db, user_id).await?;
    let rows = digests.iter().map(|digest| {
        recovery_code::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            code_hash: digest.clone(),
            created_at: now,
            used_at: None,
        }
        .into_active_model()
    });
    recovery_code::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// How many unused recovery codes the user has.
pub async fn unused_recovery_codes(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await
}

/// When the user's current recovery codes were made, and when one was last used.
pub async fn recovery_code_dates(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<(DateTime<Utc>, Option<DateTime<Utc>>)>, DbErr> {
    let codes = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let made = codes.iter().map(|c| c.created_at).min();
    let last_used = codes.iter().filter_map(|c| c.used_at).max();
    Ok(made.map(|made| (made, last_used)))
}

/// Uses up a recovery code: true once, false for an unknown or used code.
pub async fn consume_recovery_code(
    db: &impl ConnectionTrait,
    user_id: &str,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(digest))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(used.rows_affected == 1)
}
