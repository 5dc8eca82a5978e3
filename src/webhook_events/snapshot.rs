//! The `data` of an event: the resource an audited change names, read in the change's own
//! transaction and written as the API's JSON writes it (proto field names, enum value names,
//! RFC 3339 times), with only the fields that are never secret. A resource that is gone
//! (deleted) is named by its ids alone.
//!
//! These shapes follow the contract's messages (`User`, `Session`, `Factor`, `Organization`,
//! `Member`, `Invitation`, `SsoConnection`, `ApiKey`, `Role`, `OAuthClient`) by hand, so that
//! this module, below every capability, reads only the store. It must never put a password
//! hash, a sealed secret, a token or a key into an event.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ActiveEnum, ConnectionTrait, DbErr, EntityTrait};
use serde_json::{Map, Value, json};

use crate::store::entities::{
    api_key, audit_event, invitation, membership, mfa_factor, oauth_client, oauth_grant,
    organization, role, session, sso_connection, user,
};

/// A time as proto3 JSON writes a Timestamp.
pub fn time(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn optional_time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, time)
}

/// An enum value as the contract names it: `USER_STATUS_` + `ACTIVE`.
fn enum_name(prefix: &str, value: &str) -> Value {
    Value::String(format!("{prefix}{}", value.to_ascii_uppercase()))
}

/// The `data` of an event of `event_type` caused by `audit`.
pub async fn data_for(
    db: &impl ConnectionTrait,
    event_type: &str,
    audit: &audit_event::Model,
) -> Result<Value, DbErr> {
    let target = audit.target_id.as_deref().unwrap_or_default();
    let organization_id = audit.organization_id.as_deref();
    match event_type {
        "session.created" => {
            let id = super::catalogue::opened_session(audit.metadata.as_ref()).unwrap_or_default();
            session_data(db, id).await
        }
        "session.revoked" => session_data(db, target).await,
        "mfa.factor_added" | "mfa.factor_removed" => factor_data(db, target, audit).await,
        "oauth.consent_granted" => Ok(json!({
            "client_id": target,
            "organization_id": organization_id.unwrap_or_default(),
            "user_id": audit.actor_id.clone().unwrap_or_default(),
            "scopes": scopes(
                audit
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("scopes"))
                    .and_then(Value::as_str)
            ),
        })),
        "oauth.grant_revoked" => grant_data(db, audit).await,
        "member.added" if audit.action == "invitation.accepted" => {
            let invitation = invitation::Entity::find_by_id(target.to_owned())
                .one(db)
                .await?;
            let user_id = invitation.and_then(|i| i.accepted_by).unwrap_or_default();
            member_data(db, organization_id.unwrap_or_default(), &user_id, audit).await
        }
        "member.added" | "member.updated" | "member.removed" => {
            member_data(db, organization_id.unwrap_or_default(), target, audit).await
        }
        _ => match audit.target_type.as_deref() {
            Some("user") => user_data(db, target).await,
            Some("organization") => organization_data(db, target).await,
            Some("invitation") => invitation_data(db, target).await,
            Some("api_key") => api_key_data(db, target).await,
            Some("sso_connection") => connection_data(db, target, organization_id).await,
            Some("role") => role_data(db, target, organization_id).await,
            Some("oauth_client") => oauth_client_data(db, target, organization_id).await,
            _ => Ok(json!({ "id": target })),
        },
    }
}

/// Space-separated scopes as a list.
fn scopes(scope: Option<&str>) -> Value {
    json!(
        scope
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
    )
}

async fn grant_data(db: &impl ConnectionTrait, audit: &audit_event::Model) -> Result<Value, DbErr> {
    let grant_id = audit
        .metadata
        .as_ref()
        .and_then(|m| m.get("grant_id"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let organization_id = audit.organization_id.clone().unwrap_or_default();
    let Some(row) = oauth_grant::Entity::find_by_id(grant_id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(json!({ "grant_id": grant_id, "organization_id": organization_id }));
    };
    Ok(json!({
        "grant_id": row.id,
        "client_id": row.client_id,
        "organization_id": organization_id,
        "user_id": row.user_id,
        "scopes": scopes(Some(&row.scope)),
        "revoke_time": optional_time(row.revoked_at),
    }))
}

pub async fn user_data(db: &impl ConnectionTrait, id: &str) -> Result<Value, DbErr> {
    let Some(row) = user::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(json!({ "id": id }));
    };
    let status = enum_name("USER_STATUS_", &row.status.to_value());
    if row.status == user::UserStatus::Deleted {
        return Ok(json!({ "id": row.id, "status": status }));
    }
    Ok(json!({
        "id": row.id,
        "email": row.email,
        "email_verified": row.email_verified,
        "display_name": row.display_name,
        "status": status,
        "metadata": row.metadata.unwrap_or_else(|| json!({})),
        "is_admin": row.is_admin,
        "mfa_enabled": row.mfa_enabled,
        "last_login_time": optional_time(row.last_login_at),
        "create_time": time(row.created_at),
        "update_time": time(row.updated_at),
    }))
}

async fn session_data(db: &impl ConnectionTrait, id: &str) -> Result<Value, DbErr> {
    let Some(row) = session::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(json!({ "id": id }));
    };
    Ok(json!({
        "id": row.id,
        "user_id": row.user_id,
        "organization_id": row.organization_id.unwrap_or_default(),
        "user_agent": row.user_agent.unwrap_or_default(),
        "ip_address": row.ip_address.unwrap_or_default(),
        "create_time": time(row.created_at),
        "last_use_time": time(row.last_used_at),
        "expire_time": time(row.expires_at),
    }))
}

async fn factor_data(
    db: &impl ConnectionTrait,
    id: &str,
    audit: &audit_event::Model,
) -> Result<Value, DbErr> {
    let user_id = audit.actor_id.clone().unwrap_or_default();
    let Some(row) = mfa_factor::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(json!({ "id": id, "user_id": user_id }));
    };
    Ok(json!({
        "id": row.id,
        "user_id": row.user_id,
        "type": enum_name("FACTOR_TYPE_", &row.kind.to_value()),
        "status": enum_name("FACTOR_STATUS_", &row.status.to_value()),
        "name": row.name,
        "create_time": time(row.created_at),
        "last_use_time": optional_time(row.last_used_at),
    }))
}

async fn organization_data(db: &impl ConnectionTrait, id: &str) -> Result<Value, DbErr> {
    let Some(row) = organization::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(json!({ "id": id }));
    };
    Ok(json!({
        "id": row.id,
        "name": row.name,
        "slug": row.slug,
        "metadata": row.metadata.unwrap_or_else(|| json!({})),
        "create_time": time(row.created_at),
        "update_time": time(row.updated_at),
    }))
}

async fn member_data(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
    audit: &audit_event::Model,
) -> Result<Value, DbErr> {
    let row = membership::Entity::find_by_id((organization_id.to_owned(), user_id.to_owned()))
        .one(db)
        .await?;
    let Some(row) = row else {
        let role = audit
            .metadata
            .as_ref()
            .and_then(|m| m.get("role"))
            .cloned()
            .unwrap_or(Value::String(String::new()));
        return Ok(json!({ "organization_id": organization_id, "user_id": user_id, "role": role }));
    };
    let account = user::Entity::find_by_id(user_id.to_owned()).one(db).await?;
    let (email, display_name) =
        account.map_or_else(Default::default, |u| (u.email, u.display_name));
    Ok(json!({
        "organization_id": row.organization_id,
        "user_id": row.user_id,
        "role": row.role,
        "email": email,
        "display_name": display_name,
        "join_time": time(row.created_at),
    }))
}

async fn invitation_data(db: &impl ConnectionTrait, id: &str) -> Result<Value, DbErr> {
    let Some(row) = invitation::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(json!({ "id": id }));
    };
    Ok(json!({
        "id": row.id,
        "organization_id": row.organization_id,
        "email": row.email,
        "role": row.role,
        "status": enum_name("INVITATION_STATUS_", &row.status.to_value()),
        "invited_by": row.invited_by.unwrap_or_default(),
        "expire_time": time(row.expires_at),
        "create_time": time(row.created_at),
    }))
}

async fn api_key_data(db: &impl ConnectionTrait, id: &str) -> Result<Value, DbErr> {
    let Some(row) = api_key::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(json!({ "id": id }));
    };
    Ok(json!({
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "prefix": row.prefix,
        "role": row.role,
        "create_time": time(row.created_at),
        "expire_time": optional_time(row.expires_at),
        "last_use_time": optional_time(row.last_used_at),
        "revoke_time": optional_time(row.revoked_at),
    }))
}

async fn connection_data(
    db: &impl ConnectionTrait,
    id: &str,
    organization_id: Option<&str>,
) -> Result<Value, DbErr> {
    let Some(row) = sso_connection::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(json!({ "id": id, "organization_id": organization_id.unwrap_or_default() }));
    };
    Ok(json!({
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "protocol": enum_name("SSO_PROTOCOL_", &row.protocol),
        "jit_provisioning": row.jit_provisioning,
        "default_role": row.default_role,
        "enabled": row.enabled,
        "create_time": time(row.created_at),
        "update_time": time(row.updated_at),
    }))
}

async fn role_data(
    db: &impl ConnectionTrait,
    id: &str,
    organization_id: Option<&str>,
) -> Result<Value, DbErr> {
    let Some(row) = role::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(json!({ "id": id, "organization_id": organization_id.unwrap_or_default() }));
    };
    Ok(json!({
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        "description": row.description,
        "permissions": row.permissions,
        "built_in": false,
        "base_role": row.base_role,
    }))
}

async fn oauth_client_data(
    db: &impl ConnectionTrait,
    id: &str,
    organization_id: Option<&str>,
) -> Result<Value, DbErr> {
    let Some(row) = oauth_client::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(
            json!({ "client_id": id, "organization_id": organization_id.unwrap_or_default() }),
        );
    };
    let mut data = Map::new();
    data.insert("client_id".into(), json!(row.id));
    data.insert("organization_id".into(), json!(row.organization_id));
    data.insert("name".into(), json!(row.name));
    data.insert(
        "client_type".into(),
        enum_name("OAUTH_CLIENT_TYPE_", &row.client_type.to_value()),
    );
    data.insert("redirect_uris".into(), row.redirect_uris);
    data.insert(
        "post_logout_redirect_uris".into(),
        row.post_logout_redirect_uris,
    );
    data.insert("grant_types".into(), row.grant_types);
    data.insert("allowed_scopes".into(), row.allowed_scopes);
    data.insert("skip_consent".into(), json!(row.skip_consent));
    data.insert(
        "access_token_audience".into(),
        json!(row.access_token_audience.unwrap_or_default()),
    );
    data.insert("disabled".into(), json!(row.disabled));
    data.insert(
        "secret_hint".into(),
        json!(row.secret_hint.unwrap_or_default()),
    );
    data.insert("create_time".into(), time(row.created_at));
    data.insert("update_time".into(), time(row.updated_at));
    Ok(Value::Object(data))
}
