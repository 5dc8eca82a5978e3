//! Queries on the email domains organizations claim (`organization_domains`), always scoped
//! by organization except `is_verified`'s point lookup, which routing and linking need.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, sea_query::Expr,
};

use crate::store::entities::organization_domain::{Column, Entity as Domain, Model};

/// Whether `organization_id` has verified `domain`.
pub async fn is_verified(
    db: &impl ConnectionTrait,
    organization_id: &str,
    domain: &str,
) -> Result<bool, DbErr> {
    Ok(Domain::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::Domain.eq(domain))
        .filter(Column::VerifiedAt.is_not_null())
        .one(db)
        .await?
        .is_some())
}

/// Whether any organization other than `organization_id` has verified `domain`.
pub async fn verified_elsewhere(
    db: &impl ConnectionTrait,
    organization_id: &str,
    domain: &str,
) -> Result<bool, DbErr> {
    Ok(Domain::find()
        .filter(Column::OrganizationId.ne(organization_id))
        .filter(Column::Domain.eq(domain))
        .filter(Column::VerifiedAt.is_not_null())
        .one(db)
        .await?
        .is_some())
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
) -> Result<Option<Model>, DbErr> {
    Domain::find_by_id(id.to_owned())
        .filter(Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

/// Any domain by id (the operator's approval, which is not scoped to an organization).
pub async fn find_any(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>, DbErr> {
    Domain::find_by_id(id.to_owned()).one(db).await
}

pub async fn find_by_name(
    db: &impl ConnectionTrait,
    organization_id: &str,
    domain: &str,
) -> Result<Option<Model>, DbErr> {
    Domain::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::Domain.eq(domain))
        .one(db)
        .await
}

/// An organization's domains, by name (an organization claims a handful).
pub async fn list(db: &impl ConnectionTrait, organization_id: &str) -> Result<Vec<Model>, DbErr> {
    Domain::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .order_by_asc(Column::Domain)
        .all(db)
        .await
}

pub async fn insert(db: &impl ConnectionTrait, model: Model) -> Result<Model, DbErr> {
    model.into_active_model().reset_all().insert(db).await
}

/// Marks a domain verified (`dns` or `operator`); the unique index refuses a second
/// organization.
pub async fn mark_verified(
    db: &impl ConnectionTrait,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Domain::update_many()
        .col_expr(Column::VerifiedAt, Expr::value(now))
        .col_expr(Column::VerifiedBy, Expr::value(by))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Domain::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}
