//! Multi-factor authentication: TOTP, recovery codes, passkeys (MfaService).

pub mod grpc;
