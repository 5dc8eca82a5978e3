//! Webhook events, the writing side: the catalogue of event types, and `emit`, which the
//! audit log calls for every event it records, in the caller's transaction. An audited
//! change that maps to event types (`catalogue::types_for`) becomes one event per type, with
//! the resource as `data` (`snapshot`), and one pending delivery per endpoint that wants it:
//! the endpoints of the event's organization and the platform-wide ones, enabled and not
//! disabled, subscribed to the type. So a change that rolls back sends nothing, and every
//! audited change can produce events without its call site knowing about webhooks.
//!
//! This module sits below every capability (it reads only the store); delivering, signing
//! and managing endpoints is the `webhooks` capability. It never stores or sends a secret.

pub mod catalogue;
pub mod snapshot;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::{Value, json};

pub use catalogue::{EVENT_TYPES, TEST_EVENT, is_event_type};

use crate::store::entities::{audit_event, webhook_delivery, webhook_endpoint, webhook_event};

/// `webhook_endpoints.state`.
pub mod endpoint_state {
    pub const ACTIVE: &str = "active";
    pub const FAILING: &str = "failing";
    pub const DISABLED: &str = "disabled";
}

/// `webhook_deliveries.status`.
pub mod delivery_status {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

/// The body every delivery of an event sends: `{"type", "timestamp", "data"}`.
pub fn payload(event_type: &str, at: DateTime<Utc>, data: Value) -> String {
    json!({
        "type": event_type,
        "timestamp": snapshot::time(at),
        "data": data,
    })
    .to_string()
}

/// Whether an endpoint subscribed to `event_type` (an empty list: to every type).
pub fn subscribed(endpoint: &webhook_endpoint::Model, event_type: &str) -> bool {
    match endpoint.event_types.as_array() {
        Some(types) if !types.is_empty() => types.iter().any(|t| t.as_str() == Some(event_type)),
        _ => true,
    }
}

/// The events an audited change produces, with their deliveries, written through `db` (the
/// change's transaction). Called by `audit::record` for every event it writes; failures and
/// changes that map to no type write nothing.
pub async fn emit(db: &impl ConnectionTrait, audit: &audit_event::Model) -> Result<(), DbErr> {
    if audit.outcome != "success" {
        return Ok(());
    }
    let types = catalogue::types_for(&audit.action, audit.metadata.as_ref());
    if types.is_empty() {
        return Ok(());
    }
    let endpoints = listening(db, audit.organization_id.as_deref()).await?;
    for event_type in types {
        let targets: Vec<&webhook_endpoint::Model> = endpoints
            .iter()
            .filter(|endpoint| subscribed(endpoint, event_type))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let data = snapshot::data_for(db, event_type, audit).await?;
        let event = NewEvent {
            event_type,
            organization_id: audit.organization_id.clone(),
            data,
        };
        enqueue(db, audit.occurred_at, event, &targets).await?;
    }
    Ok(())
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub event_type: &'a str,
    pub organization_id: Option<String>,
    pub data: Value,
}

/// Writes `event` and a pending delivery of it to each of `endpoints`, due at once.
/// Returns the event and its deliveries as stored.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    event: NewEvent<'_>,
    endpoints: &[&webhook_endpoint::Model],
) -> Result<(webhook_event::Model, Vec<webhook_delivery::Model>), DbErr> {
    let row = webhook_event::Model {
        id: uuid::Uuid::now_v7().to_string(),
        event_type: event.event_type.to_owned(),
        organization_id: event.organization_id,
        payload: payload(event.event_type, at, event.data),
        created_at: at,
    }
    .into_active_model()
    .reset_all()
    .insert(db)
    .await?;
    let mut deliveries = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        let delivery = webhook_delivery::Model {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: row.id.clone(),
            endpoint_id: endpoint.id.clone(),
            status: delivery_status::PENDING.to_owned(),
            attempts: 0,
            next_attempt_at: at,
            last_attempt_at: None,
            response_status: None,
            response_body: None,
            latency_ms: None,
            last_error: None,
            created_at: at,
            delivered_at: None,
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
        deliveries.push(delivery);
    }
    Ok((row, deliveries))
}

/// The endpoints that receive events of `organization_id` (None: platform-level events):
/// that organization's and the platform-wide ones, enabled and not disabled.
async fn listening(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    use webhook_endpoint::Column;
    let mut owners = Condition::any().add(Column::OrganizationId.is_null());
    if let Some(organization_id) = organization_id {
        owners = owners.add(Column::OrganizationId.eq(organization_id));
    }
    webhook_endpoint::Entity::find()
        .filter(owners)
        .filter(Column::Enabled.eq(true))
        .filter(Column::State.ne(endpoint_state::DISABLED))
        .all(db)
        .await
}
