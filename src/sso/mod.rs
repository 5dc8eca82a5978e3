//! Enterprise single sign-on (SsoService): an organization's SAML 2.0 and OIDC connections,
//! social sign-in, and the single-use code that turns a finished sign-in into a session.
//!
//! - `connections`: managing connections (`connection` is the domain type, `store` the
//!   queries, `convert` the contract's messages);
//! - `start`: StartSso finds the connection or provider and keeps a `pending` sign-in;
//! - `saml`, `oidc`: the protocols, which verify the IdP's answer into an `identity`;
//! - `finish`: mints the code and trades it (ExchangeSsoCode); `linking`: who the IdP's
//!   identity signs in as (account takeover rules);
//! - `domains`: organizations prove the email domains they claim (`dns`, `domain_store`,
//!   `email_domain`);
//! - `transfer`: connections, domains and linked identities for `janua export|import`;
//! - `routes`: the browser legs (metadata, ACS, callbacks); `grpc`: the tonic service.

mod choices;
pub mod connection;
mod connections;
mod convert;
pub mod dns;
mod domain_store;
mod domains;
mod email_domain;
mod finish;
pub mod grpc;
pub mod identity;
mod linking;
pub mod oidc;
pub mod pending;
mod role_references;
pub mod routes;
pub mod saml;
mod service;
mod start;
pub mod store;
pub mod transfer;

pub use choices::{SignInChoice, target_of};
pub use connection::{AttributeMapping, Connection};
pub use connections::ConnectionDraft;
pub use finish::Exchanged;
pub use role_references::ConnectionRoles;
pub use service::{Sso, SsoSettings};
pub use start::StartTarget;

impl Sso {
    /// Janua's public base URL, under which the SP endpoints live.
    pub fn issuer(&self) -> &url::Url {
        &self.settings.issuer
    }
}
