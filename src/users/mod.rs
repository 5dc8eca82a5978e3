//! Users: the directory of accounts (UserService). The `store` queries and the proto
//! conversion are shared with the authentication capability.

pub mod convert;
pub mod grpc;
pub mod store;
