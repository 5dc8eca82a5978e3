//! The role RPCs: list, create, update (by field mask) and delete an organization's roles, and
//! check a permission. Each converts the request, takes the `OrgScope`, calls one domain
//! function and maps the result; no rules here.

use tonic::{Request, Response};

use super::{OrganizationGrpc, Reply};
use crate::{
    ids::{RoleId, UserId},
    orgs::{RoleChanges, convert::role_to_proto},
    proto::janua::orgs::v1 as pb,
    rpc,
    store::Page,
    update_mask,
};

pub(super) async fn list_roles(
    grpc: &OrganizationGrpc,
    request: Request<pb::ListRolesRequest>,
) -> Reply<pb::ListRolesResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let page = Page::parse(body.page_size, &body.page_token)?;
    let (rows, next_page_token) = grpc.orgs.list_roles(&scope, page).await?;
    Ok(Response::new(pb::ListRolesResponse {
        roles: rows
            .into_iter()
            .map(|r| role_to_proto(scope.organization_id(), r))
            .collect(),
        next_page_token,
    }))
}

pub(super) async fn create_role(
    grpc: &OrganizationGrpc,
    request: Request<pb::CreateRoleRequest>,
) -> Reply<pb::CreateRoleResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let role = grpc
        .orgs
        .create_role(
            &scope,
            &body.name,
            &body.description,
            &body.permissions,
            &body.base_role,
        )
        .await?;
    Ok(Response::new(pb::CreateRoleResponse {
        role: Some(role_to_proto(scope.organization_id(), role)),
    }))
}

pub(super) async fn update_role(
    grpc: &OrganizationGrpc,
    request: Request<pb::UpdateRoleRequest>,
) -> Reply<pb::UpdateRoleResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let paths = update_mask::paths(
        body.update_mask,
        &["name", "description", "permissions", "base_role"],
    )?;
    let given = body.role.unwrap_or_default();
    let mut changes = RoleChanges::default();
    for path in paths {
        match path.as_str() {
            "name" => changes.name = Some(given.name.clone()),
            "description" => changes.description = Some(given.description.clone()),
            "base_role" => changes.base_role = Some(given.base_role.clone()),
            _ => changes.permissions = Some(given.permissions.clone()),
        }
    }
    let role = grpc
        .orgs
        .update_role(&scope, &RoleId::parse("role_id", &body.role_id)?, changes)
        .await?;
    Ok(Response::new(pb::UpdateRoleResponse {
        role: Some(role_to_proto(scope.organization_id(), role)),
    }))
}

pub(super) async fn delete_role(
    grpc: &OrganizationGrpc,
    request: Request<pb::DeleteRoleRequest>,
) -> Reply<pb::DeleteRoleResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs
        .delete_role(
            &scope,
            &RoleId::parse("role_id", &request.get_ref().role_id)?,
        )
        .await?;
    Ok(Response::new(pb::DeleteRoleResponse {}))
}

pub(super) async fn check_permission(
    grpc: &OrganizationGrpc,
    request: Request<pb::CheckPermissionRequest>,
) -> Reply<pb::CheckPermissionResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let requirement = rpc::requirement(&request)?;
    let others = requirement.other_user_permission.as_deref();
    let body = request.into_inner();
    let user_id = UserId::parse_optional("user_id", &body.user_id)?;
    let allowed = grpc
        .orgs
        .check_permission(&scope, &body.permission, user_id.as_ref(), others)
        .await?;
    Ok(Response::new(pb::CheckPermissionResponse { allowed }))
}
