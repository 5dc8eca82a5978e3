//! Users: the directory of accounts (UserService).

pub mod grpc;
