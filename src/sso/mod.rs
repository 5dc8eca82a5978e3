//! Enterprise single sign-on (SsoService): an organization's SAML 2.0 and OIDC connections,
//! social sign-in, and the single-use code that turns a finished sign-in into a session.
//!
//! - `connections`: managing connections (`connection` is the domain type, `store` the
//!   queries, `convert` the contract's messages);
//! - `start`: StartSso finds the connection or provider and keeps a `pending` sign-in;
//! - `saml`, `oidc`: the protocols, which verify the IdP's answer into an `identity`;
//! - `finish`: links or provisions the user and mints the code; ExchangeSsoCode;
//! - `routes`: the browser legs (metadata, ACS, callbacks); `grpc`: the tonic service.

pub mod connection;
mod connections;
mod convert;
mod finish;
pub mod grpc;
pub mod identity;
pub mod oidc;
pub mod pending;
pub mod routes;
pub mod saml;
mod service;
mod start;
pub mod store;

pub use connection::{AttributeMapping, Connection};
pub use connections::ConnectionDraft;
pub use service::{Sso, SsoSettings};
pub use start::StartTarget;

impl Sso {
    /// Janua's public base URL, under which the SP endpoints live.
    pub fn issuer(&self) -> &url::Url {
        &self.settings.issuer
    }
}
