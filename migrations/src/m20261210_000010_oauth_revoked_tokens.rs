//! Revoked OAuth access tokens (RFC 7009): the `jti` of each client access token revoked
//! before its expiry, kept until that expiry (then nothing could accept it anyway).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthRevokedTokens {
    Table,
    Jti,
    ClientId,
    ExpiresAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthRevokedTokens::Table)
                    .col(string_len(OauthRevokedTokens::Jti, 64).primary_key())
                    .col(string_len(OauthRevokedTokens::ClientId, 128))
                    .col(timestamp_with_time_zone(OauthRevokedTokens::ExpiresAt))
                    .col(timestamp_with_time_zone(OauthRevokedTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        // Expired entries are swept by expiry.
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_revoked_tokens_expires_at")
                    .table(OauthRevokedTokens::Table)
                    .col(OauthRevokedTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthRevokedTokens::Table).to_owned())
            .await
    }
}
