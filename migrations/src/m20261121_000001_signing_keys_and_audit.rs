//! Signing keys (private part encrypted at rest) and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Id,
    Kid,
    Algorithm,
    PublicJwk,
    PrivateKeyEncrypted,
    CreatedAt,
    RetireAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    ActorType,
    OrganizationId,
    Action,
    TargetType,
    TargetId,
    IpAddress,
    UserAgent,
    Outcome,
    Metadata,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(string_len(SigningKeys::Id, 36).primary_key())
                    .col(string_len_uniq(SigningKeys::Kid, 64))
                    .col(string_len(SigningKeys::Algorithm, 16))
                    .col(text(SigningKeys::PublicJwk))
                    .col(blob(SigningKeys::PrivateKeyEncrypted))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetireAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signing_keys_retire_at")
                    .table(SigningKeys::Table)
                    .col(SigningKeys::RetireAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(string_len(AuditEvents::Id, 36).primary_key())
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(string_len_null(AuditEvents::ActorId, 64))
                    .col(string_len(AuditEvents::ActorType, 32))
                    .col(string_len_null(AuditEvents::OrganizationId, 36))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len_null(AuditEvents::TargetType, 32))
                    .col(string_len_null(AuditEvents::TargetId, 64))
                    .col(string_len_null(AuditEvents::IpAddress, 64))
                    .col(text_null(AuditEvents::UserAgent))
                    .col(string_len(AuditEvents::Outcome, 16))
                    .col(json_null(AuditEvents::Metadata))
                    .to_owned(),
            )
            .await?;
        // Every filter of ListAuditEvents is "<column> = ? order by occurred_at, id".
        for (name, column) in [
            ("idx_audit_events_organization", AuditEvents::OrganizationId),
            ("idx_audit_events_actor", AuditEvents::ActorId),
            ("idx_audit_events_action", AuditEvents::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .col(AuditEvents::OccurredAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_occurred_at")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OccurredAt)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await
    }
}
