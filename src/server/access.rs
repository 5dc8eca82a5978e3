//! The access layer in front of every janua RPC: reads each method's requirement from the
//! `janua.options.v1.access` option in the descriptor set (declared once, in the contract),
//! verifies the credential (an access token, or an API key as `authorization: Bearer` or
//! `x-api-key`), refuses API keys where only users may call, and hands the RPC a `Caller`
//! (and, for users, a `Principal`). RPCs that need credentials never run without a verified
//! caller. It must not decide anything that needs data (membership, roles): the domain does
//! that with the caller and the requirement.

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

use crate::{
    auth::Authenticator,
    error::Error,
    principal::{Audience, Caller, Requirement},
    proto::janua::options::v1::Audience as ProtoAudience,
};

/// Every janua RPC's requirement, by gRPC path.
#[derive(Clone)]
pub struct AccessControl {
    requirements: Arc<HashMap<String, Requirement>>,
    authenticator: Arc<Authenticator>,
}

impl AccessControl {
    /// Reads the requirement of every method of every `janua.*` service. A method without
    /// one is a contract bug and stops start-up.
    pub fn from_pool(
        pool: &DescriptorPool,
        authenticator: Arc<Authenticator>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            requirements: Arc::new(requirements(pool)?),
            authenticator,
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
            let permission = match declared.get_field_by_name("permission").as_deref() {
                Some(Value::String(p)) if !p.is_empty() => Some(p.clone()),
                _ => None,
            };
            let path = format!("/{}/{}", service.full_name(), method.name());
            out.insert(
                path,
                Requirement {
                    audience,
                    permission,
                },
            );
        }
    }
    Ok(out)
}

/// The middleware: authenticate, then let the RPC run with its principal and requirement.
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
    match verified {
        Ok(Caller::ApiKey(_)) if users_only(requirement.audience) => {
            let refused = Error::Authorization("API keys cannot call this RPC".into());
            return Status::from(refused).into_http::<Body>();
        }
        Ok(caller) => {
            if let Caller::User(principal) = &caller {
                request.extensions_mut().insert(principal.clone());
            }
            request.extensions_mut().insert(caller);
        }
        // A public RPC ignores a stale or absent token (a client may send one everywhere).
        Err(_) if requirement.audience == Audience::Public => {}
        Err(err) => return Status::from(err).into_http::<Body>(),
    }
    request.extensions_mut().insert(requirement);
    next.run(request).await
}

/// Whether only a user (not an API key) may call an RPC of this audience.
fn users_only(audience: Audience) -> bool {
    matches!(audience, Audience::User | Audience::Admin)
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
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn every_janua_rpc_declares_who_may_call_it() {
        let pool = crate::proto::descriptor_pool().unwrap();
        let requirements = requirements(&pool).unwrap();
        let methods: usize = pool
            .services()
            .filter(|s| s.full_name().starts_with("janua."))
            .map(|s| s.methods().len())
            .sum();
        assert_eq!(requirements.len(), methods);
        let login = &requirements["/janua.auth.v1.AuthService/Login"];
        assert_eq!(login.audience, Audience::Public);
        let introspect = &requirements["/janua.auth.v1.AuthService/IntrospectToken"];
        assert_eq!(introspect.audience, Audience::Service);
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
        headers.insert("authorization", "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }

    #[test]
    fn an_api_key_header_is_read_when_no_bearer_token_is_sent() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", " janua_sk_abc ".parse().unwrap());
        assert_eq!(credential(&headers), Some("janua_sk_abc"));
        headers.insert("authorization", "Bearer jwt".parse().unwrap());
        assert_eq!(credential(&headers), Some("jwt"));
    }
}
