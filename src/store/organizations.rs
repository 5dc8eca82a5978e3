//! Queries on `organizations` and their custom `roles` that capabilities other than `orgs`
//! need: reading an organization, locking it for a membership change, and finding a role by
//! name. The rest of the organization queries belong to `orgs`.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::entities::{organization, role};

pub async fn find_organization(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
}

/// Reads the organization row for update, so concurrent membership changes of one
/// organization (the last-owner rule) run one after the other. SQLite, which has no row
/// locks, serializes writers anyway.
pub async fn lock_organization(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    let mut select = organization::Entity::find_by_id(id.to_owned());
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(db).await?;
    Ok(())
}

pub async fn find_role_by_name(
    db: &impl ConnectionTrait,
    organization_id: &str,
    name: &str,
) -> Result<Option<role::Model>, DbErr> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Name.eq(name))
        .one(db)
        .await
}
