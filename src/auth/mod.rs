//! Authentication: accounts, sign-in, tokens, sessions, recovery and brute-force defence
//! (AuthService), and turning access tokens into a `Principal` for every RPC. Whether a
//! sign-in needs a second step is asked of a `SecondStepGate` that the MFA capability provides.

pub(crate) mod credentials;
pub mod grpc;
pub mod limits;
mod organization_scope;
mod principal;
mod recovery;
mod revocation;
mod second_factor;
mod second_step_gate;
mod service;
mod signup;
pub(crate) mod store;
pub(crate) mod tokens;

pub use principal::{
    AccessClaims, ApiKeyPrincipal, Audience, Authenticator, Caller, Principal, Requirement,
};
pub use revocation::Revocations;
pub use second_factor::FactorAttempt;
pub use second_step_gate::{IssuedChallenge, SecondStepGate};
pub use service::{AuthSettings, Authentication, Introspection, LoginOutcome, SignedIn, TokenPair};
