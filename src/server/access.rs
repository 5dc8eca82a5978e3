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
mod tests {
    #![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]
    use super::*;

    use crate::{
        credentials::Email,
        principal::{ApiKeyPrincipal, Principal},
        store::{self, entities::user, users},
    };

    /// The RPCs only platform administrators may call.
    const ADMIN_RPCS: [&str; 6] = [
        "/janua.users.v1.UserService/ListUsers",
        "/janua.users.v1.UserService/CreateUser",
        "/janua.users.v1.UserService/SuspendUser",
        "/janua.users.v1.UserService/ReactivateUser",
        "/janua.users.v1.UserService/UnlockUser",
        "/janua.sso.v1.SsoService/ApproveDomain",
    ];

    /// Each janua method's path and its raw `janua.options.v1.access` declaration.
    fn declarations(pool: &DescriptorPool) -> Vec<(String, prost_reflect::DynamicMessage)> {
        let extension = pool
            .get_extension_by_name("janua.options.v1.access")
            .unwrap();
        pool.services()
            .filter(|s| s.full_name().starts_with("janua."))
            .flat_map(|s| s.methods().collect::<Vec<_>>())
            .map(|m| {
                let path = format!("/{}/{}", m.parent_service().full_name(), m.name());
                let Value::Message(declared) = m.options().get_extension(&extension).into_owned()
                else {
                    panic!("{path}: the access option is not a message")
                };
                (path, declared)
            })
            .collect()
    }

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
    fn every_declaration_yields_exactly_one_proof_kind() {
        use ProtoAudience as A;
        let pool = crate::proto::descriptor_pool().unwrap();
        let requirements = requirements(&pool).unwrap();
        let declared = declarations(&pool);
        assert_eq!(declared.len(), requirements.len());
        for (path, access) in &declared {
            let audience = match access.get_field_by_name("audience").as_deref() {
                Some(Value::EnumNumber(n)) => A::try_from(*n).unwrap(),
                other => panic!("{path}: audience {other:?}"),
            };
            let flag = |name: &str| {
                matches!(
                    access.get_field_by_name(name).as_deref(),
                    Some(Value::Bool(true))
                )
            };
            let text = |name: &str| match access.get_field_by_name(name).as_deref() {
                Some(Value::String(s)) => !s.is_empty(),
                _ => false,
            };
            // Each kind's condition on the raw declaration; exactly one must hold.
            let kinds = [
                (ProofKind::Public, audience == A::Public),
                (
                    ProofKind::User,
                    audience == A::User && !flag("admin_beyond_self"),
                ),
                (
                    ProofKind::UserOrAdmin,
                    audience == A::User && flag("admin_beyond_self"),
                ),
                (ProofKind::Organization, audience == A::Organization),
                (ProofKind::Service, audience == A::Service),
                (ProofKind::Admin, audience == A::Admin),
            ];
            let matching: Vec<ProofKind> = kinds
                .iter()
                .filter(|(_, holds)| *holds)
                .map(|(kind, _)| *kind)
                .collect();
            assert_eq!(matching, [requirements[path].proof_kind()], "{path}");
            // No field is declared where it would be ignored.
            let user = audience == A::User;
            let organization = audience == A::Organization;
            assert!(!flag("admin_beyond_self") || user, "{path}");
            assert!(!text("other_user_permission") || organization, "{path}");
            assert!(
                !text("permission") || organization || flag("admin_beyond_self"),
                "{path}: a permission the access layer would ignore"
            );
        }
        let admin: Vec<&str> = declared
            .iter()
            .map(|(path, _)| path.as_str())
            .filter(|path| requirements[*path].proof_kind() == ProofKind::Admin)
            .collect();
        let mut expected = ADMIN_RPCS.to_vec();
        expected.sort_unstable();
        let mut admin = admin;
        admin.sort_unstable();
        assert_eq!(admin, expected);
    }

    fn signed_in(user_id: &str) -> Principal {
        Principal {
            user_id: user_id.into(),
            session_id: "session".into(),
            email: None,
            organization_id: None,
            organization_role: None,
            amr: vec!["pwd".into()],
        }
    }

    /// A fresh database with an active administrator and a plain user; their principals.
    async fn admin_and_user(dir: &std::path::Path) -> (Db, Principal, Principal) {
        let url = format!("sqlite://{}?mode=rwc", dir.join("access.db").display());
        let db = store::connect(&url).await.unwrap();
        store::migrate(&db).await.unwrap();
        let mut ids = Vec::new();
        for (email, is_admin) in [("root@example.test", true), ("ada@example.test", false)] {
            let email = Email::parse("email", email).unwrap();
            let account = users::new_account(&email, chrono::Utc::now());
            let account = user::Model {
                is_admin,
                ..account
            };
            ids.push(users::insert(&db, account).await.unwrap().id);
        }
        (db, signed_in(&ids[0]), signed_in(&ids[1]))
    }

    #[tokio::test]
    async fn admin_rpcs_get_an_admin_proof_and_no_one_else_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        let (db, root, ada) = admin_and_user(dir.path()).await;
        let pool = crate::proto::descriptor_pool().unwrap();
        let requirements = requirements(&pool).unwrap();
        let key = Caller::ApiKey(ApiKeyPrincipal {
            api_key_id: "key".into(),
            organization_id: "org".into(),
            role: "owner".into(),
        });
        for path in ADMIN_RPCS {
            let kind = requirements[path].proof_kind();
            let proof = prove(&db, kind, Caller::User(root.clone())).await.unwrap();
            assert!(
                matches!(&proof, Proof::Admin(admin) if admin.user() == &root),
                "{path}"
            );
            let refused = prove(&db, kind, Caller::User(ada.clone())).await;
            assert!(matches!(refused, Err(Error::Authorization(_))), "{path}");
            let refused = prove(&db, kind, key.clone()).await;
            assert!(matches!(refused, Err(Error::Authorization(_))), "{path}");
        }
        let get_user = requirements["/janua.users.v1.UserService/GetUser"].proof_kind();
        let proof = prove(&db, get_user, Caller::User(root.clone()))
            .await
            .unwrap();
        assert!(matches!(proof, Proof::User { admin: Some(_), .. }));
        let proof = prove(&db, get_user, Caller::User(ada.clone()))
            .await
            .unwrap();
        assert!(matches!(proof, Proof::User { admin: None, .. }));
        let introspect = requirements["/janua.auth.v1.AuthService/IntrospectToken"].proof_kind();
        let proof = prove(&db, introspect, Caller::User(root)).await.unwrap();
        assert!(matches!(proof, Proof::Service(ServiceCaller::Admin(_))));
        let proof = prove(&db, introspect, key).await.unwrap();
        assert!(matches!(proof, Proof::Service(ServiceCaller::ApiKey(_))));
        let refused = prove(&db, introspect, Caller::User(ada)).await;
        assert!(matches!(refused, Err(Error::Authorization(_))));
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
