//! Multi-factor authentication (MfaService): TOTP with recovery codes, WebAuthn passkeys (as a
//! second factor and as a passwordless sign-in), one-time codes sent by SMS or email, and the
//! second step of a sign-in.

pub mod challenge;
mod challenge_answer;
mod code_enrollment;
mod code_factors;
pub mod destination;
mod factor_view;
pub mod grpc;
mod imported_totp;
mod otp_codes;
pub mod passkey_transfer;
mod passkeys;
mod recovery_codes;
pub(crate) mod relying_party;
mod second_step;
mod service;
mod step_up;
mod store;
mod totp;

pub use challenge::Challenges;
pub use code_enrollment::{ChallengeCodeSent, CodeEnrollment};
pub use code_factors::CodeFactors;
pub use factor_view::{FactorView, ListedKind};
pub use imported_totp::{active_totp_secret, insert_imported_phone, insert_imported_totp};
pub use otp_codes::{Channel, OtpCodes};
pub use passkeys::{CeremonyStarted, PasskeyEnrolled};
pub use relying_party::RelyingParty;
pub use second_step::SecondStep;
pub use service::{Answer, Mfa, MfaParts, TotpEnrollment};
