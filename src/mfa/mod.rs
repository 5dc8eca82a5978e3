//! Multi-factor authentication (MfaService): TOTP with recovery codes, the second step of a
//! sign-in, and (in `passkeys`) WebAuthn passkeys.

pub mod challenge;
pub mod grpc;
mod recovery_codes;
mod second_step;
mod service;
pub mod store;
mod totp;

pub use challenge::{Challenges, IssuedChallenge};
pub use second_step::SecondStep;
pub use service::{Answer, FactorView, Mfa, TotpEnrollment};
