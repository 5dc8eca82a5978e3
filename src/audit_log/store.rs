//! Queries on `audit_events`: newest first, keyset-paged by (occurred_at, id). Nothing here
//! decides who may read which events.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::store::entities::audit_event::{self, Column, Entity as AuditEvent};

/// Which events `list` returns; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct EventQuery<'a> {
    pub organization_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub action: Option<&'a str>,
    /// At or after.
    pub start: Option<DateTime<Utc>>,
    /// Strictly before.
    pub end: Option<DateTime<Utc>>,
}

/// Events newest first (ties by id, descending), strictly after `after` in that order.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &EventQuery<'_>,
    after: Option<(DateTime<Utc>, &str)>,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    let mut select = AuditEvent::find();
    if let Some(organization_id) = query.organization_id {
        select = select.filter(Column::OrganizationId.eq(organization_id));
    }
    if let Some(actor_id) = query.actor_id {
        select = select.filter(Column::ActorId.eq(actor_id));
    }
    if let Some(action) = query.action {
        select = select.filter(Column::Action.eq(action));
    }
    if let Some(start) = query.start {
        select = select.filter(Column::OccurredAt.gte(start));
    }
    if let Some(end) = query.end {
        select = select.filter(Column::OccurredAt.lt(end));
    }
    if let Some((occurred_at, id)) = after {
        select = select.filter(
            Condition::any()
                .add(Column::OccurredAt.lt(occurred_at))
                .add(
                    Condition::all()
                        .add(Column::OccurredAt.eq(occurred_at))
                        .add(Column::Id.lt(id)),
                ),
        );
    }
    select
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
