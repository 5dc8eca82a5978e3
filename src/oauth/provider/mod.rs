//! The authorization server (Janua as an OpenID Provider): the domain of the authorization
//! code flow and the standard HTTP endpoints (not gRPC: clients of RFC 6749 speak
//! form-encoded HTTP). The hosted pages (`pages::provider`) drive the browser part through
//! `authorization_request`, `authorize` and `interaction`.
//!
//! - `authorization_request`: the checks of `/oauth/authorize`'s query;
//! - `authorize`: what a checked request needs next (sign-in, consent) and the code;
//! - `interaction`: a request kept while the user signs in and consents;
//! - `request`: the form body; `error`: the OAuth error shape and the no-store headers;
//! - `client_auth`: client_secret_basic / client_secret_post / none, behind the limits;
//! - `access_token`, `id_token`: the tokens (claims, signing, the live check);
//! - `grant` (the token endpoint) with `code_grant` and `refresh_grant`; `issue` the token
//!   set of a user's grant; `introspect`, `revoke`, `userinfo`, `end_session`: one
//!   endpoint each; `store` the revocation list, `grant_store` grants, refresh tokens and
//!   consents, `live_store` whether a token or grant still stands (one query each);
//!   `cors` the per-client CORS; `routes`: the axum routes.
//!
//! Tokens and secrets never reach a log line or the audit trail (the audit keeps the
//! token's `jti` or the grant's id).

mod access_token;
pub mod authorization_request;
pub mod authorize;
mod client_auth;
mod code_grant;
mod cors;
pub mod end_session;
mod error;
mod grant;
mod grant_store;
mod id_token;
pub mod interaction;
mod introspect;
mod issue;
mod live_store;
mod refresh_grant;
mod request;
mod revoke;
pub mod routes;
mod store;
mod userinfo;

use std::{sync::Arc, time::Duration};

pub use access_token::ClientAccessClaims;
pub use authorization_request::{AuthorizationRequest, Refusal};

use super::OAuthClients;
use crate::{
    auth::{Authentication, Authenticator, limits::BruteForceGuard},
    cache::Cache,
    clock::Clock,
    crypto::Keyring,
    store::Db,
};

/// The grant types the token endpoint offers (discovery lists them).
pub const GRANT_TYPES_SUPPORTED: [&str; 3] =
    ["authorization_code", "refresh_token", "client_credentials"];
/// The client authentication methods of the token endpoint (`none`: public clients).
pub const TOKEN_ENDPOINT_AUTH_METHODS: [&str; 3] =
    ["client_secret_basic", "client_secret_post", "none"];
/// The client authentication methods of the introspection and revocation endpoints.
pub const CONFIDENTIAL_AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];
/// How long an authorization code may wait for its exchange.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// The token, introspection and revocation endpoints, wired once at start-up.
pub struct AuthorizationServer {
    clients: Arc<OAuthClients>,
    keyring: Arc<Keyring>,
    guard: BruteForceGuard,
    auth: Arc<Authentication>,
    authenticator: Arc<Authenticator>,
    db: Db,
    clock: Arc<dyn Clock>,
    /// Interactions in progress (sign-in and consent of an authorization request).
    cache: Arc<dyn Cache>,
    /// The lifetime of the access tokens issued here (`ACCESS_TOKEN_TTL`).
    access_token_ttl: Duration,
    /// The lifetime of the refresh tokens issued here (`REFRESH_TOKEN_TTL`).
    refresh_token_ttl: Duration,
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
    pub cache: Arc<dyn Cache>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
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
            cache: parts.cache,
            access_token_ttl: parts.access_token_ttl,
            refresh_token_ttl: parts.refresh_token_ttl,
        }
    }
}
