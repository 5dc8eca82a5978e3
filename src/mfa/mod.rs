//! Multi-factor authentication (MfaService): TOTP with recovery codes, WebAuthn passkeys (as a
//! second factor and as a passwordless sign-in), and the second step of a sign-in.

pub mod challenge;
mod challenge_answer;
mod factor_view;
pub mod grpc;
mod passkeys;
mod recovery_codes;
pub(crate) mod relying_party;
mod second_step;
mod service;
mod step_up;
mod store;
mod totp;

pub use challenge::Challenges;
pub use factor_view::{FactorView, ListedKind};
pub use passkeys::{CeremonyStarted, PasskeyEnrolled};
pub use relying_party::RelyingParty;
pub use second_step::SecondStep;
pub use service::{Answer, Mfa, TotpEnrollment};
