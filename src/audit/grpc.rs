//! AuditService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated default),
//! never a fake answer.

use crate::proto::janua::audit::v1::audit_service_server::AuditService;

pub struct AuditGrpc;

impl AuditService for AuditGrpc {}
