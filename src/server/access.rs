//! The access layer in front of every janua RPC: reads each method's requirement from the
//! `janua.options.v1.access` option in the descriptor set (declared once, in the contract),
//! verifies the credential (an access token, or an API key as `authorization: Bearer` or
//! `x-api-key`), refuses API keys where only users may call, checks the platform
//! administrator where the declaration asks for one, and hands the RPC the `Proof` of what
//! it checked (with the `Caller`, and for users the `Principal`). RPCs that need credentials
//! never run without a proof. Organization membership and roles are the one check left to
//! the RPC: it needs the request's organization, and `orgs::scope::authorize` makes the
//! `OrgScope` from the `Proof::Organization` caller and the attached requirement.

use std::{collections::HashMap, sync::Arc};

use anyhow::{Context, bail};
use axum::{
    body::Body,
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::HeaderMap;
use prost_reflect::{DescriptorPool, Value};
use tonic::Status;

use super::request_log::RequestFacts;
use crate::{
    auth::Authenticator,
    error::Error,
    principal::{AdminPrincipal, Audience, Caller, Proof, ProofKind, Requirement, ServiceCaller},
    proto::janua::options::v1::Audience as ProtoAudience,
    store::Db,
};

/// Every janua RPC's requirement, by gRPC path.
#[derive(Clone)]
pub struct AccessControl {
    requirements: Arc<HashMap<String, Requirement>>,
    authenticator: Arc<Authenticator>,
    db: Db,
}

impl AccessControl {
    /// Reads the requirement of every method of every `janua.*` service. A method without
    /// one is a contract bug and stops start-up.
    pub fn from_pool(
        pool: &DescriptorPool,
        authenticator: Arc<Authenticator>,
        db: Db,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            requirements: Arc::new(requirements(pool)?),
            authenticator,
            db,
        })
    }

    /// The requirement of a gRPC path, or None for paths that are not janua RPCs (health,
    /// reflection).
    pub fn requirement(&self, path: &str) -> Option<&Requirement> {
        self.requirements.get(path)
    }
}

/// Reads the access option of every janua method.
pub fn requirements(pool: &DescriptorPool) -> anyhow::Result<HashMap<String, Requirement>> {
    let extension = pool
        .get_extension_by_name("janua.options.v1.access")
        .context("the contract lacks janua.options.v1.access")?;
    let mut out = HashMap::new();
    for service in pool
        .services()
        .filter(|s| s.full_name().starts_with("janua."))
    {
        for method in service.methods() {
            let options = method.options();
            let declared = match options.get_extension(&extension).as_ref() {
                Value::Message(access) if options.has_extension(&extension) => access.clone(),
                _ => bail!("{} declares no janua.options.v1.access", method.full_name()),
            };
            let audience = match declared.get_field_by_name("audience").as_deref() {
                Some(Value::EnumNumber(n)) => ProtoAudience::try_from(*n).ok(),
                _ => None,
            };
            let audience = match audience {
                Some(ProtoAudience::Public) => Audience::Public,
                Some(ProtoAudience::User) => Audience::User,
                Some(ProtoAudience::Organization) => Audience::Organization,
                Some(ProtoAudience::Service) => Audience::Service,
                Some(ProtoAudience::Admin) => Audience::Admin,
                Some(ProtoAudience::Unspecified) | None => {
                    bail!("{} declares no audience", method.full_name())
                }
            };
            let text = |name: &str| match declared.get_field_by_name(name).as_deref() {
                Some(Value::String(p)) if !p.is_empty() => Some(p.clone()),
                _ => None,
            };
            let admin_beyond_self = matches!(
                declared.get_field_by_name("admin_beyond_self").as_deref(),
                Some(Value::Bool(true))
            );
            let path = format!("/{}/{}", service.full_name(), method.name());
            out.insert(
                path,
                Requirement {
                    audience,
                    permission: text("permission"),
                    admin_beyond_self,
                    other_user_permission: text("other_user_permission"),
                },
            );
        }
    }
    Ok(out)
}

/// The middleware: authenticate, prove the declared requirement, then let the RPC run with
/// its proof and requirement.
pub async fn enforce(
    State(access): State<AccessControl>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(requirement) = access.requirement(request.uri().path()).cloned() else {
        return next.run(request).await;
    };
    let verified = match credential(request.headers()) {
        Some(credential) => access.authenticator.authenticate(credential).await,
        None => Err(Error::Token("missing bearer token".into())),
    };
    let proof = match verified {
        Ok(caller) => {
            if let Some(facts) = request.extensions().get::<RequestFacts>() {
                facts.note_caller(&caller);
            }
            if let Caller::User(principal) = &caller {
                request.extensions_mut().insert(principal.clone());
            }
            request.extensions_mut().insert(caller.clone());
            prove(&access.db, requirement.proof_kind(), caller).await
        }
        // A public RPC ignores a stale or absent token (a client may send one everywhere).
        Err(_) if requirement.audience == Audience::Public => Ok(Proof::Public),
        Err(err) => Err(err),
    };
    match proof {
        Ok(proof) => {
            request.extensions_mut().insert(proof);
        }
        Err(err) => return Status::from(err).into_http::<Body>(),
    }
    request.extensions_mut().insert(requirement);
    next.run(request).await
}

/// The proof of `kind` for a verified caller: the only place that decides whether a caller
/// is a platform administrator for an RPC (through `AdminPrincipal`).
async fn prove(db: &Db, kind: ProofKind, caller: Caller) -> Result<Proof, Error> {
    let refused = || Error::Authorization("API keys cannot call this RPC".into());
    Ok(match (kind, caller) {
        (ProofKind::Public, _) => Proof::Public,
        (ProofKind::Organization, caller) => Proof::Organization(caller),
        (ProofKind::User, Caller::User(user)) => Proof::User { user, admin: None },
        (ProofKind::UserOrAdmin, Caller::User(user)) => Proof::User {
            admin: AdminPrincipal::verify(db, &user).await?,
            user,
        },
        (ProofKind::Service, Caller::ApiKey(key)) => Proof::Service(ServiceCaller::ApiKey(key)),
        (ProofKind::Service, Caller::User(user)) => Proof::Service(ServiceCaller::Admin(
            AdminPrincipal::require(db, &user).await?,
        )),
        (ProofKind::Admin, Caller::User(user)) => {
            Proof::Admin(AdminPrincipal::require(db, &user).await?)
        }
        (ProofKind::User | ProofKind::UserOrAdmin | ProofKind::Admin, Caller::ApiKey(_)) => {
            return Err(refused());
        }
    })
}

/// The credential of a request: an `authorization: Bearer …` token, else an `x-api-key`.
fn credential(headers: &HeaderMap) -> Option<&str> {
    bearer_token(headers).or_else(|| {
        let key = headers.get("x-api-key")?.to_str().ok()?.trim();
        (!key.is_empty()).then_some(key)
    })
}

/// The token of an `authorization: Bearer …` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
