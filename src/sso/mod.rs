//! Enterprise single sign-on: SAML 2.0 and OIDC connections (SsoService).

pub mod grpc;
pub mod oidc;
