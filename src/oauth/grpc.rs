//! OAuthClientService over gRPC: converts the request, obtains the `OrgScope` for the
//! permission the contract declares (via the access layer), calls one domain function and
//! maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    IssuedClient, OAuthClients,
    convert::{
        UPDATABLE_PATHS, client_to_proto, client_type, create_request, previous_secret_ttl,
        update_request,
    },
};
use crate::{
    error::Error,
    ids::OAuthClientId,
    orgs::{OrgScope, Organizations, grpc::org_scope},
    proto::janua::oauth::v1::{self as pb, o_auth_client_service_server::OAuthClientService},
    store::Cursor,
    update_mask,
};

pub struct OAuthClientGrpc {
    clients: Arc<OAuthClients>,
    orgs: Arc<Organizations>,
}

impl OAuthClientGrpc {
    pub fn new(clients: Arc<OAuthClients>, orgs: Arc<Organizations>) -> Self {
        Self { clients, orgs }
    }

    async fn scope<T>(
        &self,
        request: &Request<T>,
        organization_id: &str,
    ) -> Result<OrgScope, Status> {
        org_scope(&self.orgs, request, organization_id).await
    }
}

type Reply<T> = Result<Response<T>, Status>;

fn client_id(raw: &str) -> Result<OAuthClientId, Error> {
    OAuthClientId::parse("client_id", raw)
}

/// A client with its just-issued secret, as Create and Rotate answer.
fn issued_to_proto(issued: IssuedClient) -> (Option<pb::OAuthClient>, String) {
    (
        Some(client_to_proto(&issued.client)),
        issued.secret.unwrap_or_default(),
    )
}

#[tonic::async_trait]
impl OAuthClientService for OAuthClientGrpc {
    async fn create_o_auth_client(
        &self,
        request: Request<pb::CreateOAuthClientRequest>,
    ) -> Reply<pb::CreateOAuthClientResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let client_type = client_type(body.client_type)?;
        let issued = self
            .clients
            .create_client(&scope, client_type, create_request(body))
            .await?;
        let (client, client_secret) = issued_to_proto(issued);
        Ok(Response::new(pb::CreateOAuthClientResponse {
            client,
            client_secret,
        }))
    }

    async fn get_o_auth_client(
        &self,
        request: Request<pb::GetOAuthClientRequest>,
    ) -> Reply<pb::GetOAuthClientResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let client = self
            .clients
            .get_client(&scope, &client_id(&request.get_ref().client_id)?)
            .await?;
        Ok(Response::new(pb::GetOAuthClientResponse {
            client: Some(client_to_proto(&client)),
        }))
    }

    async fn list_o_auth_clients(
        &self,
        request: Request<pb::ListOAuthClientsRequest>,
    ) -> Reply<pb::ListOAuthClientsResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.get_ref();
        let cursor = Cursor::parse(body.page_size, &body.page_token, &body.organization_id)?;
        let (clients, next_page_token) = self.clients.list_clients(&scope, &cursor).await?;
        Ok(Response::new(pb::ListOAuthClientsResponse {
            clients: clients.iter().map(client_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_o_auth_client(
        &self,
        request: Request<pb::UpdateOAuthClientRequest>,
    ) -> Reply<pb::UpdateOAuthClientResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = client_id(&body.client_id)?;
        let paths = update_mask::paths(body.update_mask, UPDATABLE_PATHS)?;
        let changes = update_request(body.client.unwrap_or_default(), &paths);
        let client = self.clients.update_client(&scope, &id, changes).await?;
        Ok(Response::new(pb::UpdateOAuthClientResponse {
            client: Some(client_to_proto(&client)),
        }))
    }

    async fn delete_o_auth_client(
        &self,
        request: Request<pb::DeleteOAuthClientRequest>,
    ) -> Reply<pb::DeleteOAuthClientResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.clients
            .delete_client(&scope, &client_id(&request.get_ref().client_id)?)
            .await?;
        Ok(Response::new(pb::DeleteOAuthClientResponse {}))
    }

    async fn rotate_o_auth_client_secret(
        &self,
        request: Request<pb::RotateOAuthClientSecretRequest>,
    ) -> Reply<pb::RotateOAuthClientSecretResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = client_id(&body.client_id)?;
        let ttl = previous_secret_ttl(body.previous_secret_ttl)?;
        let issued = self.clients.rotate_secret(&scope, &id, ttl).await?;
        let (client, client_secret) = issued_to_proto(issued);
        Ok(Response::new(pb::RotateOAuthClientSecretResponse {
            client,
            client_secret,
        }))
    }
}
