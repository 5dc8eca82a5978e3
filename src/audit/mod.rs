//! The audit log's writing side: every security event (sign-in, failure, lock, password
//! change, MFA change, role change, key creation, SSO login) is written here with actor, IP
//! and user agent. Writing an event never carries secrets: no passwords, tokens or keys in
//! `metadata`. Every capability writes through `record`, so this module depends on none of
//! them; reading the log (AuditService) is the `audit_log` capability.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel};

use crate::{
    ids::{ApiKeyId, UserId},
    store::entities::audit_event,
};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiKey(ApiKeyId),
    /// Janua itself or an operator's CLI command.
    System,
    /// An unauthenticated caller (e.g. a failed sign-in).
    Anonymous,
}

/// Where the request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub actor: Actor,
    pub organization_id: Option<String>,
    pub target: Option<(&'static str, String)>,
    pub client: ClientInfo,
    pub outcome: Outcome,
    pub metadata: Option<serde_json::Value>,
}

impl AuditEvent {
    pub fn new(action: &'static str, actor: Actor) -> Self {
        Self {
            action,
            actor,
            organization_id: None,
            target: None,
            client: ClientInfo::default(),
            outcome: Outcome::Success,
            metadata: None,
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.target = Some((kind, id.into()));
        self
    }

    pub fn organization(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// Details of the event; never a secret.
    pub fn metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    pub fn client(mut self, client: ClientInfo) -> Self {
        self.client = client;
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }
}

/// Writes the event on `db` (a connection or the caller's open transaction), with the
/// webhook events it maps to (`webhook_events::emit`): the one hook point that turns every
/// audited change into events, committed or rolled back with the change.
pub async fn record(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    event: AuditEvent,
) -> Result<(), sea_orm::DbErr> {
    let (actor_type, actor_id) = match event.actor {
        Actor::User(id) => ("user", Some(id.into_string())),
        Actor::ApiKey(id) => ("api_key", Some(id.into_string())),
        Actor::System => ("system", None),
        Actor::Anonymous => ("anonymous", None),
    };
    let (target_type, target_id) = match event.target {
        Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
        None => (None, None),
    };
    let row = audit_event::Model {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: at,
        actor_id,
        actor_type: actor_type.to_owned(),
        organization_id: event.organization_id,
        action: event.action.to_owned(),
        target_type,
        target_id,
        ip_address: event.client.ip_address,
        user_agent: event.client.user_agent,
        outcome: match event.outcome {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
        .to_owned(),
        metadata: event.metadata,
    }
    .into_active_model()
    .reset_all()
    .insert(db)
    .await?;
    crate::webhook_events::emit(db, &row).await
}
