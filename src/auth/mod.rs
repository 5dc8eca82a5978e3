//! Authentication: who is calling. Today: access-token verification into a `Principal`
//! and the AuthService (its RPCs answer UNIMPLEMENTED until the authentication capability
//! lands).

pub mod grpc;
mod principal;

pub use principal::{AccessClaims, Audience, Authenticator, Principal, Requirement};
