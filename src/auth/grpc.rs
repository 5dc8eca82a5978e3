//! AuthService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated
//! default), never a fake answer.

use crate::proto::janua::auth::v1::auth_service_server::AuthService;

pub struct AuthGrpc;

impl AuthService for AuthGrpc {}
