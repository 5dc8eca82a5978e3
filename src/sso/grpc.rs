//! SsoService over gRPC: converts the request, obtains the `OrgScope` for connection
//! management (permission from the contract, via the access layer), calls the domain, and
//! maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    Sso,
    convert::{UPDATABLE_PATHS, connection_to_proto, create_draft, update_draft},
    start::StartTarget,
};
use crate::{
    auth::grpc::{client_info, signed_in},
    error::Error,
    orgs::{OrgScope, Organizations, grpc::org_scope},
    proto::janua::sso::v1::{
        self as pb, sso_service_server::SsoService, start_sso_request::Target,
    },
    store::Page,
    update_mask,
};

pub struct SsoGrpc {
    sso: Arc<Sso>,
    orgs: Arc<Organizations>,
}

impl SsoGrpc {
    pub fn new(sso: Arc<Sso>, orgs: Arc<Organizations>) -> Self {
        Self { sso, orgs }
    }

    async fn scope<T>(
        &self,
        request: &Request<T>,
        organization_id: &str,
    ) -> Result<OrgScope, Status> {
        org_scope(&self.orgs, request, organization_id).await
    }

    fn to_proto(&self, connection: &super::Connection) -> pb::SsoConnection {
        connection_to_proto(connection, self.sso.issuer())
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl SsoService for SsoGrpc {
    async fn create_sso_connection(
        &self,
        request: Request<pb::CreateSsoConnectionRequest>,
    ) -> Reply<pb::CreateSsoConnectionResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let draft = create_draft(request.into_inner());
        let connection = self.sso.create_connection(&scope, draft).await?;
        Ok(Response::new(pb::CreateSsoConnectionResponse {
            connection: Some(self.to_proto(&connection)),
        }))
    }

    async fn get_sso_connection(
        &self,
        request: Request<pb::GetSsoConnectionRequest>,
    ) -> Reply<pb::GetSsoConnectionResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let connection = self
            .sso
            .get_connection(&scope, &request.get_ref().connection_id)
            .await?;
        Ok(Response::new(pb::GetSsoConnectionResponse {
            connection: Some(self.to_proto(&connection)),
        }))
    }

    async fn list_sso_connections(
        &self,
        request: Request<pb::ListSsoConnectionsRequest>,
    ) -> Reply<pb::ListSsoConnectionsResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.get_ref();
        let page = Page::parse(body.page_size, &body.page_token)?;
        let (connections, next_page_token) = self.sso.list_connections(&scope, page).await?;
        Ok(Response::new(pb::ListSsoConnectionsResponse {
            connections: connections.iter().map(|c| self.to_proto(c)).collect(),
            next_page_token,
        }))
    }

    async fn update_sso_connection(
        &self,
        request: Request<pb::UpdateSsoConnectionRequest>,
    ) -> Reply<pb::UpdateSsoConnectionResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let paths = update_mask::paths(body.update_mask, UPDATABLE_PATHS)?;
        let current = self.sso.get_connection(&scope, &body.connection_id).await?;
        let draft = update_draft(&current, body.connection.unwrap_or_default(), &paths);
        let connection = self.sso.update_connection(&scope, current, draft).await?;
        Ok(Response::new(pb::UpdateSsoConnectionResponse {
            connection: Some(self.to_proto(&connection)),
        }))
    }

    async fn delete_sso_connection(
        &self,
        request: Request<pb::DeleteSsoConnectionRequest>,
    ) -> Reply<pb::DeleteSsoConnectionResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.sso
            .delete_connection(&scope, &request.get_ref().connection_id)
            .await?;
        Ok(Response::new(pb::DeleteSsoConnectionResponse {}))
    }

    async fn start_sso(
        &self,
        request: Request<pb::StartSsoRequest>,
    ) -> Reply<pb::StartSsoResponse> {
        let body = request.into_inner();
        let target = match body.target {
            Some(Target::Email(email)) => StartTarget::Email(email),
            Some(Target::OrganizationId(id)) => StartTarget::Organization(id),
            Some(Target::ConnectionId(id)) => StartTarget::Connection(id),
            Some(Target::Provider(provider)) => StartTarget::Provider(provider),
            None => {
                return Err(Error::invalid(
                    "target",
                    "give one of email, organization_id, connection_id or provider",
                )
                .into());
            }
        };
        let url = self.sso.start(target, &body.redirect_uri).await?;
        Ok(Response::new(pb::StartSsoResponse {
            redirect_url: url.into(),
        }))
    }

    async fn exchange_sso_code(
        &self,
        request: Request<pb::ExchangeSsoCodeRequest>,
    ) -> Reply<pb::ExchangeSsoCodeResponse> {
        let client = client_info(&request);
        let result = self
            .sso
            .exchange_code(&request.get_ref().code, &client)
            .await?;
        let (user, tokens) = signed_in(result);
        Ok(Response::new(pb::ExchangeSsoCodeResponse { user, tokens }))
    }
}
