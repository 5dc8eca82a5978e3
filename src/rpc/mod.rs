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
    principal::{AdminPrincipal, Caller, Principal, Proof, Requirement, ServiceCaller},
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

/// The requirement the RPC declares in the contract, as the access layer attached it.
pub fn requirement<T>(request: &Request<T>) -> Result<Requirement, Status> {
    attached(request)
}

/// What the access layer proved about the caller.
pub fn proof<T>(request: &Request<T>) -> Result<Proof, Status> {
    attached(request)
}

/// The administrator's proof of an AUDIENCE_ADMIN RPC. Any other proof is refused (the RPC
/// would be declared for someone else: fail closed).
pub fn admin<T>(request: &Request<T>) -> Result<AdminPrincipal, Status> {
    match proof(request)? {
        Proof::Admin(admin) => Ok(admin),
        _ => Err(not_proved()),
    }
}

/// The user of an AUDIENCE_USER RPC, with the administrator's proof when the RPC lets
/// administrators act beyond self and the caller is one.
pub fn user<T>(request: &Request<T>) -> Result<(Principal, Option<AdminPrincipal>), Status> {
    match proof(request)? {
        Proof::User { user, admin } => Ok((user, admin)),
        _ => Err(not_proved()),
    }
}

/// The caller of an AUDIENCE_ORGANIZATION RPC, still to be scoped to the request's
/// organization (`orgs::scope::authorize`).
pub fn organization_caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    match proof(request)? {
        Proof::Organization(caller) => Ok(caller),
        _ => Err(not_proved()),
    }
}

/// The caller of an AUDIENCE_SERVICE RPC: an API key or a platform administrator.
pub fn service<T>(request: &Request<T>) -> Result<ServiceCaller, Status> {
    match proof(request)? {
        Proof::Service(service) => Ok(service),
        _ => Err(not_proved()),
    }
}

fn not_proved() -> Status {
    Error::Authorization("the access declared for this RPC does not admit the caller".into()).into()
}

/// Where the request came from, for sessions and the audit log: the client address the
/// server's edge attached (the peer, or what trusted proxies forwarded).
pub fn client_info<T>(request: &Request<T>) -> ClientInfo {
    client_of(
        request.metadata().as_ref(),
        request.extensions().get::<ClientAddress>(),
    )
}

/// The client of a plain HTTP request (the SSO browser routes), as `client_info` reads it.
pub fn client_of(headers: &http::HeaderMap, address: Option<&ClientAddress>) -> ClientInfo {
    ClientInfo {
        ip_address: address.map(|ClientAddress(ip)| ip.to_string()),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    }
}
