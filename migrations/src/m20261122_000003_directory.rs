//! The directory: organizations, their custom roles, memberships, invitations and API keys.
//! Built-in roles (owner, admin, member, viewer) are code, not rows; a membership, an
//! invitation and an API key name their role. Invitation tokens and API-key secrets are
//! stored only as SHA-256. Deleting an organization removes everything that belongs to it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    Slug,
    Metadata,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrganizationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    EmailNormalized,
    Role,
    Status,
    InvitedBy,
    TokenHash,
    ExpiresAt,
    CreatedAt,
    AcceptedAt,
    AcceptedBy,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    Name,
    Prefix,
    SecretHash,
    Role,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn belongs_to_organization(
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Organizations::Table, Organizations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(string_len(Organizations::Id, 36).primary_key())
                    .col(string_len(Organizations::Name, 200))
                    .col(string_len(Organizations::Slug, 63))
                    .col(json_null(Organizations::Metadata))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_organizations_slug",
            Organizations::Table,
            &["slug"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(string_len(Roles::Id, 36).primary_key())
                    .col(string_len(Roles::OrganizationId, 36))
                    .col(string_len(Roles::Name, 63))
                    .col(string_len(Roles::Description, 500))
                    .col(json(Roles::Permissions))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .col(timestamp_with_time_zone(Roles::UpdatedAt))
                    .foreign_key(&mut belongs_to_organization(
                        Roles::Table,
                        Roles::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_roles_name",
            Roles::Table,
            &["organization_id", "name"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(string_len(Memberships::OrganizationId, 36))
                    .col(string_len(Memberships::UserId, 36))
                    .col(string_len(Memberships::Role, 63))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::OrganizationId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(&mut belongs_to_organization(
                        Memberships::Table,
                        Memberships::OrganizationId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_memberships_user",
            Memberships::Table,
            &["user_id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_memberships_role",
            Memberships::Table,
            &["organization_id", "role"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(string_len(Invitations::Id, 36).primary_key())
                    .col(string_len(Invitations::OrganizationId, 36))
                    .col(string_len(Invitations::Email, 320))
                    .col(string_len(Invitations::EmailNormalized, 320))
                    .col(string_len(Invitations::Role, 63))
                    .col(string_len(Invitations::Status, 16))
                    .col(string_len_null(Invitations::InvitedBy, 36))
                    .col(string_len(Invitations::TokenHash, 64))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(string_len_null(Invitations::AcceptedBy, 36))
                    .foreign_key(&mut belongs_to_organization(
                        Invitations::Table,
                        Invitations::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_invitations_token",
            Invitations::Table,
            &["token_hash"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_invitations_organization",
            Invitations::Table,
            &["organization_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_invitations_email",
            Invitations::Table,
            &["organization_id", "email_normalized"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(string_len(ApiKeys::Id, 36).primary_key())
                    .col(string_len(ApiKeys::OrganizationId, 36))
                    .col(string_len(ApiKeys::Name, 200))
                    .col(string_len(ApiKeys::Prefix, 32))
                    .col(string_len(ApiKeys::SecretHash, 64))
                    .col(string_len(ApiKeys::Role, 63))
                    .col(string_len_null(ApiKeys::CreatedBy, 36))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut belongs_to_organization(
                        ApiKeys::Table,
                        ApiKeys::OrganizationId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_api_keys_secret",
            ApiKeys::Table,
            &["secret_hash"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_api_keys_organization",
            ApiKeys::Table,
            &["organization_id", "id"],
            false,
        )
        .await?;
        // ListUsers filters by organization and sessions are revoked per organization.
        index(
            manager,
            "idx_sessions_organization",
            Alias::new("sessions"),
            &["organization_id", "user_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sessions_organization")
                    .table(Alias::new("sessions"))
                    .to_owned(),
            )
            .await?;
        for table in [
            ApiKeys::Table.into_iden(),
            Invitations::Table.into_iden(),
            Memberships::Table.into_iden(),
            Roles::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
