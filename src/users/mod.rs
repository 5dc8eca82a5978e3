//! Users: the directory of accounts (UserService). `service` holds reading, listing and
//! creating, `profile` the UpdateUser rules, `lifecycle` suspension, reactivation, deletion
//! and unlocking; `store` the queries (shared with the authentication capability) and
//! `convert` the proto conversion.

pub mod convert;
pub mod grpc;
mod lifecycle;
mod profile;
mod service;
pub mod store;

pub use profile::UserChanges;
pub use service::{NewUser, UserFilter, UserStatus, Users};
