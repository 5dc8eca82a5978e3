//! Users: the directory of accounts (UserService). `service` holds reading, listing and
//! creating, `profile` the UpdateUser rules, `lifecycle` suspension, reactivation, deletion
//! and unlocking. The queries on `users` live in `store::accounts` (every capability reads
//! accounts) and the `User` message in `user_message` (every service returns users).

pub mod grpc;
mod lifecycle;
mod profile;
mod service;

pub use profile::UserChanges;
pub use service::{AuthMethod, MigrationState, NewUser, UserFilter, UserStatus, Users};
