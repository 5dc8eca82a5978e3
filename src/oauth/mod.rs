//! OAuth client registrations (OAuthClientService): the applications an organization
//! registers with Janua as an OpenID Provider, and the API the authorization server reads
//! them through (`find_client`, `authenticate_client`). Nobody below depends on this
//! capability; it uses `orgs` only for the `OrgScope` every management call takes.
//!
//! - `settings`: the rules of a client's settings, `redirect_uri` the redirect URI checks;
//! - `secret`: confidential clients' secrets (shown once, SHA-256 at rest, rotation);
//! - `client`: `RegisteredClient`, the client as the rest of Janua sees it;
//! - `registry`: create, read, update, delete and rotate under an `OrgScope`, audited;
//! - `lookup`: what the authorization server calls; `store` the queries; `grpc` the service;
//! - `provider`: the authorization server: its HTTP endpoints and hosted-flow domain functions.

mod client;
mod convert;
pub mod grpc;
mod lookup;
pub mod provider;
pub mod redirect_uri;
mod registry;
pub mod secret;
pub mod settings;
mod store;
pub mod transfer;

use std::sync::Arc;

pub use client::{RegisteredClient, SecretMetadata};
pub use registry::IssuedClient;
pub use settings::{ClientChanges, ClientSettings, GrantType};

use settings::ReservedAudience;

pub use crate::store::entities::oauth_client::ClientType;
use crate::{clock::Clock, store::Db};

/// The OAuth client registry, wired once at start-up.
pub struct OAuthClients {
    db: Db,
    clock: Arc<dyn Clock>,
    /// Janua's issuer URL, which no client's access tokens may name as their audience.
    issuer: String,
}

impl OAuthClients {
    pub fn new(db: Db, clock: Arc<dyn Clock>, issuer: &url::Url) -> Self {
        Self {
            db,
            clock,
            issuer: issuer.as_str().to_owned(),
        }
    }

    fn reserved_audience(&self) -> ReservedAudience<'_> {
        ReservedAudience(&self.issuer)
    }
}
