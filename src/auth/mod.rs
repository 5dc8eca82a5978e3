//! Authentication: accounts, sign-in, tokens, sessions, recovery and brute-force defence
//! (AuthService), and turning a request's credential into its `Caller` (`Authenticator`).
//! The caller's types live in `principal`, the credential values in `credentials`, the
//! session queries in `store::sessions`; whether a sign-in needs a second step is asked of
//! a `SecondStepGate` that the MFA capability provides.

mod admin;
mod authenticator;
mod grant;
pub mod grpc;
pub mod limits;
mod organization_scope;
mod recovery;
mod second_factor;
mod second_step_gate;
mod service;
mod sessions;
mod signup;

pub use authenticator::Authenticator;
pub use second_factor::FactorAttempt;
pub use second_step_gate::{CodeDestination, IssuedChallenge, SecondStepGate};
pub use service::{AuthSettings, Authentication, Introspection, LoginOutcome, SignedIn, TokenPair};
pub use sessions::LiveSession;
