//! Imports started over the API (ImportService): one row per run an administrator created,
//! with its state, its options (never a passphrase) and who created it; the input it
//! uploaded, in ordered chunks, kept in the database so whichever node starts the run can
//! read it (deleted when the run ends); and the run's `errors.ndjson` lines, kept so they
//! can be paged. While it runs, its cursor and counts are those of its `import_runs` row
//! (same id); when it ends they are copied here (a plan has no `import_runs` row).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    Source,
    State,
    Options,
    ChunkCount,
    TotalBytes,
    RecordsTotal,
    RecordsDone,
    Counts,
    Failure,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ImportChunks {
    Table,
    JobId,
    Sequence,
    Data,
}

#[derive(DeriveIden)]
enum ImportErrors {
    Table,
    JobId,
    Position,
    File,
    Line,
    SourceId,
    Code,
    Field,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportJobs::Table)
                    .col(string_len(ImportJobs::Id, 64).primary_key())
                    .col(string_len(ImportJobs::Source, 32))
                    .col(string_len(ImportJobs::State, 16))
                    .col(json(ImportJobs::Options))
                    .col(big_integer(ImportJobs::ChunkCount))
                    .col(big_integer(ImportJobs::TotalBytes))
                    .col(big_integer_null(ImportJobs::RecordsTotal))
                    .col(big_integer_null(ImportJobs::RecordsDone))
                    .col(json_null(ImportJobs::Counts))
                    .col(text_null(ImportJobs::Failure))
                    .col(string_len(ImportJobs::CreatedBy, 128))
                    .col(timestamp_with_time_zone(ImportJobs::CreatedAt))
                    .col(timestamp_with_time_zone(ImportJobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ImportJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(ImportJobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportChunks::Table)
                    .col(string_len(ImportChunks::JobId, 64))
                    .col(big_integer(ImportChunks::Sequence))
                    .col(blob(ImportChunks::Data))
                    .primary_key(
                        Index::create()
                            .col(ImportChunks::JobId)
                            .col(ImportChunks::Sequence),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportChunks::Table, ImportChunks::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportErrors::Table)
                    .col(string_len(ImportErrors::JobId, 64))
                    .col(big_integer(ImportErrors::Position))
                    .col(text(ImportErrors::File))
                    .col(big_integer(ImportErrors::Line))
                    .col(text(ImportErrors::SourceId))
                    .col(string_len(ImportErrors::Code, 64))
                    .col(string_len(ImportErrors::Field, 64))
                    .col(text(ImportErrors::Message))
                    .primary_key(
                        Index::create()
                            .col(ImportErrors::JobId)
                            .col(ImportErrors::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportErrors::Table, ImportErrors::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportErrors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportChunks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportJobs::Table).to_owned())
            .await
    }
}
