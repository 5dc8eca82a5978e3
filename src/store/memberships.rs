//! Queries on `memberships` that several capabilities need: whether a user belongs to an
//! organization, joining one (invitations, SSO provisioning, CreateUser), and leaving them
//! all (account deletion). Which role a membership may hold is decided by `orgs`, not here.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, JoinType,
    QueryFilter, QuerySelect, RelationTrait, prelude::Json, sea_query::Query,
};

use super::entities::{membership, role};

pub async fn find_membership(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<Option<membership::Model>, DbErr> {
    membership::Entity::find_by_id((organization_id.to_owned(), user_id.to_owned()))
        .one(db)
        .await
}

/// A member's role name, with the organization's custom role of that name as its base role
/// and stored permissions (None for a built-in role, or a name the organization does not
/// define), in one query of the three columns.
pub async fn find_member_role(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<Option<(String, Option<(String, Json)>)>, DbErr> {
    let row: Option<(String, Option<String>, Option<Json>)> =
        membership::Entity::find_by_id((organization_id.to_owned(), user_id.to_owned()))
            .select_only()
            .column(membership::Column::Role)
            .column(role::Column::BaseRole)
            .column(role::Column::Permissions)
            .join(JoinType::LeftJoin, membership::Relation::CustomRole.def())
            .into_tuple()
            .one(db)
            .await?;
    Ok(row.map(|(name, base_role, permissions)| (name, base_role.zip(permissions))))
}

pub async fn insert_membership(
    db: &impl ConnectionTrait,
    model: membership::Model,
) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// Every membership of a user (to leave all organizations).
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await
}

/// Organizations where the user is the only member holding `role` (the owner role: what the
/// user leaving would orphan); two queries, whatever their number.
pub async fn organizations_solely_held(
    db: &impl ConnectionTrait,
    user_id: &str,
    role: &str,
) -> Result<Vec<String>, DbErr> {
    let owned: Vec<String> = memberships_of(db, user_id)
        .await?
        .into_iter()
        .filter(|m| m.role == role)
        .map(|m| m.organization_id)
        .collect();
    if owned.is_empty() {
        return Ok(owned);
    }
    let owners: Vec<(String, i64)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::OrganizationId)
        .column_as(membership::Column::UserId.count(), "owners")
        .filter(membership::Column::OrganizationId.is_in(owned))
        .filter(membership::Column::Role.eq(role))
        .group_by(membership::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(owners
        .into_iter()
        .filter(|(_, count)| *count == 1)
        .map(|(organization_id, _)| organization_id)
        .collect())
}

pub async fn delete_memberships_of(db: &impl ConnectionTrait, user_id: &str) -> Result<(), DbErr> {
    membership::Entity::delete_many()
        .filter(membership::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The subquery of member ids of an organization, for filtering users.
pub fn member_ids(organization_id: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::OrganizationId.eq(organization_id))
        .to_owned()
}
