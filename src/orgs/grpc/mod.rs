//! OrganizationService over gRPC: converts the request, obtains the `OrgScope` for the RPC's
//! declared requirement (from the contract, via the access layer), calls one domain
//! function, and maps the result. No rules here.
//!
//! This file holds the service, the scope it obtains for each RPC, and the one
//! `impl OrganizationService`, which hands each RPC to its sub-resource's file:
//! `organizations`, `members` (members and invitations), `roles` (roles and permission
//! checks) and `api_keys`.

mod api_keys;
mod members;
mod organizations;
mod roles;

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{OrgScope, Organizations};
use crate::{
    ids::OrganizationId,
    proto::janua::orgs::v1::{self as pb, organization_service_server::OrganizationService},
    rpc::{self, client_info},
};

pub struct OrganizationGrpc {
    orgs: Arc<Organizations>,
}

impl OrganizationGrpc {
    pub fn new(orgs: Arc<Organizations>) -> Self {
        Self { orgs }
    }

    async fn scope<T>(
        &self,
        request: &Request<T>,
        organization_id: &str,
    ) -> Result<OrgScope, Status> {
        org_scope(&self.orgs, request, organization_id).await
    }
}

/// The caller of an organization RPC (the access layer's `Proof::Organization`), cleared for
/// the permission the RPC declares in the contract in `organization_id`.
pub(crate) async fn org_scope<T>(
    orgs: &Organizations,
    request: &Request<T>,
    organization_id: &str,
) -> Result<OrgScope, Status> {
    let requirement = rpc::requirement(request)?;
    let organization_id = OrganizationId::parse("organization_id", organization_id)?;
    Ok(orgs
        .authorize(
            &rpc::organization_caller(request)?,
            &requirement,
            &organization_id,
            client_info(request),
        )
        .await?)
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl OrganizationService for OrganizationGrpc {
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Reply<pb::CreateOrganizationResponse> {
        organizations::create_organization(self, request).await
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Reply<pb::GetOrganizationResponse> {
        organizations::get_organization(self, request).await
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Reply<pb::ListOrganizationsResponse> {
        organizations::list_organizations(self, request).await
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Reply<pb::UpdateOrganizationResponse> {
        organizations::update_organization(self, request).await
    }

    async fn delete_organization(
        &self,
        request: Request<pb::DeleteOrganizationRequest>,
    ) -> Reply<pb::DeleteOrganizationResponse> {
        organizations::delete_organization(self, request).await
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Reply<pb::ListMembersResponse> {
        members::list_members(self, request).await
    }

    async fn add_member(
        &self,
        request: Request<pb::AddMemberRequest>,
    ) -> Reply<pb::AddMemberResponse> {
        members::add_member(self, request).await
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Reply<pb::UpdateMemberResponse> {
        members::update_member(self, request).await
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Reply<pb::RemoveMemberResponse> {
        members::remove_member(self, request).await
    }

    async fn leave_organization(
        &self,
        request: Request<pb::LeaveOrganizationRequest>,
    ) -> Reply<pb::LeaveOrganizationResponse> {
        organizations::leave_organization(self, request).await
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Reply<pb::TransferOwnershipResponse> {
        members::transfer_ownership(self, request).await
    }

    async fn create_invitation(
        &self,
        request: Request<pb::CreateInvitationRequest>,
    ) -> Reply<pb::CreateInvitationResponse> {
        members::create_invitation(self, request).await
    }

    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Reply<pb::ListInvitationsResponse> {
        members::list_invitations(self, request).await
    }

    async fn revoke_invitation(
        &self,
        request: Request<pb::RevokeInvitationRequest>,
    ) -> Reply<pb::RevokeInvitationResponse> {
        members::revoke_invitation(self, request).await
    }

    async fn resend_invitation(
        &self,
        request: Request<pb::ResendInvitationRequest>,
    ) -> Reply<pb::ResendInvitationResponse> {
        members::resend_invitation(self, request).await
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Reply<pb::AcceptInvitationResponse> {
        members::accept_invitation(self, request).await
    }

    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Reply<pb::ListRolesResponse> {
        roles::list_roles(self, request).await
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Reply<pb::CreateRoleResponse> {
        roles::create_role(self, request).await
    }

    async fn update_role(
        &self,
        request: Request<pb::UpdateRoleRequest>,
    ) -> Reply<pb::UpdateRoleResponse> {
        roles::update_role(self, request).await
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Reply<pb::DeleteRoleResponse> {
        roles::delete_role(self, request).await
    }

    async fn check_permission(
        &self,
        request: Request<pb::CheckPermissionRequest>,
    ) -> Reply<pb::CheckPermissionResponse> {
        roles::check_permission(self, request).await
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Reply<pb::CreateApiKeyResponse> {
        api_keys::create_api_key(self, request).await
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Reply<pb::ListApiKeysResponse> {
        api_keys::list_api_keys(self, request).await
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Reply<pb::RevokeApiKeyResponse> {
        api_keys::revoke_api_key(self, request).await
    }
}
