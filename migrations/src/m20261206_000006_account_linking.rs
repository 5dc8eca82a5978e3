//! Proof before linking (SECURITY.md): organizations prove the email domains they claim
//! (`organization_domains`, verified by DNS TXT or an operator; a domain is verified for at
//! most one organization), a connection's declared domains stop being first-come and unique
//! across the platform, a membership remembers how it began (`joined_via`), and a linked
//! identity remembers whether the account's address was proven when it was linked
//! (`email_proven`), so proving it later (password reset, verification) can drop the others.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrganizationDomains {
    Table,
    Id,
    OrganizationId,
    Domain,
    VerificationToken,
    VerifiedAt,
    VerifiedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SsoDomains {
    Table,
    Domain,
    ConnectionId,
}

#[derive(DeriveIden)]
enum SsoConnectionDomains {
    Table,
    Domain,
    ConnectionId,
}

#[derive(DeriveIden)]
enum SsoConnections {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    JoinedVia,
}

#[derive(DeriveIden)]
enum LinkedIdentities {
    Table,
    EmailProven,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_organization_domains(manager).await?;
        rekey_sso_domains(manager).await?;
        // Existing memberships came from AddMember, invitations or JIT, which nothing
        // recorded: none of them may be linked by email until the member proves it again.
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(string_len(Memberships::JoinedVia, 20).default("added"))
                    .to_owned(),
            )
            .await?;
        // Links made before this release were made on membership alone: unproven.
        manager
            .alter_table(
                Table::alter()
                    .table(LinkedIdentities::Table)
                    .add_column(boolean(LinkedIdentities::EmailProven).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LinkedIdentities::Table)
                    .drop_column(LinkedIdentities::EmailProven)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .drop_column(Memberships::JoinedVia)
                    .to_owned(),
            )
            .await?;
        restore_sso_domains(manager).await?;
        manager
            .drop_table(Table::drop().table(OrganizationDomains::Table).to_owned())
            .await
    }
}

async fn create_organization_domains(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(OrganizationDomains::Table)
                .col(string_len(OrganizationDomains::Id, 36).primary_key())
                .col(string_len(OrganizationDomains::OrganizationId, 36))
                .col(string_len(OrganizationDomains::Domain, 253))
                .col(string_len(OrganizationDomains::VerificationToken, 64))
                .col(timestamp_with_time_zone_null(
                    OrganizationDomains::VerifiedAt,
                ))
                .col(string_len_null(OrganizationDomains::VerifiedBy, 20))
                .col(timestamp_with_time_zone(OrganizationDomains::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            OrganizationDomains::Table,
                            OrganizationDomains::OrganizationId,
                        )
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_organization_domains_organization")
                .table(OrganizationDomains::Table)
                .col(OrganizationDomains::OrganizationId)
                .col(OrganizationDomains::Domain)
                .unique()
                .to_owned(),
        )
        .await?;
    // A domain is verified for one organization at most (both engines know partial indexes).
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX idx_organization_domains_verified \
             ON organization_domains (domain) WHERE verified_at IS NOT NULL",
        )
        .await?;
    Ok(())
}

/// `sso_domains` was keyed by the domain alone (first come, platform-wide); its rows move to
/// `sso_connection_domains`, one per (connection, domain), looked up by domain. A new name
/// rather than a rename: no constraint name of the old table clashes, and no pooled SQLite
/// connection can see a half-renamed schema.
async fn rekey_sso_domains(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SsoConnectionDomains::Table)
                .col(string_len(SsoConnectionDomains::Domain, 253))
                .col(string_len(SsoConnectionDomains::ConnectionId, 36))
                .primary_key(
                    Index::create()
                        .col(SsoConnectionDomains::ConnectionId)
                        .col(SsoConnectionDomains::Domain),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SsoConnectionDomains::Table,
                            SsoConnectionDomains::ConnectionId,
                        )
                        .to(SsoConnections::Table, SsoConnections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_sso_connection_domains_domain")
                .table(SsoConnectionDomains::Table)
                .col(SsoConnectionDomains::Domain)
                .to_owned(),
        )
        .await?;
    manager
        .get_connection()
        .execute_unprepared(
            "INSERT INTO sso_connection_domains (domain, connection_id) \
             SELECT domain, connection_id FROM sso_domains",
        )
        .await?;
    manager
        .drop_table(Table::drop().table(SsoDomains::Table).to_owned())
        .await
}

/// Back to one connection per domain (the first by id, where several declared one).
async fn restore_sso_domains(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
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
        .get_connection()
        .execute_unprepared(
            "INSERT INTO sso_domains (domain, connection_id) \
             SELECT domain, MIN(connection_id) FROM sso_connection_domains GROUP BY domain",
        )
        .await?;
    manager
        .drop_table(Table::drop().table(SsoConnectionDomains::Table).to_owned())
        .await
}
