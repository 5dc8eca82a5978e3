//! OrganizationService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated default),
//! never a fake answer.

use crate::proto::janua::orgs::v1::organization_service_server::OrganizationService;

pub struct OrganizationGrpc;

impl OrganizationService for OrganizationGrpc {}
