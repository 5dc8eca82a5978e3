//! OAuth clients: the applications an organization registers with Janua as an OpenID
//! Provider. The row's id is the public `client_id`. A confidential client's secret is kept
//! only as its SHA-256 (hex), with the digest it replaced and when that one stops working
//! (a rotation's overlap); the list-valued settings are JSON arrays of strings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    OrganizationId,
    Name,
    ClientType,
    RedirectUris,
    PostLogoutRedirectUris,
    GrantTypes,
    AllowedScopes,
    SkipConsent,
    AccessTokenAudience,
    Disabled,
    SecretHash,
    SecretHint,
    SecretRotatedAt,
    PreviousSecretHash,
    PreviousSecretExpiresAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .col(string_len(OauthClients::Id, 36).primary_key())
                    .col(string_len(OauthClients::OrganizationId, 36))
                    .col(string_len(OauthClients::Name, 200))
                    .col(string_len(OauthClients::ClientType, 16))
                    .col(json(OauthClients::RedirectUris))
                    .col(json(OauthClients::PostLogoutRedirectUris))
                    .col(json(OauthClients::GrantTypes))
                    .col(json(OauthClients::AllowedScopes))
                    .col(boolean(OauthClients::SkipConsent))
                    .col(string_len_null(OauthClients::AccessTokenAudience, 200))
                    .col(boolean(OauthClients::Disabled))
                    .col(string_len_null(OauthClients::SecretHash, 64))
                    .col(string_len_null(OauthClients::SecretHint, 8))
                    .col(timestamp_with_time_zone_null(OauthClients::SecretRotatedAt))
                    .col(string_len_null(OauthClients::PreviousSecretHash, 64))
                    .col(timestamp_with_time_zone_null(
                        OauthClients::PreviousSecretExpiresAt,
                    ))
                    .col(string_len_null(OauthClients::CreatedBy, 36))
                    .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                    .col(timestamp_with_time_zone(OauthClients::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OauthClients::Table, OauthClients::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The authorization server finds a client by its primary key (the client_id);
        // listing reads an organization's clients in id order.
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_clients_organization")
                    .table(OauthClients::Table)
                    .col(OauthClients::OrganizationId)
                    .col(OauthClients::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthClients::Table).to_owned())
            .await
    }
}
