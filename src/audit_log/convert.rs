//! Audit rows as the contract's `AuditEvent` message.

use crate::{
    metadata::{json_to_struct, timestamp},
    proto::janua::audit::v1 as pb,
    store::entities::audit_event,
};

pub fn event_to_proto(row: &audit_event::Model) -> pb::AuditEvent {
    let actor_type = match row.actor_type.as_str() {
        "user" => pb::ActorType::User,
        "api_key" => pb::ActorType::ApiKey,
        "system" => pb::ActorType::System,
        "anonymous" => pb::ActorType::Anonymous,
        _ => pb::ActorType::Unspecified,
    };
    let outcome = match row.outcome.as_str() {
        "success" => pb::Outcome::Success,
        "failure" => pb::Outcome::Failure,
        _ => pb::Outcome::Unspecified,
    };
    pb::AuditEvent {
        id: row.id.clone(),
        occur_time: Some(timestamp(row.occurred_at)),
        actor_id: row.actor_id.clone().unwrap_or_default(),
        actor_type: actor_type.into(),
        organization_id: row.organization_id.clone().unwrap_or_default(),
        action: row.action.clone(),
        target_type: row.target_type.clone().unwrap_or_default(),
        target_id: row.target_id.clone().unwrap_or_default(),
        ip_address: row.ip_address.clone().unwrap_or_default(),
        user_agent: row.user_agent.clone().unwrap_or_default(),
        outcome: outcome.into(),
        metadata: row.metadata.as_ref().and_then(json_to_struct),
    }
}
