//! MfaService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated default),
//! never a fake answer.

use crate::proto::janua::mfa::v1::mfa_service_server::MfaService;

pub struct MfaGrpc;

impl MfaService for MfaGrpc {}
