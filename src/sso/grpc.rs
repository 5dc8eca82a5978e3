//! SsoService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated default),
//! never a fake answer.

use crate::proto::janua::sso::v1::sso_service_server::SsoService;

pub struct SsoGrpc;

impl SsoService for SsoGrpc {}
