//! Organization rows as the contract's messages.

use super::{InvitationView, Member, RoleView};
use crate::{
    metadata::{json_to_struct, timestamp},
    proto::janua::orgs::v1 as pb,
    store::entities::{api_key, invitation::InvitationStatus, organization},
};

pub fn organization_to_proto(row: &organization::Model) -> pb::Organization {
    pb::Organization {
        id: row.id.clone(),
        name: row.name.clone(),
        slug: row.slug.clone(),
        metadata: row.metadata.as_ref().and_then(json_to_struct),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

pub fn member_to_proto((membership, user): &Member) -> pb::Member {
    pb::Member {
        organization_id: membership.organization_id.clone(),
        user_id: membership.user_id.clone(),
        role: membership.role.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        join_time: Some(timestamp(membership.created_at)),
    }
}

pub fn invitation_to_proto(view: &InvitationView) -> pb::Invitation {
    let row = &view.row;
    let status = match row.status {
        _ if view.expired => pb::InvitationStatus::Expired,
        InvitationStatus::Pending => pb::InvitationStatus::Pending,
        InvitationStatus::Accepted => pb::InvitationStatus::Accepted,
        InvitationStatus::Revoked => pb::InvitationStatus::Revoked,
    };
    pb::Invitation {
        id: row.id.clone(),
        organization_id: row.organization_id.clone(),
        email: row.email.clone(),
        role: row.role.clone(),
        status: status.into(),
        invited_by: row.invited_by.clone().unwrap_or_default(),
        expire_time: Some(timestamp(row.expires_at)),
        create_time: Some(timestamp(row.created_at)),
    }
}

pub fn role_to_proto(organization_id: &str, role: RoleView) -> pb::Role {
    pb::Role {
        id: role.id,
        organization_id: organization_id.to_owned(),
        name: role.name,
        description: role.description,
        permissions: role.permissions,
        built_in: role.built_in,
        base_role: role.base_role,
        effective_permissions: role.effective_permissions,
    }
}

pub fn api_key_to_proto(row: &api_key::Model) -> pb::ApiKey {
    pb::ApiKey {
        id: row.id.clone(),
        organization_id: row.organization_id.clone(),
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        role: row.role.clone(),
        create_time: Some(timestamp(row.created_at)),
        expire_time: row.expires_at.map(timestamp),
        last_use_time: row.last_used_at.map(timestamp),
        revoke_time: row.revoked_at.map(timestamp),
    }
}
