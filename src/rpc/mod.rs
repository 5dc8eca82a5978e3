//! What every tonic service and plain HTTP route shares below the server: reading what the
//! server's edge and access layer attached to a request (the verified caller, its
//! requirement, the client's address), and `reply`, the one place a gRPC `Status` becomes an
//! HTTP answer. It knows no capability; capabilities use it instead of reaching into
//! `server`, which sits above them all.

pub mod reply;

use tonic::{Request, Status};

use crate::{
    audit::ClientInfo,
    client_address::ClientAddress,
    error::Error,
    principal::{Caller, Principal},
};

/// What the access layer attached to a request (the caller, its requirement); absent only
/// when no credential was verified.
pub fn attached<E: Clone + Send + Sync + 'static, T>(request: &Request<T>) -> Result<E, Status> {
    request
        .extensions()
        .get::<E>()
        .cloned()
        .ok_or_else(|| Error::Token("missing bearer token".into()).into())
}

/// The verified user the access layer attached.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    attached(request)
}

/// The verified caller (a user or an API key) the access layer attached.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    attached(request)
}

/// Where the request came from, for sessions and the audit log: the client address the
/// server's edge attached (the peer, or what trusted proxies forwarded).
pub fn client_info<T>(request: &Request<T>) -> ClientInfo {
    let ip = request
        .extensions()
        .get::<ClientAddress>()
        .map(|ClientAddress(ip)| ip.to_string());
    let user_agent = request
        .metadata()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect());
    ClientInfo {
        ip_address: ip,
        user_agent,
    }
}
