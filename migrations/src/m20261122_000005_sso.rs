//! Enterprise SSO: an organization's connections to its identity providers (the OIDC client
//! secret sealed by the field cipher), the email domains routed to each, and the external
//! identities (provider, subject) linked to users by SSO or social sign-in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoConnections {
    Table,
    Id,
    OrganizationId,
    Name,
    Protocol,
    JitProvisioning,
    DefaultRole,
    Enabled,
    AttributeMapping,
    SamlIdpMetadataXml,
    SamlIdpMetadataUrl,
    SamlAllowIdpInitiated,
    SamlSignRequests,
    OidcIssuer,
    OidcClientId,
    OidcClientSecretSealed,
    OidcScopes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoDomains {
    Table,
    Domain,
    ConnectionId,
}

#[derive(DeriveIden)]
enum LinkedIdentities {
    Table,
    Id,
    UserId,
    Provider,
    Subject,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsoConnections::Table)
                    .col(string_len(SsoConnections::Id, 36).primary_key())
                    .col(string_len(SsoConnections::OrganizationId, 36))
                    .col(string_len(SsoConnections::Name, 200))
                    .col(string_len(SsoConnections::Protocol, 8))
                    .col(boolean(SsoConnections::JitProvisioning))
                    .col(string_len(SsoConnections::DefaultRole, 100))
                    .col(boolean(SsoConnections::Enabled))
                    .col(json(SsoConnections::AttributeMapping))
                    .col(text_null(SsoConnections::SamlIdpMetadataXml))
                    .col(text_null(SsoConnections::SamlIdpMetadataUrl))
                    .col(boolean(SsoConnections::SamlAllowIdpInitiated))
                    .col(boolean(SsoConnections::SamlSignRequests))
                    .col(text_null(SsoConnections::OidcIssuer))
                    .col(text_null(SsoConnections::OidcClientId))
                    .col(blob_null(SsoConnections::OidcClientSecretSealed))
                    .col(json_null(SsoConnections::OidcScopes))
                    .col(timestamp_with_time_zone(SsoConnections::CreatedAt))
                    .col(timestamp_with_time_zone(SsoConnections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoConnections::Table, SsoConnections::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sso_connections_organization")
                    .table(SsoConnections::Table)
                    .col(SsoConnections::OrganizationId)
                    .col(SsoConnections::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoDomains::Table)
                    .col(string_len(SsoDomains::Domain, 253).primary_key())
                    .col(string_len(SsoDomains::ConnectionId, 36))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoDomains::Table, SsoDomains::ConnectionId)
                            .to(SsoConnections::Table, SsoConnections::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sso_domains_connection")
                    .table(SsoDomains::Table)
                    .col(SsoDomains::ConnectionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LinkedIdentities::Table)
                    .col(string_len(LinkedIdentities::Id, 36).primary_key())
                    .col(string_len(LinkedIdentities::UserId, 36))
                    .col(string_len(LinkedIdentities::Provider, 100))
                    .col(string_len(LinkedIdentities::Subject, 512))
                    .col(timestamp_with_time_zone(LinkedIdentities::CreatedAt))
                    .col(timestamp_with_time_zone(LinkedIdentities::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LinkedIdentities::Table, LinkedIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_linked_identities_subject")
                    .table(LinkedIdentities::Table)
                    .col(LinkedIdentities::Provider)
                    .col(LinkedIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_linked_identities_user")
                    .table(LinkedIdentities::Table)
                    .col(LinkedIdentities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LinkedIdentities::Table.into_iden(),
            SsoDomains::Table.into_iden(),
            SsoConnections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
