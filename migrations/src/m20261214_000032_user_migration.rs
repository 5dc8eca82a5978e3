//! Dual sign-in while an app moves its users to "Sign in with Janua": an imported user
//! carries how it signs in (`auth_method`: password, oauth or dual; NULL for users that were
//! never imported), the source id it was imported under (`external_id`, a copy of its
//! `import_external_ids` row shown on the user), and when the app invited it to move and
//! when it first signed in through Janua's OpenID Provider. Users imported before this
//! release get their source id and `password` when they have a password.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    AuthMethod,
    ExternalId,
    MigrationInvitedAt,
    MigrationCompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_len_null(Users::AuthMethod, 16),
            string_len_null(Users::ExternalId, 255),
            timestamp_with_time_zone_null(Users::MigrationInvitedAt),
            timestamp_with_time_zone_null(Users::MigrationCompletedAt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_users_auth_method")
                    .table(Users::Table)
                    .col(Users::AuthMethod)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET \
                   external_id = (SELECT e.external_id FROM import_external_ids e \
                                  WHERE e.user_id = users.id \
                                  ORDER BY e.created_at DESC LIMIT 1), \
                   auth_method = CASE WHEN password_hash IS NULL THEN NULL ELSE 'password' END \
                 WHERE id IN (SELECT user_id FROM import_external_ids)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_auth_method")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Users::MigrationCompletedAt,
            Users::MigrationInvitedAt,
            Users::ExternalId,
            Users::AuthMethod,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
