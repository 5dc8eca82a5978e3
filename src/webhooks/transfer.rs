//! Endpoints as `janua export` and `janua import` move them: every endpoint in id order for
//! an export (its signing secret opened only when the export is encrypted), and an endpoint
//! inserted as it was, under the same rules as CreateWebhookEndpoint (its URL through the
//! same SSRF check, its event types from the catalogue), in the importer's transaction.
//! Nothing here reads a file or logs a secret.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    endpoint::{self, UrlRules},
    secret::SigningSecret,
    store,
};
use crate::{
    config::OutboundPolicy,
    crypto::FieldCipher,
    error::Error,
    store::{
        entities::webhook_endpoint::{self, Column, Entity as Endpoint},
        organizations,
    },
    webhook_events::endpoint_state,
};

/// An endpoint as an export carries it.
#[derive(Debug, Clone)]
pub struct TransferredEndpoint {
    pub id: String,
    /// None: a platform-wide endpoint.
    pub organization_id: Option<String>,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// `disabled` stays disabled; any other state starts afresh as `active`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    /// `whsec_…`, only in an encrypted export.
    pub secret: Option<String>,
}

/// How an imported endpoint came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointImported {
    /// With the secret the export carried: receivers keep verifying.
    WithSecret,
    /// With a new secret nobody has seen: the owner rotates it to learn one.
    NewSecret,
    /// An endpoint with this id exists already.
    Exists,
}

/// Where imported endpoints may point: the server's own webhook settings.
#[derive(Debug, Clone, Copy)]
pub struct ImportRules {
    pub require_https: bool,
    pub outbound: OutboundPolicy,
}

/// Every endpoint in id order after `after`, with its secret (`whsec_…`) when `secrets`.
pub async fn endpoints_page(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    after: Option<&str>,
    limit: u64,
    secrets: bool,
) -> Result<Vec<(webhook_endpoint::Model, Option<String>)>, Error> {
    let mut select = Endpoint::find();
    if let Some(after) = after {
        select = select.filter(Column::Id.gt(after));
    }
    let rows = select.order_by_asc(Column::Id).limit(limit).all(db).await?;
    rows.into_iter()
        .map(|row| {
            let secret = if secrets {
                Some(
                    SigningSecret::open(cipher, &row.secret_sealed, &row.id)
                        .map_err(Error::Internal)?
                        .shown(),
                )
            } else {
                None
            };
            Ok((row, secret))
        })
        .collect()
}

/// Inserts `endpoint` as it was, or says it exists; a URL, event type, description,
/// secret or organization the rules refuse is a validation error and writes nothing.
pub async fn insert_imported(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    rules: ImportRules,
    endpoint: TransferredEndpoint,
    now: DateTime<Utc>,
) -> Result<EndpointImported, Error> {
    let id = endpoint.id.trim();
    if id.is_empty() || id.len() > 36 {
        return Err(Error::invalid("id", "must be 1 to 36 characters"));
    }
    if store::endpoint_by_id(db, id).await?.is_some() {
        return Ok(EndpointImported::Exists);
    }
    if let Some(organization_id) = &endpoint.organization_id
        && organizations::find_organization(db, organization_id)
            .await?
            .is_none()
    {
        return Err(Error::invalid(
            "organization_id",
            "names no organization of this import or of the database",
        ));
    }
    let url = endpoint::check_url(
        &endpoint.url,
        UrlRules {
            require_https: rules.require_https,
            policy: rules.outbound,
        },
    )
    .await?;
    let event_types = endpoint::check_event_types(endpoint.event_types)?;
    let description = endpoint::check_description(endpoint.description)?;
    let (secret, imported) = match endpoint.secret.as_deref() {
        Some(shown) => (
            SigningSecret::parse_shown(shown)
                .ok_or_else(|| Error::invalid("signing_secret", "is not whsec_ and 32 bytes"))?,
            EndpointImported::WithSecret,
        ),
        None => (SigningSecret::generate(), EndpointImported::NewSecret),
    };
    let state = if endpoint.state == endpoint_state::DISABLED {
        endpoint_state::DISABLED
    } else {
        endpoint_state::ACTIVE
    };
    store::insert_endpoint(
        db,
        webhook_endpoint::Model {
            id: id.to_owned(),
            organization_id: endpoint.organization_id,
            url,
            description,
            event_types: serde_json::json!(event_types),
            enabled: endpoint.enabled,
            state: state.to_owned(),
            consecutive_failures: 0,
            failing_since: None,
            secret_sealed: secret.seal(cipher, id).map_err(Error::Internal)?,
            previous_secret_sealed: None,
            previous_secret_expires_at: None,
            secret_rotated_at: None,
            created_at: endpoint.created_at,
            updated_at: now,
        },
    )
    .await?;
    Ok(imported)
}
