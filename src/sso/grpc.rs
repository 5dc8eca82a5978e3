//! SsoService over gRPC: converts the request, obtains the `OrgScope` for connection
//! management (permission from the contract, via the access layer), calls the domain, and
//! maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    Exchanged, Sso,
    convert::{UPDATABLE_PATHS, connection_to_proto, create_draft, domain_to_proto, update_draft},
    pending::LinkTarget,
    start::StartTarget,
};
use crate::{
    auth::grpc::login_outcome,
    credentials::Email,
    error::Error,
    ids::{ConnectionId, DomainId, OrganizationId},
    orgs::{OrgScope, Organizations, grpc::org_scope},
    proto::janua::sso::v1::{
        self as pb, sso_service_server::SsoService, start_sso_request::Target,
    },
    rpc::{self, client_info, principal},
    store::Page,
    update_mask,
    user_message::user_to_proto,
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

fn connection_id(raw: &str) -> Result<ConnectionId, Error> {
    ConnectionId::parse("connection_id", raw)
}

fn domain_id(raw: &str) -> Result<DomainId, Error> {
    DomainId::parse("domain_id", raw)
}

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
            .get_connection(&scope, &connection_id(&request.get_ref().connection_id)?)
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
        let current = self
            .sso
            .get_connection(&scope, &connection_id(&body.connection_id)?)
            .await?;
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
            .delete_connection(&scope, &connection_id(&request.get_ref().connection_id)?)
            .await?;
        Ok(Response::new(pb::DeleteSsoConnectionResponse {}))
    }

    async fn start_sso(
        &self,
        request: Request<pb::StartSsoRequest>,
    ) -> Reply<pb::StartSsoResponse> {
        // A signed-in caller links the identity to their account (`finish`).
        let link_to = principal(&request).ok().map(|p| LinkTarget {
            user_id: p.user_id.into_string(),
            session_id: p.session_id.into_string(),
        });
        let body = request.into_inner();
        let target = match body.target {
            Some(Target::Email(email)) => StartTarget::Email(Email::parse("email", &email)?),
            Some(Target::OrganizationId(id)) => {
                StartTarget::Organization(OrganizationId::parse("organization_id", &id)?)
            }
            Some(Target::ConnectionId(id)) => {
                StartTarget::Connection(ConnectionId::parse("connection_id", &id)?)
            }
            Some(Target::Provider(provider)) => StartTarget::Provider(provider),
            None => {
                return Err(Error::invalid(
                    "target",
                    "give one of email, organization_id, connection_id or provider",
                )
                .into());
            }
        };
        let url = self.sso.start(target, &body.redirect_uri, link_to).await?;
        Ok(Response::new(pb::StartSsoResponse {
            redirect_url: url.into(),
        }))
    }

    async fn exchange_sso_code(
        &self,
        request: Request<pb::ExchangeSsoCodeRequest>,
    ) -> Reply<pb::ExchangeSsoCodeResponse> {
        let client = client_info(&request);
        let caller = principal(&request).ok();
        let exchanged = self
            .sso
            .exchange_code(&request.get_ref().code, caller.as_ref(), &client)
            .await?;
        let (user, tokens, mfa_challenge) = match exchanged {
            Exchanged::SignIn(outcome) => login_outcome(outcome),
            Exchanged::Linked(account) => (Some(user_to_proto(&account)), None, None),
        };
        Ok(Response::new(pb::ExchangeSsoCodeResponse {
            user,
            tokens,
            mfa_challenge,
        }))
    }

    async fn create_domain(
        &self,
        request: Request<pb::CreateDomainRequest>,
    ) -> Reply<pb::CreateDomainResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let domain = self
            .sso
            .create_domain(&scope, &request.get_ref().domain)
            .await?;
        Ok(Response::new(pb::CreateDomainResponse {
            domain: Some(domain_to_proto(&domain)),
        }))
    }

    async fn list_domains(
        &self,
        request: Request<pb::ListDomainsRequest>,
    ) -> Reply<pb::ListDomainsResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let domains = self.sso.list_domains(&scope).await?;
        Ok(Response::new(pb::ListDomainsResponse {
            domains: domains.iter().map(domain_to_proto).collect(),
        }))
    }

    async fn verify_domain(
        &self,
        request: Request<pb::VerifyDomainRequest>,
    ) -> Reply<pb::VerifyDomainResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        let domain = self
            .sso
            .verify_domain(&scope, &domain_id(&request.get_ref().domain_id)?)
            .await?;
        Ok(Response::new(pb::VerifyDomainResponse {
            domain: Some(domain_to_proto(&domain)),
        }))
    }

    async fn approve_domain(
        &self,
        request: Request<pb::ApproveDomainRequest>,
    ) -> Reply<pb::ApproveDomainResponse> {
        let admin = rpc::admin(&request)?;
        let domain = self
            .sso
            .approve_domain(&admin, &domain_id(&request.get_ref().domain_id)?)
            .await?;
        Ok(Response::new(pb::ApproveDomainResponse {
            domain: Some(domain_to_proto(&domain)),
        }))
    }

    async fn delete_domain(
        &self,
        request: Request<pb::DeleteDomainRequest>,
    ) -> Reply<pb::DeleteDomainResponse> {
        let scope = self
            .scope(&request, &request.get_ref().organization_id)
            .await?;
        self.sso
            .delete_domain(&scope, &domain_id(&request.get_ref().domain_id)?)
            .await?;
        Ok(Response::new(pb::DeleteDomainResponse {}))
    }
}
