//! The API key RPCs: create (the secret is returned once, here), list and revoke an
//! organization's keys. Each converts the request, takes the `OrgScope`, calls one domain
//! function and maps the result; no rules here.

use tonic::{Request, Response};

use super::{OrganizationGrpc, Reply};
use crate::{
    ids::ApiKeyId, metadata, orgs::convert::api_key_to_proto, proto::janua::orgs::v1 as pb,
    store::Cursor,
};

pub(super) async fn create_api_key(
    grpc: &OrganizationGrpc,
    request: Request<pb::CreateApiKeyRequest>,
) -> Reply<pb::CreateApiKeyResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let expires_at = metadata::parse_timestamp("expire_time", body.expire_time)?;
    let created = grpc
        .orgs
        .create_api_key(&scope, &body.name, &body.role, expires_at)
        .await?;
    Ok(Response::new(pb::CreateApiKeyResponse {
        api_key: Some(api_key_to_proto(&created.key)),
        secret: created.secret,
    }))
}

pub(super) async fn list_api_keys(
    grpc: &OrganizationGrpc,
    request: Request<pb::ListApiKeysRequest>,
) -> Reply<pb::ListApiKeysResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    let body = request.into_inner();
    let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
    let (rows, next_page_token) = grpc.orgs.list_api_keys(&scope, &cursor).await?;
    Ok(Response::new(pb::ListApiKeysResponse {
        api_keys: rows.iter().map(api_key_to_proto).collect(),
        next_page_token,
    }))
}

pub(super) async fn revoke_api_key(
    grpc: &OrganizationGrpc,
    request: Request<pb::RevokeApiKeyRequest>,
) -> Reply<pb::RevokeApiKeyResponse> {
    let scope = grpc
        .scope(&request, &request.get_ref().organization_id)
        .await?;
    grpc.orgs
        .revoke_api_key(
            &scope,
            &ApiKeyId::parse("api_key_id", &request.get_ref().api_key_id)?,
        )
        .await?;
    Ok(Response::new(pb::RevokeApiKeyResponse {}))
}
