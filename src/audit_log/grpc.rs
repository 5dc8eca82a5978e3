//! AuditService over gRPC: converts the request, calls one domain function with the caller,
//! and maps the result. No rules here: who may read which events is decided in `AuditLog`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    convert::event_to_proto,
    query::{AuditLog, EventFilter},
};
use crate::{
    ids::OrganizationId,
    metadata::parse_timestamp,
    proto::janua::audit::v1::{self as pb, audit_service_server::AuditService},
    rpc::{self, client_info},
    store::Cursor,
};

pub struct AuditGrpc {
    log: Arc<AuditLog>,
}

impl AuditGrpc {
    pub fn new(log: Arc<AuditLog>) -> Self {
        Self { log }
    }
}

/// A request's optional text: None when empty or blank.
fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[tonic::async_trait]
impl AuditService for AuditGrpc {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let ((user, admin), client) = (rpc::user(&request)?, client_info(&request));
        let requirement = rpc::requirement(&request)?;
        let body = request.into_inner();
        let filter = EventFilter {
            organization_id: OrganizationId::parse_optional(
                "organization_id",
                body.organization_id.trim(),
            )?,
            actor_id: given(&body.actor_id),
            action: given(&body.action),
            start: parse_timestamp("start_time", body.start_time)?,
            end: parse_timestamp("end_time", body.end_time)?,
        };
        let fingerprint = format!(
            "organization_id={:?}&actor_id={:?}&action={:?}&start={:?}&end={:?}",
            filter.organization_id, filter.actor_id, filter.action, filter.start, filter.end
        );
        let cursor = Cursor::parse(body.page_size, &body.page_token, &fingerprint)?;
        let (rows, next_page_token) = self
            .log
            .list(
                (&user, admin.as_ref()),
                requirement.permission.as_deref(),
                &filter,
                &cursor,
                client,
            )
            .await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            audit_events: rows.iter().map(event_to_proto).collect(),
            next_page_token,
        }))
    }
}
