//! The authorization server's standard HTTP endpoints (not gRPC: clients of RFC 6749
//! speak form-encoded HTTP): `POST /oauth/token` (the client_credentials grant),
//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009).
//!
//! - `request`: the form body; `error`: the OAuth error shape and the no-store headers;
//! - `client_auth`: client_secret_basic / client_secret_post, behind the brute-force limits;
//! - `access_token`: the RFC 9068 access tokens (claims, signing, the live check);
//! - `grant`, `introspect`, `revoke`: one endpoint each; `store` the revocation list;
//! - `routes`: the axum routes.
//!
//! Tokens and secrets never reach a log line or the audit trail (the audit keeps the
//! token's `jti`).

mod access_token;
mod client_auth;
mod error;
mod grant;
mod introspect;
mod request;
mod revoke;
pub mod routes;
mod store;

use std::{sync::Arc, time::Duration};

pub use access_token::ClientAccessClaims;

use super::OAuthClients;
use crate::{
    auth::{Authentication, Authenticator, limits::BruteForceGuard},
    clock::Clock,
    crypto::Keyring,
    store::Db,
};

/// The grant types the token endpoint offers today (discovery lists them).
pub const GRANT_TYPES_SUPPORTED: [&str; 1] = ["client_credentials"];
/// The client authentication methods of the token, introspection and revocation endpoints.
pub const TOKEN_ENDPOINT_AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// The token, introspection and revocation endpoints, wired once at start-up.
pub struct AuthorizationServer {
    clients: Arc<OAuthClients>,
    keyring: Arc<Keyring>,
    guard: BruteForceGuard,
    auth: Arc<Authentication>,
    authenticator: Arc<Authenticator>,
    db: Db,
    clock: Arc<dyn Clock>,
    /// The lifetime of the access tokens issued here (`ACCESS_TOKEN_TTL`).
    access_token_ttl: Duration,
}

/// What the authorization server is built from.
pub struct AuthorizationServerParts {
    pub clients: Arc<OAuthClients>,
    pub keyring: Arc<Keyring>,
    /// The node's brute-force guard: failed client authentications count per client and IP.
    pub guard: BruteForceGuard,
    pub auth: Arc<Authentication>,
    pub authenticator: Arc<Authenticator>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub access_token_ttl: Duration,
}

impl AuthorizationServer {
    pub fn new(parts: AuthorizationServerParts) -> Self {
        Self {
            clients: parts.clients,
            keyring: parts.keyring,
            guard: parts.guard,
            auth: parts.auth,
            authenticator: parts.authenticator,
            db: parts.db,
            clock: parts.clock,
            access_token_ttl: parts.access_token_ttl,
        }
    }
}
