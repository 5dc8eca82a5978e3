//! Queries on the webhook tables. Every management query is scoped by the owner's
//! organization (None: the platform-wide endpoints, `organization_id IS NULL`), so one owner
//! never reads another's endpoint or deliveries.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, sea_query::Query,
};

use crate::{
    store::entities::{
        webhook_delivery::{self, Entity as Delivery},
        webhook_endpoint::{self, Column, Entity as Endpoint},
        webhook_event::{self, Entity as Event},
    },
    webhook_events::delivery_status,
};

fn owned_by(organization_id: Option<&str>) -> Select<Endpoint> {
    match organization_id {
        Some(id) => Endpoint::find().filter(Column::OrganizationId.eq(id)),
        None => Endpoint::find().filter(Column::OrganizationId.is_null()),
    }
}

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    row: webhook_endpoint::Model,
) -> Result<webhook_endpoint::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

pub async fn save_endpoint(
    db: &impl ConnectionTrait,
    row: webhook_endpoint::Model,
) -> Result<webhook_endpoint::Model, DbErr> {
    row.into_active_model().reset_all().update(db).await
}

/// The owner's endpoint `id`; None for another owner's.
pub async fn find_endpoint(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
    id: &str,
) -> Result<Option<webhook_endpoint::Model>, DbErr> {
    owned_by(organization_id)
        .filter(Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn endpoint_by_id(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<webhook_endpoint::Model>, DbErr> {
    Endpoint::find_by_id(id.to_owned()).one(db).await
}

/// Up to `limit` of the owner's endpoints in id (creation) order, after `after`.
pub async fn list_endpoints(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    let mut select = owned_by(organization_id);
    if let Some(after) = after {
        select = select.filter(Column::Id.gt(after));
    }
    select.order_by_asc(Column::Id).limit(limit).all(db).await
}

/// Deletes an endpoint; its deliveries go with it (foreign key cascade).
pub async fn delete_endpoint(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    Delivery::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .exec(db)
        .await?;
    Endpoint::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// Up to `limit` of an endpoint's deliveries, newest first, before `before`, each with its
/// event.
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    endpoint_id: &str,
    before: Option<&str>,
    limit: u64,
) -> Result<Vec<(webhook_delivery::Model, Option<webhook_event::Model>)>, DbErr> {
    use webhook_delivery::Column as D;
    let mut select = Delivery::find().filter(D::EndpointId.eq(endpoint_id));
    if let Some(before) = before {
        select = select.filter(D::Id.lt(before));
    }
    select
        .order_by_desc(D::Id)
        .limit(limit)
        .find_also_related(Event)
        .all(db)
        .await
}

pub async fn find_delivery(
    db: &impl ConnectionTrait,
    endpoint_id: &str,
    id: &str,
) -> Result<Option<webhook_delivery::Model>, DbErr> {
    Delivery::find_by_id(id.to_owned())
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .one(db)
        .await
}

pub async fn find_event(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<webhook_event::Model>, DbErr> {
    Event::find_by_id(id.to_owned()).one(db).await
}

/// Pending deliveries, due or not: the queue's depth.
pub async fn pending_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Delivery::find()
        .filter(webhook_delivery::Column::Status.eq(delivery_status::PENDING))
        .count(db)
        .await
}

/// Deletes deliveries that ended (delivered or failed) before `cutoff`, then the events no
/// delivery refers to any more, if older than `cutoff`. Returns the deliveries deleted.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    use webhook_delivery::Column as D;
    let deleted = Delivery::delete_many()
        .filter(D::Status.is_in([delivery_status::DELIVERED, delivery_status::FAILED]))
        .filter(D::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let referenced = Query::select()
        .column(D::EventId)
        .from(webhook_delivery::Entity)
        .to_owned();
    Event::delete_many()
        .filter(webhook_event::Column::CreatedAt.lt(cutoff))
        .filter(webhook_event::Column::Id.not_in_subquery(referenced))
        .exec(db)
        .await?;
    Ok(deleted)
}

pub async fn save_delivery(
    db: &impl ConnectionTrait,
    row: webhook_delivery::Model,
) -> Result<webhook_delivery::Model, DbErr> {
    row.into_active_model().reset_all().update(db).await
}
