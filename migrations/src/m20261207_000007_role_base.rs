//! A custom role starts from a built-in one (`base_role`: viewer, member or admin) and adds
//! its own permissions, so a member given a custom role can still see their organization.
//! Roles made before this release start from `viewer`: they gain `org:read` and nothing else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Roles {
    Table,
    BaseRole,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Roles::Table)
                    .add_column(string_len(Roles::BaseRole, 20).default("viewer"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Roles::Table)
                    .drop_column(Roles::BaseRole)
                    .to_owned(),
            )
            .await
    }
}
