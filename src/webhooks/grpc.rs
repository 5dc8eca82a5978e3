//! WebhookService over gRPC: converts the request, resolves the `Owner` (an organization
//! with the permission the contract declares, or the platform for administrators), calls one
//! domain function and maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    Owner, Webhooks,
    convert::{
        UPDATABLE_PATHS, create_request, delivery_to_proto, endpoint_to_proto, previous_secret_ttl,
        update_request,
    },
};
use crate::{
    error::Error,
    ids::{OrganizationId, WebhookDeliveryId, WebhookEndpointId},
    proto::janua::webhooks::v1::{self as pb, webhook_service_server::WebhookService},
    rpc::{self, client_info},
    store::Cursor,
    update_mask,
    webhook_events::EVENT_TYPES,
};

pub struct WebhookGrpc {
    webhooks: Arc<Webhooks>,
}

impl WebhookGrpc {
    pub fn new(webhooks: Arc<Webhooks>) -> Self {
        Self { webhooks }
    }

    /// The owner the request names by its `organization_id` (empty: the platform).
    async fn owner<T>(&self, request: &Request<T>, organization_id: &str) -> Result<Owner, Status> {
        let user = rpc::user(request)?;
        let requirement = rpc::requirement(request)?;
        let organization_id =
            OrganizationId::parse_optional("organization_id", organization_id.trim())?;
        Ok(Owner::resolve(
            self.webhooks.db(),
            user,
            requirement.permission.as_deref(),
            organization_id,
            client_info(request),
        )
        .await?)
    }
}

type Reply<T> = Result<Response<T>, Status>;

fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, Error> {
    WebhookEndpointId::parse("endpoint_id", raw)
}

#[tonic::async_trait]
impl WebhookService for WebhookGrpc {
    async fn create_webhook_endpoint(
        &self,
        request: Request<pb::CreateWebhookEndpointRequest>,
    ) -> Reply<pb::CreateWebhookEndpointResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let issued = self
            .webhooks
            .create_endpoint(&owner, create_request(request.into_inner()))
            .await?;
        Ok(Response::new(pb::CreateWebhookEndpointResponse {
            endpoint: Some(endpoint_to_proto(&issued.endpoint)),
            secret: issued.secret,
        }))
    }

    async fn get_webhook_endpoint(
        &self,
        request: Request<pb::GetWebhookEndpointRequest>,
    ) -> Reply<pb::GetWebhookEndpointResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let id = endpoint_id(&request.get_ref().endpoint_id)?;
        let row = self.webhooks.get_endpoint(&owner, &id).await?;
        Ok(Response::new(pb::GetWebhookEndpointResponse {
            endpoint: Some(endpoint_to_proto(&row)),
        }))
    }

    async fn list_webhook_endpoints(
        &self,
        request: Request<pb::ListWebhookEndpointsRequest>,
    ) -> Reply<pb::ListWebhookEndpointsResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let fingerprint = format!("organization_id={}", body.organization_id.trim());
        let cursor = Cursor::parse(body.page_size, &body.page_token, &fingerprint)?;
        let (rows, next_page_token) = self.webhooks.list_endpoints(&owner, &cursor).await?;
        Ok(Response::new(pb::ListWebhookEndpointsResponse {
            endpoints: rows.iter().map(endpoint_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_webhook_endpoint(
        &self,
        request: Request<pb::UpdateWebhookEndpointRequest>,
    ) -> Reply<pb::UpdateWebhookEndpointResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = endpoint_id(&body.endpoint_id)?;
        let paths = update_mask::paths(body.update_mask, UPDATABLE_PATHS)?;
        let given = body
            .endpoint
            .ok_or_else(|| Error::invalid("endpoint", "is required"))?;
        let row = self
            .webhooks
            .update_endpoint(&owner, &id, update_request(given, &paths))
            .await?;
        Ok(Response::new(pb::UpdateWebhookEndpointResponse {
            endpoint: Some(endpoint_to_proto(&row)),
        }))
    }

    async fn delete_webhook_endpoint(
        &self,
        request: Request<pb::DeleteWebhookEndpointRequest>,
    ) -> Reply<pb::DeleteWebhookEndpointResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let id = endpoint_id(&request.get_ref().endpoint_id)?;
        self.webhooks.delete_endpoint(&owner, &id).await?;
        Ok(Response::new(pb::DeleteWebhookEndpointResponse {}))
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<pb::RotateWebhookSecretRequest>,
    ) -> Reply<pb::RotateWebhookSecretResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = endpoint_id(&body.endpoint_id)?;
        let ttl = previous_secret_ttl(body.previous_secret_ttl)?;
        let issued = self.webhooks.rotate_secret(&owner, &id, ttl).await?;
        Ok(Response::new(pb::RotateWebhookSecretResponse {
            endpoint: Some(endpoint_to_proto(&issued.endpoint)),
            secret: issued.secret,
        }))
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Reply<pb::ListWebhookDeliveriesResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = endpoint_id(&body.endpoint_id)?;
        let fingerprint = format!(
            "organization_id={}&endpoint_id={id}",
            body.organization_id.trim()
        );
        let cursor = Cursor::parse(body.page_size, &body.page_token, &fingerprint)?;
        let (rows, next_page_token) = self.webhooks.list_deliveries(&owner, &id, &cursor).await?;
        Ok(Response::new(pb::ListWebhookDeliveriesResponse {
            deliveries: rows.iter().map(delivery_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn redeliver_webhook(
        &self,
        request: Request<pb::RedeliverWebhookRequest>,
    ) -> Reply<pb::RedeliverWebhookResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let body = request.into_inner();
        let id = endpoint_id(&body.endpoint_id)?;
        let delivery_id = WebhookDeliveryId::parse("delivery_id", &body.delivery_id)?;
        let delivery = self.webhooks.redeliver(&owner, &id, &delivery_id).await?;
        Ok(Response::new(pb::RedeliverWebhookResponse {
            delivery: Some(delivery_to_proto(&delivery)),
        }))
    }

    async fn send_test_webhook(
        &self,
        request: Request<pb::SendTestWebhookRequest>,
    ) -> Reply<pb::SendTestWebhookResponse> {
        let owner = self
            .owner(&request, &request.get_ref().organization_id)
            .await?;
        let id = endpoint_id(&request.get_ref().endpoint_id)?;
        let delivery = self.webhooks.send_test(&owner, &id).await?;
        Ok(Response::new(pb::SendTestWebhookResponse {
            delivery: Some(delivery_to_proto(&delivery)),
        }))
    }

    async fn list_event_types(
        &self,
        _request: Request<pb::ListEventTypesRequest>,
    ) -> Reply<pb::ListEventTypesResponse> {
        Ok(Response::new(pb::ListEventTypesResponse {
            event_types: EVENT_TYPES
                .iter()
                .map(|(name, description)| pb::EventType {
                    name: (*name).to_owned(),
                    description: (*description).to_owned(),
                })
                .collect(),
        }))
    }
}
