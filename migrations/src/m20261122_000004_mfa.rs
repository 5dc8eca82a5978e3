//! Multi-factor authentication: second factors (TOTP seeds sealed by the field cipher,
//! passkey credentials as webauthn-rs stores them) and recovery codes (SHA-256 only).
//! `users.mfa_enabled` mirrors "has an active TOTP or passkey" so user lists need no join.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MfaFactors {
    Table,
    Id,
    UserId,
    Kind,
    Status,
    Name,
    SecretSealed,
    CredentialId,
    Credential,
    LastUsedStep,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    MfaEnabled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaFactors::Table)
                    .col(string_len(MfaFactors::Id, 36).primary_key())
                    .col(string_len(MfaFactors::UserId, 36))
                    .col(string_len(MfaFactors::Kind, 16))
                    .col(string_len(MfaFactors::Status, 16))
                    .col(string_len(MfaFactors::Name, 100))
                    .col(blob_null(MfaFactors::SecretSealed))
                    .col(string_len_null(MfaFactors::CredentialId, 1024))
                    .col(json_null(MfaFactors::Credential))
                    .col(big_integer_null(MfaFactors::LastUsedStep))
                    .col(timestamp_with_time_zone(MfaFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaFactors::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MfaFactors::Table, MfaFactors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_factors_user")
                    .table(MfaFactors::Table)
                    .col(MfaFactors::UserId)
                    .col(MfaFactors::Kind)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_factors_credential")
                    .table(MfaFactors::Table)
                    .col(MfaFactors::CredentialId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(string_len(RecoveryCodes::Id, 36).primary_key())
                    .col(string_len(RecoveryCodes::UserId, 36))
                    .col(string_len(RecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .col(RecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::MfaEnabled).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::MfaEnabled)
                    .to_owned(),
            )
            .await?;
        for table in [
            RecoveryCodes::Table.into_iden(),
            MfaFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
