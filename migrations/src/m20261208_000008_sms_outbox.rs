//! The SMS outbox: text messages waiting for the provider, retried like mail. The recipient's
//! number and the text (which holds a sign-in code) are sealed together in `body_sealed`, so
//! no phone number or code is stored in the clear; the body is dropped once a provider accepts it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    BodySealed,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsOutbox::Table)
                    .col(string_len(SmsOutbox::Id, 36).primary_key())
                    .col(blob(SmsOutbox::BodySealed))
                    .col(string_len(SmsOutbox::Status, 16))
                    .col(integer(SmsOutbox::Attempts))
                    .col(timestamp_with_time_zone(SmsOutbox::NextAttemptAt))
                    .col(text_null(SmsOutbox::LastError))
                    .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(SmsOutbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sms_outbox_due")
                    .table(SmsOutbox::Table)
                    .col(Alias::new("status"))
                    .col(Alias::new("next_attempt_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SmsOutbox::Table).to_owned())
            .await
    }
}
