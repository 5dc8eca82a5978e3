//! Managing endpoints under an `Owner`: each change is one transaction with its audit event
//! (`webhook_endpoint.*`), whose metadata describes the endpoint and never its secret. The
//! secret is returned by create and rotate only. Redelivery and test events queue a
//! delivery and wake the worker.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    Owner, Webhooks,
    endpoint::{self, EndpointChanges, UrlRules},
    secret::SigningSecret,
    store,
};
use crate::{
    audit,
    error::Error,
    outbox::after,
    store::{
        Cursor,
        entities::{webhook_delivery, webhook_endpoint, webhook_event},
    },
    webhook_events::{self, NewEvent, TEST_EVENT, delivery_status, endpoint_state},
};

/// How long a replaced secret still signs, unless the rotation says otherwise.
const DEFAULT_PREVIOUS_SECRET_TTL: Duration = Duration::from_secs(24 * 3600);
const MAX_PREVIOUS_SECRET_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// An endpoint with a secret just issued (created, or rotated): never available again.
pub struct IssuedEndpoint {
    pub endpoint: webhook_endpoint::Model,
    pub secret: String,
}

/// A delivery with its event, as the delivery log shows it.
pub type LoggedDelivery = (webhook_delivery::Model, Option<webhook_event::Model>);

fn not_found() -> Error {
    Error::NotFound("webhook endpoint")
}

fn sealing(error: anyhow::Error) -> Error {
    Error::Internal(error.context("sealing a webhook secret"))
}

/// What an audit event says about an endpoint: never its secret.
fn described(row: &webhook_endpoint::Model) -> Value {
    json!({
        "url": row.url,
        "event_types": row.event_types,
        "enabled": row.enabled,
    })
}

impl Webhooks {
    fn url_rules(&self) -> UrlRules {
        UrlRules {
            require_https: self.settings.require_https,
            policy: self.settings.outbound,
        }
    }

    pub async fn create_endpoint(
        &self,
        owner: &Owner,
        changes: EndpointChanges,
    ) -> Result<IssuedEndpoint, Error> {
        let url = endpoint::check_url(changes.url.as_deref().unwrap_or_default(), self.url_rules())
            .await?;
        let event_types = endpoint::check_event_types(changes.event_types.unwrap_or_default())?;
        let description = endpoint::check_description(changes.description.unwrap_or_default())?;
        let now = self.clock.now();
        let id = uuid::Uuid::now_v7().to_string();
        let secret = SigningSecret::generate();
        let row = webhook_endpoint::Model {
            id: id.clone(),
            organization_id: owner.organization_id().map(str::to_owned),
            url,
            description,
            event_types: json!(event_types),
            enabled: changes.enabled.unwrap_or(true),
            state: endpoint_state::ACTIVE.to_owned(),
            consecutive_failures: 0,
            failing_since: None,
            secret_sealed: secret.seal(&self.cipher, &id).map_err(sealing)?,
            previous_secret_sealed: None,
            previous_secret_expires_at: None,
            secret_rotated_at: None,
            created_at: now,
            updated_at: now,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::insert_endpoint(&txn, row).await?;
        let event = owner
            .event("webhook_endpoint.created")
            .target("webhook_endpoint", &row.id)
            .metadata(described(&row));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(IssuedEndpoint {
            endpoint: row,
            secret: secret.shown(),
        })
    }

    pub async fn get_endpoint(
        &self,
        owner: &Owner,
        id: &str,
    ) -> Result<webhook_endpoint::Model, Error> {
        store::find_endpoint(&self.db, owner.organization_id(), id)
            .await?
            .ok_or_else(not_found)
    }

    /// The owner's endpoints, oldest first.
    pub async fn list_endpoints(
        &self,
        owner: &Owner,
        cursor: &Cursor,
    ) -> Result<(Vec<webhook_endpoint::Model>, String), Error> {
        let mut rows = store::list_endpoints(
            &self.db,
            owner.organization_id(),
            cursor.after.as_deref(),
            cursor.limit(),
        )
        .await?;
        let next = cursor.next_token(&mut rows, |row| row.id.clone());
        Ok((rows, next))
    }

    /// Applies `changes`. Enabling an endpoint clears its failing state.
    pub async fn update_endpoint(
        &self,
        owner: &Owner,
        id: &str,
        changes: EndpointChanges,
    ) -> Result<webhook_endpoint::Model, Error> {
        let url = match changes.url {
            Some(url) => Some(endpoint::check_url(&url, self.url_rules()).await?),
            None => None,
        };
        let event_types = changes
            .event_types
            .map(endpoint::check_event_types)
            .transpose()?;
        let description = changes
            .description
            .map(endpoint::check_description)
            .transpose()?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let mut row = store::find_endpoint(&txn, owner.organization_id(), id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(event_types) = event_types {
            row.event_types = json!(event_types);
        }
        if let Some(description) = description {
            row.description = description;
        }
        if let Some(enabled) = changes.enabled {
            if enabled && (!row.enabled || row.state == endpoint_state::DISABLED) {
                row.state = endpoint_state::ACTIVE.to_owned();
                row.consecutive_failures = 0;
                row.failing_since = None;
            }
            row.enabled = enabled;
        }
        row.updated_at = now;
        let row = store::save_endpoint(&txn, row).await?;
        let event = owner
            .event("webhook_endpoint.updated")
            .target("webhook_endpoint", &row.id)
            .metadata(described(&row));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Deletes an endpoint with its deliveries.
    pub async fn delete_endpoint(&self, owner: &Owner, id: &str) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::find_endpoint(&txn, owner.organization_id(), id)
            .await?
            .ok_or_else(not_found)?;
        store::delete_endpoint(&txn, &row.id).await?;
        let event = owner
            .event("webhook_endpoint.deleted")
            .target("webhook_endpoint", &row.id)
            .metadata(described(&row));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A new secret; the replaced one keeps signing for `previous_ttl` (default 24 hours,
    /// at most 7 days; zero: it stops at once).
    pub async fn rotate_secret(
        &self,
        owner: &Owner,
        id: &str,
        previous_ttl: Option<Duration>,
    ) -> Result<IssuedEndpoint, Error> {
        let ttl = previous_ttl.unwrap_or(DEFAULT_PREVIOUS_SECRET_TTL);
        if ttl > MAX_PREVIOUS_SECRET_TTL {
            return Err(Error::invalid(
                "previous_secret_ttl",
                "must be at most 7 days",
            ));
        }
        let now = self.clock.now();
        let secret = SigningSecret::generate();
        let txn = crate::store::begin_write(&self.db).await?;
        let mut row = store::find_endpoint(&txn, owner.organization_id(), id)
            .await?
            .ok_or_else(not_found)?;
        let replaced = std::mem::replace(
            &mut row.secret_sealed,
            secret.seal(&self.cipher, &row.id).map_err(sealing)?,
        );
        (row.previous_secret_sealed, row.previous_secret_expires_at) = if ttl.is_zero() {
            (None, None)
        } else {
            (Some(replaced), Some(after(now, ttl)))
        };
        row.secret_rotated_at = Some(now);
        row.updated_at = now;
        let row = store::save_endpoint(&txn, row).await?;
        let event = owner
            .event("webhook_endpoint.secret_rotated")
            .target("webhook_endpoint", &row.id)
            .metadata(json!({ "previous_secret_ttl_seconds": ttl.as_secs() }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(IssuedEndpoint {
            endpoint: row,
            secret: secret.shown(),
        })
    }

    /// An endpoint's deliveries, newest first, with their events.
    pub async fn list_deliveries(
        &self,
        owner: &Owner,
        endpoint_id: &str,
        cursor: &Cursor,
    ) -> Result<(Vec<LoggedDelivery>, String), Error> {
        let endpoint = self.get_endpoint(owner, endpoint_id).await?;
        let mut rows = store::list_deliveries(
            &self.db,
            &endpoint.id,
            cursor.after.as_deref(),
            cursor.limit(),
        )
        .await?;
        let next = cursor.next_token(&mut rows, |(delivery, _)| delivery.id.clone());
        Ok((rows, next))
    }

    /// Queues a delivery again, due now, with a fresh retry schedule and the same event id.
    pub async fn redeliver(
        &self,
        owner: &Owner,
        endpoint_id: &str,
        delivery_id: &str,
    ) -> Result<LoggedDelivery, Error> {
        let endpoint = self.get_endpoint(owner, endpoint_id).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let mut row = store::find_delivery(&txn, &endpoint.id, delivery_id)
            .await?
            .ok_or(Error::NotFound("webhook delivery"))?;
        row.status = delivery_status::PENDING.to_owned();
        row.attempts = 0;
        row.next_attempt_at = now;
        row.delivered_at = None;
        let row = store::save_delivery(&txn, row).await?;
        let event = store::find_event(&txn, &row.event_id).await?;
        txn.commit().await?;
        self.wake();
        Ok((row, event))
    }

    /// Queues a `webhook.test` event for this endpoint only.
    pub async fn send_test(
        &self,
        owner: &Owner,
        endpoint_id: &str,
    ) -> Result<LoggedDelivery, Error> {
        let endpoint = self.get_endpoint(owner, endpoint_id).await?;
        let now = self.clock.now();
        let event = NewEvent {
            event_type: TEST_EVENT,
            organization_id: endpoint.organization_id.clone(),
            data: json!({ "endpoint_id": endpoint.id, "message": "a test event from Janua" }),
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let (event, mut deliveries) =
            webhook_events::enqueue(&txn, now, event, &[&endpoint]).await?;
        txn.commit().await?;
        self.wake();
        let delivery = deliveries
            .pop()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no delivery queued")))?;
        Ok((delivery, Some(event)))
    }
}
