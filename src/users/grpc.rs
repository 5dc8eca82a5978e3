//! UserService over gRPC. Not built yet: every RPC answers UNIMPLEMENTED (the generated default),
//! never a fake answer.

use crate::proto::janua::users::v1::user_service_server::UserService;

pub struct UserGrpc;

impl UserService for UserGrpc {}
