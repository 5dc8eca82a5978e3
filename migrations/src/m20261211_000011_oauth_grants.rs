//! The OpenID Provider's grants: one row per authorization a user gave a client (its code
//! kept as a SHA-256 until spent), the refresh tokens issued under each grant, and the
//! consents users remembered per client.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    Id,
    ClientId,
    UserId,
    SessionId,
    Scope,
    RedirectUri,
    CodeHash,
    CodeChallenge,
    Nonce,
    AuthTime,
    Amr,
    CreatedAt,
    CodeExpiresAt,
    CodeUsedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum OauthRefreshTokens {
    Table,
    TokenHash,
    GrantId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OauthConsents {
    Table,
    UserId,
    ClientId,
    Scope,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthGrants::Table)
                    .col(string_len(OauthGrants::Id, 64).primary_key())
                    .col(string_len(OauthGrants::ClientId, 128))
                    .col(string_len(OauthGrants::UserId, 128))
                    .col(string_len(OauthGrants::SessionId, 64))
                    .col(text(OauthGrants::Scope))
                    .col(text(OauthGrants::RedirectUri))
                    .col(string_len(OauthGrants::CodeHash, 64).unique_key())
                    .col(string_len_null(OauthGrants::CodeChallenge, 128))
                    .col(text_null(OauthGrants::Nonce))
                    .col(timestamp_with_time_zone(OauthGrants::AuthTime))
                    .col(string_len(OauthGrants::Amr, 200))
                    .col(timestamp_with_time_zone(OauthGrants::CreatedAt))
                    .col(timestamp_with_time_zone(OauthGrants::CodeExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthGrants::CodeUsedAt))
                    .col(timestamp_with_time_zone_null(OauthGrants::RevokedAt))
                    .col(string_len_null(OauthGrants::RevokedReason, 64))
                    .to_owned(),
            )
            .await?;
        // Ending a browser session revokes the grants made in it.
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_grants_session_id")
                    .table(OauthGrants::Table)
                    .col(OauthGrants::SessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthRefreshTokens::Table)
                    .col(string_len(OauthRefreshTokens::TokenHash, 64).primary_key())
                    .col(string_len(OauthRefreshTokens::GrantId, 64))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthRefreshTokens::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_refresh_tokens_grant_id")
                    .table(OauthRefreshTokens::Table)
                    .col(OauthRefreshTokens::GrantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthConsents::Table)
                    .col(string_len(OauthConsents::UserId, 128))
                    .col(string_len(OauthConsents::ClientId, 128))
                    .col(text(OauthConsents::Scope))
                    .col(timestamp_with_time_zone(OauthConsents::GrantedAt))
                    .primary_key(
                        Index::create()
                            .col(OauthConsents::UserId)
                            .col(OauthConsents::ClientId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OauthConsents::Table.into_iden(),
            OauthRefreshTokens::Table.into_iden(),
            OauthGrants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
