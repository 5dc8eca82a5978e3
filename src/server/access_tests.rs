//! The access layer's unit tests: every declaration in the contract yields exactly one kind
//! of proof, only verified administrators get an administrator's proof, and credentials are
//! read from the headers clients send.

#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]
use super::*;

use crate::{
    credentials::Email,
    ids::{ApiKeyId, SessionId, UserId},
    principal::{ApiKeyPrincipal, Principal},
    store::{
        self, accounts,
        entities::{organization, user},
    },
};

/// The RPCs only platform administrators may call.
const ADMIN_RPCS: [&str; 13] = [
    "/janua.users.v1.UserService/ListUsers",
    "/janua.users.v1.UserService/CreateUser",
    "/janua.users.v1.UserService/SuspendUser",
    "/janua.users.v1.UserService/ReactivateUser",
    "/janua.users.v1.UserService/UnlockUser",
    "/janua.sso.v1.SsoService/ApproveDomain",
    "/janua.imports.v1.ImportService/CreateImportRun",
    "/janua.imports.v1.ImportService/UploadImportChunk",
    "/janua.imports.v1.ImportService/StartImportRun",
    "/janua.imports.v1.ImportService/GetImportRun",
    "/janua.imports.v1.ImportService/ListImportRuns",
    "/janua.imports.v1.ImportService/ListImportErrors",
    "/janua.imports.v1.ExportService/ExportDirectory",
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
        user_id: UserId::from_trusted(user_id),
        session_id: SessionId::from_trusted("session"),
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
        let account = accounts::new_account(&email, chrono::Utc::now());
        let account = user::Model {
            is_admin,
            ..account
        };
        ids.push(accounts::insert(&db, account).await.unwrap().id);
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
        api_key_id: ApiKeyId::from_trusted("key"),
        organization: std::sync::Arc::new(organization::Model {
            id: "org".into(),
            name: "Org".into(),
            slug: "org".into(),
            metadata: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }),
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
