//! Authentication: accounts, sign-in, tokens, sessions, recovery and brute-force defence
//! (AuthService), and turning access tokens into a `Principal` for every RPC.

mod credentials;
pub mod grpc;
pub mod limits;
mod principal;
mod recovery;
mod revocation;
mod service;
mod store;
mod tokens;

pub use principal::{AccessClaims, Audience, Authenticator, Principal, Requirement};
pub use revocation::Revocations;
pub use service::{AuthSettings, Authentication, Introspection, SignedIn, TokenPair};
