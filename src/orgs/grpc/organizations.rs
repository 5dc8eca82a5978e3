//! The organization RPCs themselves: create, get, list, update (by field mask), delete, and
//! leave. Each converts the request, takes the caller or the `OrgScope`, calls one domain
//! function and maps the result; no rules here.

use tonic::{Request, Response};

use super::{OrganizationGrpc, Reply};
use crate::{
    ids::OrganizationId,
    metadata,
    orgs::{OrganizationChanges, convert::organization_to_proto},
    proto::janua::orgs::v1 as pb,
    rpc::{self, client_info, principal},
    store::Cursor,
    update_mask,
};

pub(super) async fn create_organization(
    grpc: &OrganizationGrpc,
    request: Request<pb::CreateOrganizationRequest>,
) -> Reply<pb::CreateOrganizationResponse> {
    let (caller, client) = (principal(&request)?, client_info(&request));
    let body = request.into_inner();
    let metadata = metadata::parse("metadata", body.metadata)?;
    let organization = grpc
        .orgs
        .create(&caller, &body.name, &body.slug, metadata, &client)
        .await?;
    Ok(Response::new(pb::CreateOrganizationResponse {
        organization: Some(organization_to_proto(&organization)),
    }))
}

pub(super) async fn get_organization(
    grpc: &OrganizationGrpc,
    request: Request<pb::GetOrganizationRequest>,
) -> Reply<pb::GetOrganizationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    Ok(Response::new(pb::GetOrganizationResponse {
        organization: Some(organization_to_proto(&scope.organization)),
    }))
}

pub(super) async fn list_organizations(
    grpc: &OrganizationGrpc,
    request: Request<pb::ListOrganizationsRequest>,
) -> Reply<pb::ListOrganizationsResponse> {
    let (caller, admin) = rpc::user(&request)?;
    let body = request.into_inner();
    let cursor = Cursor::parse(
        body.page_size,
        &body.page_token,
        &format!("all={}", body.all),
    )?;
    let (rows, next_page_token) = grpc
        .orgs
        .list(&caller, admin.as_ref(), body.all, &cursor)
        .await?;
    Ok(Response::new(pb::ListOrganizationsResponse {
        organizations: rows.iter().map(organization_to_proto).collect(),
        next_page_token,
    }))
}

pub(super) async fn update_organization(
    grpc: &OrganizationGrpc,
    request: Request<pb::UpdateOrganizationRequest>,
) -> Reply<pb::UpdateOrganizationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let paths = update_mask::paths(body.update_mask, &["name", "slug", "metadata"])?;
    let given = body.organization.unwrap_or_default();
    let mut changes = OrganizationChanges::default();
    for path in paths {
        match path.as_str() {
            "name" => changes.name = Some(given.name.clone()),
            "slug" => changes.slug = Some(given.slug.clone()),
            _ => {
                changes.metadata = Some(metadata::parse(
                    "organization.metadata",
                    given.metadata.clone(),
                )?);
            }
        }
    }
    let organization = grpc.orgs.update(&scope, changes).await?;
    Ok(Response::new(pb::UpdateOrganizationResponse {
        organization: Some(organization_to_proto(&organization)),
    }))
}

pub(super) async fn delete_organization(
    grpc: &OrganizationGrpc,
    request: Request<pb::DeleteOrganizationRequest>,
) -> Reply<pb::DeleteOrganizationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs.delete(&scope).await?;
    Ok(Response::new(pb::DeleteOrganizationResponse {}))
}

pub(super) async fn leave_organization(
    grpc: &OrganizationGrpc,
    request: Request<pb::LeaveOrganizationRequest>,
) -> Reply<pb::LeaveOrganizationResponse> {
    let (caller, client) = (principal(&request)?, client_info(&request));
    grpc.orgs
        .leave(
            &caller,
            &OrganizationId::parse("organization_id", &request.get_ref().organization_id)?,
            &client,
        )
        .await?;
    Ok(Response::new(pb::LeaveOrganizationResponse {}))
}
