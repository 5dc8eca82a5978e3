//! Queries on organizations, memberships, custom roles and API keys that only this
//! capability makes (those others need too live in `store::memberships` and
//! `store::organizations`, and are re-exported here). Every query that reads an
//! organization's data takes the organization id it is scoped to; none decides a rule
//! beyond the liveness its name states (`find_live_api_key`: not revoked, not expired).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Query},
};

use crate::store::entities::{
    membership, organization, role,
    user::{self, Entity as User},
};
pub use crate::store::{
    memberships::{find_member_role, find_membership, insert_membership},
    organizations::{find_organization, find_role_by_name, lock_organization},
};

pub async fn slug_taken(db: &impl ConnectionTrait, slug: &str) -> Result<bool, DbErr> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .count(db)
        .await?
        > 0)
}

pub async fn insert_organization(
    db: &impl ConnectionTrait,
    model: organization::Model,
) -> Result<organization::Model, DbErr> {
    model.into_active_model().reset_all().insert(db).await
}

pub async fn update_organization(
    db: &impl ConnectionTrait,
    model: organization::Model,
) -> Result<organization::Model, DbErr> {
    model.into_active_model().reset_all().update(db).await
}

pub async fn delete_organization(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    organization::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Organizations in id order after `after`: the user's, or all when `member` is None.
pub async fn list_organizations(
    db: &impl ConnectionTrait,
    member: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<organization::Model>, DbErr> {
    let mut select = organization::Entity::find();
    if let Some(user_id) = member {
        select = select.filter(
            organization::Column::Id.in_subquery(
                Query::select()
                    .column(membership::Column::OrganizationId)
                    .from(membership::Entity)
                    .and_where(membership::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(after) = after {
        select = select.filter(organization::Column::Id.gt(after));
    }
    select
        .order_by_asc(organization::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// A membership with its user, for showing a member.
pub async fn find_member(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<Option<(membership::Model, user::Model)>, DbErr> {
    let found = membership::Entity::find_by_id((organization_id.to_owned(), user_id.to_owned()))
        .find_also_related(User)
        .one(db)
        .await?;
    Ok(found.and_then(|(m, u)| u.map(|u| (m, u))))
}

pub async fn set_member_role(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
    role: &str,
) -> Result<(), DbErr> {
    membership::Entity::update_many()
        .col_expr(membership::Column::Role, Expr::value(role))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_membership(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<(), DbErr> {
    membership::Entity::delete_by_id((organization_id.to_owned(), user_id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Members (with their users) in user-id order after `after`.
pub async fn list_members(
    db: &impl ConnectionTrait,
    organization_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(membership::Model, user::Model)>, DbErr> {
    let mut select =
        membership::Entity::find().filter(membership::Column::OrganizationId.eq(organization_id));
    if let Some(after) = after {
        select = select.filter(membership::Column::UserId.gt(after));
    }
    let rows = select
        .find_also_related(User)
        .order_by_asc(membership::Column::UserId)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect())
}

/// How many members hold `role` in the organization.
pub async fn count_role_holders(
    db: &impl ConnectionTrait,
    organization_id: &str,
    role: &str,
) -> Result<u64, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(role))
        .count(db)
        .await
}

pub async fn find_role(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
) -> Result<Option<role::Model>, DbErr> {
    role::Entity::find_by_id(id.to_owned())
        .filter(role::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

pub async fn list_roles(
    db: &impl ConnectionTrait,
    organization_id: &str,
) -> Result<Vec<role::Model>, DbErr> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .order_by_asc(role::Column::Name)
        .all(db)
        .await
}

pub async fn count_roles(db: &impl ConnectionTrait, organization_id: &str) -> Result<u64, DbErr> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .count(db)
        .await
}

pub async fn insert_role(
    db: &impl ConnectionTrait,
    model: role::Model,
) -> Result<role::Model, DbErr> {
    model.into_active_model().reset_all().insert(db).await
}

pub async fn update_role(
    db: &impl ConnectionTrait,
    model: role::Model,
) -> Result<role::Model, DbErr> {
    model.into_active_model().reset_all().update(db).await
}

pub async fn delete_role(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    role::Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Renames a role wherever this capability names it: memberships, invitations, API keys.
/// (Other capabilities follow through `RoleReferences`.)
pub async fn rename_role_references(
    db: &impl ConnectionTrait,
    organization_id: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    use crate::store::entities::{api_key, invitation};
    membership::Entity::update_many()
        .col_expr(membership::Column::Role, Expr::value(to))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(from))
        .exec(db)
        .await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Role, Expr::value(to))
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::Role.eq(from))
        .exec(db)
        .await?;
    api_key::Entity::update_many()
        .col_expr(api_key::Column::Role, Expr::value(to))
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .filter(api_key::Column::Role.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether any membership, pending invitation or live API key of the organization holds the
/// role. (Other capabilities answer through `RoleReferences`.)
pub async fn role_in_use(
    db: &impl ConnectionTrait,
    organization_id: &str,
    name: &str,
) -> Result<bool, DbErr> {
    use crate::store::entities::{api_key, invitation};
    if count_role_holders(db, organization_id, name).await? > 0 {
        return Ok(true);
    }
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::Role.eq(name))
        .filter(invitation::Column::Status.eq(invitation::InvitationStatus::Pending))
        .count(db)
        .await?;
    let keys = api_key::Entity::find()
        .filter(
            Condition::all()
                .add(api_key::Column::OrganizationId.eq(organization_id))
                .add(api_key::Column::Role.eq(name))
                .add(api_key::Column::RevokedAt.is_null()),
        )
        .count(db)
        .await?;
    Ok(invitations + keys > 0)
}

/// An API key that is neither revoked nor expired at `now`, with its organization: what the
/// access layer needs of it.
pub struct LiveApiKey {
    pub id: String,
    pub role: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub organization: organization::Model,
}

/// The live key whose secret has SHA-256 `secret_hash`, and its organization, in one query
/// of the columns `LiveApiKey` holds.
pub async fn find_live_api_key(
    db: &impl ConnectionTrait,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LiveApiKey>, DbErr> {
    use crate::store::entities::api_key;
    // Read by position: both tables have an `id`.
    type Row = (
        String,
        String,
        Option<DateTime<Utc>>,
        String,
        String,
        String,
        Option<serde_json::Value>,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let row: Option<Row> = api_key::Entity::find()
        .select_only()
        .columns([
            api_key::Column::Id,
            api_key::Column::Role,
            api_key::Column::LastUsedAt,
        ])
        .columns([
            organization::Column::Id,
            organization::Column::Name,
            organization::Column::Slug,
            organization::Column::Metadata,
            organization::Column::CreatedAt,
            organization::Column::UpdatedAt,
        ])
        .inner_join(organization::Entity)
        .filter(api_key::Column::SecretHash.eq(secret_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map(
        |(id, role, last_used_at, org_id, name, slug, metadata, created_at, updated_at)| {
            LiveApiKey {
                id,
                role,
                last_used_at,
                organization: organization::Model {
                    id: org_id,
                    name,
                    slug,
                    metadata,
                    created_at,
                    updated_at,
                },
            }
        },
    ))
}

/// Sets a key's `last_used_at` to `now` unless another request set it after `stale`.
pub async fn record_api_key_use(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::store::entities::api_key;
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(stale)),
        )
        .exec(db)
        .await?;
    Ok(())
}
