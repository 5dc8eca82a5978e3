//! OrganizationService over gRPC: converts the request, obtains the `OrgScope` for the RPC's
//! declared requirement (from the contract, via the access layer), calls one domain
//! function, and maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    OrgScope, OrganizationChanges, Organizations, RoleChanges,
    convert::{
        api_key_to_proto, invitation_to_proto, member_to_proto, organization_to_proto,
        role_to_proto,
    },
};
use crate::{
    metadata,
    proto::janua::orgs::v1::{self as pb, organization_service_server::OrganizationService},
    rpc::{self, client_info, principal},
    store::{Cursor, Page},
    update_mask,
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
    Ok(orgs
        .authorize(
            &rpc::organization_caller(request)?,
            &requirement,
            organization_id,
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
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        let metadata = metadata::parse("metadata", body.metadata)?;
        let organization = self
            .orgs
            .create(&caller, &body.name, &body.slug, metadata, &client)
            .await?;
        Ok(Response::new(pb::CreateOrganizationResponse {
            organization: Some(organization_to_proto(&organization)),
        }))
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Reply<pb::GetOrganizationResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        Ok(Response::new(pb::GetOrganizationResponse {
            organization: Some(organization_to_proto(&scope.organization)),
        }))
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Reply<pb::ListOrganizationsResponse> {
        let (caller, admin) = rpc::user(&request)?;
        let body = request.into_inner();
        let cursor = Cursor::parse(
            body.page_size,
            &body.page_token,
            &format!("all={}", body.all),
        )?;
        let (rows, next_page_token) = self
            .orgs
            .list(&caller, admin.as_ref(), body.all, &cursor)
            .await?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: rows.iter().map(organization_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Reply<pb::UpdateOrganizationResponse> {
        let scope = self
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
        let organization = self.orgs.update(&scope, changes).await?;
        Ok(Response::new(pb::UpdateOrganizationResponse {
            organization: Some(organization_to_proto(&organization)),
        }))
    }

    async fn delete_organization(
        &self,
        request: Request<pb::DeleteOrganizationRequest>,
    ) -> Reply<pb::DeleteOrganizationResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs.delete(&scope).await?;
        Ok(Response::new(pb::DeleteOrganizationResponse {}))
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Reply<pb::ListMembersResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
        let (rows, next_page_token) = self.orgs.list_members(&scope, &cursor).await?;
        Ok(Response::new(pb::ListMembersResponse {
            members: rows.iter().map(member_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn add_member(
        &self,
        request: Request<pb::AddMemberRequest>,
    ) -> Reply<pb::AddMemberResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let invitation = self
            .orgs
            .add_member(&scope, &body.user_id, &body.role)
            .await?;
        #[expect(deprecated, reason = "`member` stays in the contract, never set")]
        let response = pb::AddMemberResponse {
            member: None,
            invitation: Some(invitation_to_proto(&invitation)),
        };
        Ok(Response::new(response))
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> Reply<pb::UpdateMemberResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let member = self
            .orgs
            .update_member(&scope, &body.user_id, &body.role)
            .await?;
        Ok(Response::new(pb::UpdateMemberResponse {
            member: Some(member_to_proto(&member)),
        }))
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Reply<pb::RemoveMemberResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs
            .remove_member(&scope, &request.get_ref().user_id)
            .await?;
        Ok(Response::new(pb::RemoveMemberResponse {}))
    }

    async fn leave_organization(
        &self,
        request: Request<pb::LeaveOrganizationRequest>,
    ) -> Reply<pb::LeaveOrganizationResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        self.orgs
            .leave(&caller, &request.get_ref().organization_id, &client)
            .await?;
        Ok(Response::new(pb::LeaveOrganizationResponse {}))
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Reply<pb::TransferOwnershipResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs
            .transfer_ownership(&scope, &request.get_ref().user_id)
            .await?;
        Ok(Response::new(pb::TransferOwnershipResponse {}))
    }

    async fn create_invitation(
        &self,
        request: Request<pb::CreateInvitationRequest>,
    ) -> Reply<pb::CreateInvitationResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let invitation = self
            .orgs
            .create_invitation(&scope, &body.email, &body.role)
            .await?;
        Ok(Response::new(pb::CreateInvitationResponse {
            invitation: Some(invitation_to_proto(&invitation)),
        }))
    }

    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Reply<pb::ListInvitationsResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
        let (rows, next_page_token) = self.orgs.list_invitations(&scope, &cursor).await?;
        Ok(Response::new(pb::ListInvitationsResponse {
            invitations: rows.iter().map(invitation_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn revoke_invitation(
        &self,
        request: Request<pb::RevokeInvitationRequest>,
    ) -> Reply<pb::RevokeInvitationResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs
            .revoke_invitation(&scope, &request.get_ref().invitation_id)
            .await?;
        Ok(Response::new(pb::RevokeInvitationResponse {}))
    }

    async fn resend_invitation(
        &self,
        request: Request<pb::ResendInvitationRequest>,
    ) -> Reply<pb::ResendInvitationResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let invitation = self
            .orgs
            .resend_invitation(&scope, &request.get_ref().invitation_id)
            .await?;
        Ok(Response::new(pb::ResendInvitationResponse {
            invitation: Some(invitation_to_proto(&invitation)),
        }))
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Reply<pb::AcceptInvitationResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let member = self
            .orgs
            .accept_invitation(&caller, &request.get_ref().token, &client)
            .await?;
        Ok(Response::new(pb::AcceptInvitationResponse {
            member: Some(member_to_proto(&member)),
        }))
    }

    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Reply<pb::ListRolesResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let page = Page::parse(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self.orgs.list_roles(&scope, page).await?;
        Ok(Response::new(pb::ListRolesResponse {
            roles: rows
                .into_iter()
                .map(|r| role_to_proto(scope.organization_id(), r))
                .collect(),
            next_page_token,
        }))
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Reply<pb::CreateRoleResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let role = self
            .orgs
            .create_role(&scope, &body.name, &body.description, &body.permissions)
            .await?;
        Ok(Response::new(pb::CreateRoleResponse {
            role: Some(role_to_proto(scope.organization_id(), role)),
        }))
    }

    async fn update_role(
        &self,
        request: Request<pb::UpdateRoleRequest>,
    ) -> Reply<pb::UpdateRoleResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let paths = update_mask::paths(body.update_mask, &["name", "description", "permissions"])?;
        let given = body.role.unwrap_or_default();
        let mut changes = RoleChanges::default();
        for path in paths {
            match path.as_str() {
                "name" => changes.name = Some(given.name.clone()),
                "description" => changes.description = Some(given.description.clone()),
                _ => changes.permissions = Some(given.permissions.clone()),
            }
        }
        let role = self
            .orgs
            .update_role(&scope, &body.role_id, changes)
            .await?;
        Ok(Response::new(pb::UpdateRoleResponse {
            role: Some(role_to_proto(scope.organization_id(), role)),
        }))
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Reply<pb::DeleteRoleResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs
            .delete_role(&scope, &request.get_ref().role_id)
            .await?;
        Ok(Response::new(pb::DeleteRoleResponse {}))
    }

    async fn check_permission(
        &self,
        request: Request<pb::CheckPermissionRequest>,
    ) -> Reply<pb::CheckPermissionResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let requirement = rpc::requirement(&request)?;
        let others = requirement.other_user_permission.as_deref();
        let body = request.into_inner();
        let allowed = self
            .orgs
            .check_permission(&scope, &body.permission, &body.user_id, others)
            .await?;
        Ok(Response::new(pb::CheckPermissionResponse { allowed }))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Reply<pb::CreateApiKeyResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let expires_at = metadata::parse_timestamp("expire_time", body.expire_time)?;
        let created = self
            .orgs
            .create_api_key(&scope, &body.name, &body.role, expires_at)
            .await?;
        Ok(Response::new(pb::CreateApiKeyResponse {
            api_key: Some(api_key_to_proto(&created.key)),
            secret: created.secret,
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Reply<pb::ListApiKeysResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
        let (rows, next_page_token) = self.orgs.list_api_keys(&scope, &cursor).await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            api_keys: rows.iter().map(api_key_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Reply<pb::RevokeApiKeyResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.orgs
            .revoke_api_key(&scope, &request.get_ref().api_key_id)
            .await?;
        Ok(Response::new(pb::RevokeApiKeyResponse {}))
    }
}
