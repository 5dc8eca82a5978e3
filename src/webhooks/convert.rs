//! Endpoints and deliveries as the contract's messages, and the contract's requests as
//! domain values.

use std::time::Duration;

use super::{EndpointChanges, registry::LoggedDelivery};
use crate::{
    error::Error,
    metadata::timestamp,
    proto::janua::webhooks::v1 as pb,
    store::entities::webhook_endpoint,
    webhook_events::{delivery_status, endpoint_state},
};

/// The `WebhookEndpoint` fields UpdateWebhookEndpoint may change.
pub const UPDATABLE_PATHS: &[&str] = &["url", "event_types", "description", "enabled"];

pub fn endpoint_to_proto(row: &webhook_endpoint::Model) -> pb::WebhookEndpoint {
    let state = if !row.enabled {
        pb::WebhookEndpointState::Disabled
    } else {
        match row.state.as_str() {
            endpoint_state::FAILING => pb::WebhookEndpointState::Failing,
            endpoint_state::DISABLED => pb::WebhookEndpointState::Disabled,
            _ => pb::WebhookEndpointState::Active,
        }
    };
    pb::WebhookEndpoint {
        id: row.id.clone(),
        organization_id: row.organization_id.clone().unwrap_or_default(),
        url: row.url.clone(),
        event_types: row
            .event_types
            .as_array()
            .map(|types| {
                types
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        description: row.description.clone(),
        enabled: row.enabled,
        state: state.into(),
        failing_since_time: row.failing_since.map(timestamp),
        secret_rotate_time: row.secret_rotated_at.map(timestamp),
        previous_secret_expire_time: row.previous_secret_expires_at.map(timestamp),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

pub fn delivery_to_proto((row, event): &LoggedDelivery) -> pb::WebhookDelivery {
    let status = match row.status.as_str() {
        delivery_status::PENDING => pb::WebhookDeliveryStatus::Pending,
        delivery_status::DELIVERED => pb::WebhookDeliveryStatus::Delivered,
        _ => pb::WebhookDeliveryStatus::Failed,
    };
    let pending = status == pb::WebhookDeliveryStatus::Pending;
    pb::WebhookDelivery {
        id: row.id.clone(),
        endpoint_id: row.endpoint_id.clone(),
        event_id: row.event_id.clone(),
        event_type: event
            .as_ref()
            .map(|e| e.event_type.clone())
            .unwrap_or_default(),
        status: status.into(),
        attempt_count: row.attempts,
        next_attempt_time: pending.then(|| timestamp(row.next_attempt_at)),
        last_attempt_time: row.last_attempt_at.map(timestamp),
        response_status_code: row.response_status.unwrap_or_default(),
        response_body: row.response_body.clone().unwrap_or_default(),
        latency: row.latency_ms.map(|ms| prost_types::Duration {
            seconds: ms / 1000,
            nanos: i32::try_from((ms % 1000) * 1_000_000).unwrap_or(0),
        }),
        error: row.last_error.clone().unwrap_or_default(),
        create_time: Some(timestamp(row.created_at)),
        deliver_time: row.delivered_at.map(timestamp),
    }
}

pub fn create_request(request: pb::CreateWebhookEndpointRequest) -> EndpointChanges {
    EndpointChanges {
        url: Some(request.url),
        event_types: Some(request.event_types),
        description: Some(request.description),
        enabled: request.enabled,
    }
}

/// The settings an update's mask names, with their values from `given`.
pub fn update_request(given: pb::WebhookEndpoint, paths: &[String]) -> EndpointChanges {
    let named = |path: &str| paths.iter().any(|p| p == path);
    EndpointChanges {
        url: named("url").then_some(given.url),
        event_types: named("event_types").then_some(given.event_types),
        description: named("description").then_some(given.description),
        enabled: named("enabled").then_some(given.enabled),
    }
}

/// A rotation's `previous_secret_ttl`; None when unset. Range checks are the domain's.
pub fn previous_secret_ttl(ttl: Option<prost_types::Duration>) -> Result<Option<Duration>, Error> {
    let Some(ttl) = ttl else {
        return Ok(None);
    };
    let invalid = || Error::invalid("previous_secret_ttl", "must be from 0s to 7 days");
    let seconds = u64::try_from(ttl.seconds).map_err(|_| invalid())?;
    let nanos = u32::try_from(ttl.nanos).map_err(|_| invalid())?;
    if nanos >= 1_000_000_000 {
        return Err(invalid());
    }
    Ok(Some(Duration::new(seconds, nanos)))
}
