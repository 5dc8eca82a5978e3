//! Imports (`janua import`): one row per run, with its source, the digest of its input, its
//! cursor (how many records its committed batches covered, so a killed run resumes there)
//! and its counts; and the external ids each imported user came with, unique per source, so
//! importing the same file again is a no-op.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportRuns {
    Table,
    Id,
    Source,
    InputDigest,
    Status,
    Cursor,
    Counts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ImportExternalIds {
    Table,
    Source,
    ExternalId,
    UserId,
    RunId,
    CreatedAt,
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
                    .table(ImportRuns::Table)
                    .col(string_len(ImportRuns::Id, 64).primary_key())
                    .col(string_len(ImportRuns::Source, 32))
                    .col(string_len(ImportRuns::InputDigest, 64))
                    .col(string_len(ImportRuns::Status, 16))
                    .col(big_integer(ImportRuns::Cursor))
                    .col(json(ImportRuns::Counts))
                    .col(timestamp_with_time_zone(ImportRuns::CreatedAt))
                    .col(timestamp_with_time_zone(ImportRuns::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // `--resume` looks for the unfinished run of the same input.
        manager
            .create_index(
                Index::create()
                    .name("idx_import_runs_input")
                    .table(ImportRuns::Table)
                    .col(ImportRuns::Source)
                    .col(ImportRuns::InputDigest)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportExternalIds::Table)
                    .col(string_len(ImportExternalIds::Source, 32))
                    .col(string_len(ImportExternalIds::ExternalId, 255))
                    .col(string_len(ImportExternalIds::UserId, 128))
                    .col(string_len(ImportExternalIds::RunId, 64))
                    .col(timestamp_with_time_zone(ImportExternalIds::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ImportExternalIds::Source)
                            .col(ImportExternalIds::ExternalId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportExternalIds::Table, ImportExternalIds::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_import_external_ids_user")
                    .table(ImportExternalIds::Table)
                    .col(ImportExternalIds::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportExternalIds::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportRuns::Table).to_owned())
            .await
    }
}
