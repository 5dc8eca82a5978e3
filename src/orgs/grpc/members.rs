//! The member and invitation RPCs: list, add, update and remove members, transfer ownership,
//! and create, list, revoke, resend and accept invitations. Each converts the request, takes
//! the caller or the `OrgScope`, calls one domain function and maps the result; no rules here.

use tonic::{Request, Response};

use super::{OrganizationGrpc, Reply};
use crate::{
    credentials::Email,
    ids::{InvitationId, UserId},
    orgs::convert::{invitation_to_proto, member_to_proto},
    proto::janua::orgs::v1 as pb,
    rpc::{client_info, principal},
    store::Cursor,
};

pub(super) async fn list_members(
    grpc: &OrganizationGrpc,
    request: Request<pb::ListMembersRequest>,
) -> Reply<pb::ListMembersResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
    let (rows, next_page_token) = grpc.orgs.list_members(&scope, &cursor).await?;
    Ok(Response::new(pb::ListMembersResponse {
        members: rows.iter().map(member_to_proto).collect(),
        next_page_token,
    }))
}

pub(super) async fn add_member(
    grpc: &OrganizationGrpc,
    request: Request<pb::AddMemberRequest>,
) -> Reply<pb::AddMemberResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let invitation = grpc
        .orgs
        .add_member(
            &scope,
            &UserId::parse("user_id", &body.user_id)?,
            &body.role,
        )
        .await?;
    #[expect(deprecated, reason = "`member` stays in the contract, never set")]
    let response = pb::AddMemberResponse {
        member: None,
        invitation: Some(invitation_to_proto(&invitation)),
    };
    Ok(Response::new(response))
}

pub(super) async fn update_member(
    grpc: &OrganizationGrpc,
    request: Request<pb::UpdateMemberRequest>,
) -> Reply<pb::UpdateMemberResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let member = grpc
        .orgs
        .update_member(
            &scope,
            &UserId::parse("user_id", &body.user_id)?,
            &body.role,
        )
        .await?;
    Ok(Response::new(pb::UpdateMemberResponse {
        member: Some(member_to_proto(&member)),
    }))
}

pub(super) async fn remove_member(
    grpc: &OrganizationGrpc,
    request: Request<pb::RemoveMemberRequest>,
) -> Reply<pb::RemoveMemberResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs
        .remove_member(
            &scope,
            &UserId::parse("user_id", &request.get_ref().user_id)?,
        )
        .await?;
    Ok(Response::new(pb::RemoveMemberResponse {}))
}

pub(super) async fn transfer_ownership(
    grpc: &OrganizationGrpc,
    request: Request<pb::TransferOwnershipRequest>,
) -> Reply<pb::TransferOwnershipResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs
        .transfer_ownership(
            &scope,
            &UserId::parse("user_id", &request.get_ref().user_id)?,
        )
        .await?;
    Ok(Response::new(pb::TransferOwnershipResponse {}))
}

pub(super) async fn create_invitation(
    grpc: &OrganizationGrpc,
    request: Request<pb::CreateInvitationRequest>,
) -> Reply<pb::CreateInvitationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let invitation = grpc
        .orgs
        .create_invitation(&scope, &Email::parse("email", &body.email)?, &body.role)
        .await?;
    Ok(Response::new(pb::CreateInvitationResponse {
        invitation: Some(invitation_to_proto(&invitation)),
    }))
}

pub(super) async fn list_invitations(
    grpc: &OrganizationGrpc,
    request: Request<pb::ListInvitationsRequest>,
) -> Reply<pb::ListInvitationsResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
    let (rows, next_page_token) = grpc.orgs.list_invitations(&scope, &cursor).await?;
    Ok(Response::new(pb::ListInvitationsResponse {
        invitations: rows.iter().map(invitation_to_proto).collect(),
        next_page_token,
    }))
}

pub(super) async fn revoke_invitation(
    grpc: &OrganizationGrpc,
    request: Request<pb::RevokeInvitationRequest>,
) -> Reply<pb::RevokeInvitationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs
        .revoke_invitation(
            &scope,
            &InvitationId::parse("invitation_id", &request.get_ref().invitation_id)?,
        )
        .await?;
    Ok(Response::new(pb::RevokeInvitationResponse {}))
}

pub(super) async fn resend_invitation(
    grpc: &OrganizationGrpc,
    request: Request<pb::ResendInvitationRequest>,
) -> Reply<pb::ResendInvitationResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let invitation = grpc
        .orgs
        .resend_invitation(
            &scope,
            &InvitationId::parse("invitation_id", &request.get_ref().invitation_id)?,
        )
        .await?;
    Ok(Response::new(pb::ResendInvitationResponse {
        invitation: Some(invitation_to_proto(&invitation)),
    }))
}

pub(super) async fn accept_invitation(
    grpc: &OrganizationGrpc,
    request: Request<pb::AcceptInvitationRequest>,
) -> Reply<pb::AcceptInvitationResponse> {
    let (caller, client) = (principal(&request)?, client_info(&request));
    let member = grpc
        .orgs
        .accept_invitation(&caller, &request.get_ref().token, &client)
        .await?;
    Ok(Response::new(pb::AcceptInvitationResponse {
        member: Some(member_to_proto(&member)),
    }))
}
