//! Queries on SSO connections, their email domains and linked identities. Connection reads
//! are scoped by organization except the routing lookups (by domain, by id for the browser
//! routes), which StartSso and the IdP's answers need before anyone is signed in.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::store::entities::{linked_identity, organization_domain, sso_connection, sso_domain};

pub type Row = (sso_connection::Model, Vec<sso_domain::Model>);

pub async fn find_connection(db: &impl ConnectionTrait, id: &str) -> Result<Option<Row>, DbErr> {
    let Some(row) = sso_connection::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let domains = domains_of(db, std::slice::from_ref(&row.id)).await?;
    Ok(Some((row, domains)))
}

/// The connection a (lower-case) email domain is routed to: one that declares the domain
/// (an enabled one first), of the organization that verified it.
pub async fn find_connection_by_verified_domain(
    db: &impl ConnectionTrait,
    domain: &str,
) -> Result<Option<Row>, DbErr> {
    let Some(owner) = organization_domain::Entity::find()
        .filter(organization_domain::Column::Domain.eq(domain))
        .filter(organization_domain::Column::VerifiedAt.is_not_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let declaring = sso_domain::Entity::find()
        .filter(sso_domain::Column::Domain.eq(domain))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.connection_id);
    let row = sso_connection::Entity::find()
        .filter(sso_connection::Column::Id.is_in(declaring))
        .filter(sso_connection::Column::OrganizationId.eq(owner.organization_id))
        .order_by_desc(sso_connection::Column::Enabled)
        .order_by_asc(sso_connection::Column::Id)
        .one(db)
        .await?;
    match row {
        Some(row) => find_connection(db, &row.id).await,
        None => Ok(None),
    }
}

/// An organization's connections in id order, `offset`/`limit` for pages, each with its
/// domains (two queries in all).
pub async fn list_connections(
    db: &impl ConnectionTrait,
    organization_id: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<Row>, DbErr> {
    let rows = sso_connection::Entity::find()
        .filter(sso_connection::Column::OrganizationId.eq(organization_id))
        .order_by_asc(sso_connection::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    with_domains(db, rows).await
}

/// Up to `limit` enabled connections of an organization, with their domains.
pub async fn enabled_connections(
    db: &impl ConnectionTrait,
    organization_id: &str,
    limit: u64,
) -> Result<Vec<Row>, DbErr> {
    let rows = sso_connection::Entity::find()
        .filter(sso_connection::Column::OrganizationId.eq(organization_id))
        .filter(sso_connection::Column::Enabled.eq(true))
        .order_by_asc(sso_connection::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    with_domains(db, rows).await
}

async fn with_domains(
    db: &impl ConnectionTrait,
    rows: Vec<sso_connection::Model>,
) -> Result<Vec<Row>, DbErr> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut domains = domains_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest) = domains.drain(..).partition(|d| d.connection_id == row.id);
            domains = rest;
            (row, mine)
        })
        .collect())
}

async fn domains_of(
    db: &impl ConnectionTrait,
    connection_ids: &[String],
) -> Result<Vec<sso_domain::Model>, DbErr> {
    if connection_ids.is_empty() {
        return Ok(Vec::new());
    }
    sso_domain::Entity::find()
        .filter(sso_domain::Column::ConnectionId.is_in(connection_ids.iter().cloned()))
        .order_by_asc(sso_domain::Column::Domain)
        .all(db)
        .await
}

/// Inserts or replaces a connection row and sets its domains to `domains`.
pub async fn save_connection(
    db: &impl ConnectionTrait,
    row: sso_connection::Model,
    domains: &[String],
    exists: bool,
) -> Result<(), DbErr> {
    let id = row.id.clone();
    let active = row.into_active_model().reset_all();
    if exists {
        active.update(db).await?;
    } else {
        active.insert(db).await?;
    }
    sso_domain::Entity::delete_many()
        .filter(sso_domain::Column::ConnectionId.eq(&id))
        .exec(db)
        .await?;
    if !domains.is_empty() {
        let rows = domains.iter().map(|domain| {
            sso_domain::Model {
                domain: domain.clone(),
                connection_id: id.clone(),
            }
            .into_active_model()
        });
        sso_domain::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

pub async fn delete_connection(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    sso_domain::Entity::delete_many()
        .filter(sso_domain::Column::ConnectionId.eq(id))
        .exec(db)
        .await?;
    sso_connection::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Every connection row of an organization (for role renames and role-in-use checks).
pub async fn connection_rows_of(
    db: &impl ConnectionTrait,
    organization_id: &str,
) -> Result<Vec<sso_connection::Model>, DbErr> {
    sso_connection::Entity::find()
        .filter(sso_connection::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await
}

pub async fn find_linked_identity(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
) -> Result<Option<linked_identity::Model>, DbErr> {
    linked_identity::Entity::find()
        .filter(linked_identity::Column::Provider.eq(provider))
        .filter(linked_identity::Column::Subject.eq(subject))
        .one(db)
        .await
}

pub async fn insert_linked_identity(
    db: &impl ConnectionTrait,
    model: linked_identity::Model,
) -> Result<(), DbErr> {
    model.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn touch_linked_identity(
    db: &impl ConnectionTrait,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    linked_identity::Entity::update_many()
        .col_expr(linked_identity::Column::LastUsedAt, Expr::value(now))
        .filter(linked_identity::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
