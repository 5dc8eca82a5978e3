//! Queries on `oauth_revoked_tokens`: the `jti` of each client access token revoked before
//! its expiry, kept until then (read by `live_store`, with the rest of a token's standing).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::store::entities::oauth_revoked_token::{self, Column, Entity as RevokedToken};

/// Records `row` (a second revocation of the same token changes nothing) and sweeps the
/// entries whose tokens have expired by `now`.
pub async fn revoke(
    db: &impl ConnectionTrait,
    row: oauth_revoked_token::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    RevokedToken::delete_many()
        .filter(Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let active: oauth_revoked_token::ActiveModel = row.into();
    RevokedToken::insert(active)
        .on_conflict(OnConflict::column(Column::Jti).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}
