//! Janua's own format beyond users: SSO connections with their claimed domains, the config
//! file (webhooks, API keys, OAuth clients), linked identities and passkeys. The encrypted
//! archive carries every secret and round-trips to an equal export; after it, the same
//! software authenticator signs in, the same API key and client secret work and the webhook
//! signs with the same secret. A plain export leaves the secrets out, and its import says so
//! (a disabled connection, a new webhook secret), refuses what the rules refuse and skips a
//! passkey of another relying party.

use super::*;
use crate::{
    auth::{access, register, unique_email},
    domains::mark_domain_verified,
    oauth_clients::{create_client, web_client},
    orgs::new_api_key,
    passkeys::{
        ORIGIN, authenticator::Authenticator, login::sign_in, passkey_app, register_passkey,
    },
    sso::idp_metadata,
    webhooks::{create_endpoint, org_webhooks},
};
use janua::store::entities::{audit_event, linked_identity, oauth_client, sso_connection};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

const OIDC_SECRET: &str = "s3cr3t-oidc-client-secret";

/// What the first server holds besides its users.
struct Source {
    app: TestApp,
    org: String,
    passkey_user: String,
    authenticator: Authenticator,
    saml_id: String,
    oidc_id: String,
    api_key: String,
    client_id: String,
    client_secret: String,
}

async fn source() -> Source {
    let app = passkey_app().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme Config").await;
    let domain = format!("{}.example", uuid::Uuid::now_v7().simple());
    let connections = format!("/api/v1/organizations/{org}/sso/connections");
    let (status, saml) = rest(
        &app,
        "POST",
        &connections,
        Some(&owner.token),
        json!({"name": "Okta", "protocol": "SSO_PROTOCOL_SAML", "domains": [domain],
               "jit_provisioning": true, "enabled": true,
               "attribute_mapping": {"groups": "groups", "group_roles": {"it": "admin"}},
               "saml": {"idp_metadata_xml": idp_metadata()}}),
    )
    .await;
    assert_eq!(status, 200, "{saml}");
    let (status, oidc) = rest(
        &app,
        "POST",
        &connections,
        Some(&owner.token),
        json!({"name": "Entra", "protocol": "SSO_PROTOCOL_OIDC", "enabled": true,
               "oidc": {"issuer": "http://127.0.0.1:9/tenant", "client_id": "janua",
                        "client_secret": OIDC_SECRET, "scopes": ["openid", "email"]}}),
    )
    .await;
    assert_eq!(status, 200, "{oidc}");
    mark_domain_verified(&app, &org, &domain).await;
    // A passkey user, with an identity at the SAML connection and one at Google.
    let passkey_email = unique_email("passkey");
    let registered = register(&app, &passkey_email).await;
    let token = access(&registered);
    let passkey_user = registered["user"]["id"].as_str().unwrap().to_owned();
    let mut authenticator = Authenticator::new(ORIGIN);
    register_passkey(&app, &token, &mut authenticator).await;
    let saml_id = saml["id"].as_str().unwrap().to_owned();
    for (provider, subject) in [
        (format!("sso:{saml_id}"), "okta-subject-1"),
        ("google".to_owned(), "google-subject-1"),
    ] {
        let now = chrono::Utc::now();
        linked_identity::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: passkey_user.clone(),
            provider,
            subject: subject.to_owned(),
            created_at: now,
            last_used_at: now,
            email_proven: true,
        }
        .into_active_model()
        .insert(&app.app.db)
        .await
        .unwrap();
    }
    create_endpoint(
        &app,
        &owner.token,
        &org_webhooks(&org),
        json!({"url": "http://127.0.0.1:9/hook", "description": "audit sink"}),
    )
    .await;
    let (api_key, _) = new_api_key(&app, &owner, &org, "member").await;
    let client = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL"),
    )
    .await;
    Source {
        org,
        passkey_user,
        authenticator,
        saml_id,
        oidc_id: oidc["id"].as_str().unwrap().to_owned(),
        api_key,
        client_id: client["client"]["client_id"].as_str().unwrap().to_owned(),
        client_secret: client["client_secret"].as_str().unwrap().to_owned(),
        app,
    }
}

fn read_json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// The three files with their export dates and the users' creation times left out.
fn canonical(dir: &Path) -> Value {
    let mut users = read_json(dir, "janua_users_export.json");
    users["metadata"]["export_date"] = Value::Null;
    for user in users["users"].as_array_mut().unwrap() {
        user["created_at"] = Value::Null;
    }
    let mut orgs = read_json(dir, "janua_organizations_export.json");
    orgs["metadata"]["export_date"] = Value::Null;
    let mut config = read_json(dir, "janua_config_export.json");
    config["metadata"]["export_date"] = Value::Null;
    json!({"users": users, "organizations": orgs, "config": config})
}

/// `openssl enc -d … | tar xzf -` of an archive into `into`.
fn open_archive(archive: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let opened = std::process::Command::new("sh")
        .args([
            "-c",
            "openssl enc -d -aes-256-cbc -pbkdf2 -pass env:JANUA_ARCHIVE_PASSPHRASE -in \"$0\" | tar xzf - -C \"$1\"",
            &path_arg(archive),
            &path_arg(into),
        ])
        .env(PASSPHRASE.0, PASSPHRASE.1)
        .status()
        .unwrap();
    assert!(opened.success());
}

fn export(app: &TestApp, out: &Path, encrypt: bool) {
    let out = path_arg(out);
    let mut args = vec!["export", "--format", "janua-v2", "--out", &out];
    if encrypt {
        args.extend(["--encrypt", "--passphrase-env", PASSPHRASE.0]);
    }
    let (code, printed) = janua_with(app, &[PASSPHRASE], &args);
    assert_eq!(code, 0, "{printed}");
}

#[tokio::test]
async fn connections_config_identities_and_passkeys_round_trip_through_the_encrypted_archive() {
    let Some(python) = python_with("jsonschema") else {
        return;
    };
    let mut source = source().await;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    export(&source.app, &plain, false);
    assert_export_matches_schemas(&python, &plain);
    let everything = [
        "janua_users_export.json",
        "janua_organizations_export.json",
        "janua_config_export.json",
    ]
    .map(|name| std::fs::read_to_string(plain.join(name)).unwrap())
    .join("\n");
    assert!(
        !everything.contains(OIDC_SECRET) && !everything.contains("whsec_"),
        "a plain export holds no secret Janua can open"
    );
    assert!(everything.contains(&source.client_id) && everything.contains("janua_sk_"));
    let encrypted = dir.path().join("encrypted");
    export(&source.app, &encrypted, true);
    let archive = encrypted.join("janua_export.tar.gz.enc");

    // Into an empty database: everything, with its secrets.
    let target = passkey_app().await;
    let report = dir.path().join("report");
    // A plan decides what the run does (links see the connections it would create, keys
    // their organization) and writes nothing.
    let before = dump_database(&target).await;
    let (code, planned) = janua_with(
        &target,
        &[PASSPHRASE],
        &[
            "import",
            "plan",
            "--source",
            "janua-v2",
            &path_arg(&archive),
            "--passphrase-env",
            PASSPHRASE.0,
            "--report-dir",
            &path_arg(&report),
        ],
    );
    assert_eq!(code, 0, "{planned}");
    assert_eq!(
        dump_database(&target).await,
        before,
        "a plan writes nothing"
    );
    let (code, out) = import_janua_v2(&target, &archive, &report);
    assert_eq!(code, 0, "{out}");
    let counted = |report: &str| {
        let lines: Vec<&str> = report.lines().filter(|l| l.contains(" seen ")).collect();
        lines.join("\n")
    };
    assert_eq!(counted(&planned), counted(&out));
    assert_counts(
        &out,
        &[
            ("domains", [1, 1, 0, 0, 0]),
            ("sso_connections", [2, 2, 0, 0, 0]),
            ("identities", [2, 2, 0, 0, 0]),
            ("passkeys", [1, 1, 0, 0, 0]),
            ("webhooks", [1, 1, 0, 0, 0]),
            ("api_keys", [1, 1, 0, 0, 0]),
            ("oauth_clients", [1, 1, 0, 0, 0]),
        ],
    );
    // Each record is audited as imported (by the system; no webhook event follows).
    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.ends_with("imported"))
        .all(&target.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.action)
        .collect();
    for (action, n) in [
        ("sso.domain_imported", 1),
        ("sso.connection_imported", 2),
        ("sso.identity_imported", 2),
        ("mfa.passkey_imported", 1),
        ("webhook_endpoint.imported", 1),
        ("api_key.imported", 1),
        ("oauth_client.imported", 1),
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            n,
            "{action}: {actions:?}"
        );
    }
    let again = dir.path().join("again");
    export(&target, &again, false);
    assert_eq!(canonical(&plain), canonical(&again));
    // The secrets came across: the archives of both servers carry the same ones.
    let reexported = dir.path().join("reencrypted");
    export(&target, &reexported, true);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    open_archive(&archive, &one);
    open_archive(&reexported.join("janua_export.tar.gz.enc"), &two);
    let secret_of = |dir: &Path| {
        let config = read_json(dir, "janua_config_export.json");
        let orgs = read_json(dir, "janua_organizations_export.json");
        let oidc = orgs["organizations"][0]["sso_connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["protocol"] == "oidc")
            .unwrap()["oidc"]["client_secret"]
            .clone();
        (config["webhooks"][0]["signing_secret"].clone(), oidc)
    };
    let (webhook_secret, oidc_secret) = secret_of(&one);
    assert!(webhook_secret.as_str().unwrap().starts_with("whsec_"));
    assert_eq!(oidc_secret, OIDC_SECRET);
    assert_eq!(secret_of(&two), (webhook_secret, oidc_secret));

    // The same authenticator signs in, the same API key and client secret work.
    let (status, body) = sign_in(&target, &mut source.authenticator).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], source.passkey_user.as_str());
    let (status, body) = rest(
        &target,
        "POST",
        &format!("/api/v1/organizations/{}/check-permission", source.org),
        Some(&source.api_key),
        json!({"permission": "org:read"}),
    )
    .await;
    assert_eq!((status, &body["allowed"]), (200, &json!(true)), "{body}");
    let client = oauth_client::Entity::find_by_id(source.client_id.clone())
        .one(&target.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(janua::oauth::secret::accepts(
        &client,
        &source.client_secret,
        chrono::Utc::now()
    ));
    let link = janua::sso::store::find_linked_identity(
        &target.app.db,
        &format!("sso:{}", source.saml_id),
        "okta-subject-1",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(link.user_id, source.passkey_user);

    // A second run changes nothing.
    let (code, out) = import_janua_v2(&target, &archive, &report);
    assert_eq!(code, 0, "{out}");
    assert_counts(
        &out,
        &[("webhooks", [1, 0, 0, 1, 0]), ("passkeys", [1, 0, 0, 1, 0])],
    );
}

#[tokio::test]
async fn a_plain_export_imports_without_its_secrets_and_refuses_what_the_rules_refuse() {
    let source = source().await;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    export(&source.app, &plain, false);
    // A passkey of another relying party, a link to a connection nobody has, and a webhook
    // at the cloud metadata address.
    let mut users = read_json(&plain, "janua_users_export.json");
    for user in users["users"].as_array_mut().unwrap() {
        if user["id"] == source.passkey_user.as_str() {
            user["auth"]["passkeys"][0]["rp_id"] = json!("elsewhere.example");
            user["auth"]["identities"].as_array_mut().unwrap().push(
                json!({"provider": "sso", "connection_id": "no-such-connection", "subject": "x"}),
            );
        }
    }
    std::fs::write(plain.join("janua_users_export.json"), users.to_string()).unwrap();
    let mut config = read_json(&plain, "janua_config_export.json");
    let mut hostile = config["webhooks"][0].clone();
    hostile["id"] = json!("hostile-endpoint");
    hostile["url"] = json!("http://169.254.169.254/latest/meta-data");
    config["webhooks"].as_array_mut().unwrap().push(hostile);
    config["metadata"]["total_webhooks"] = json!(2);
    std::fs::write(plain.join("janua_config_export.json"), config.to_string()).unwrap();

    let target = passkey_app().await;
    let report = dir.path().join("report");
    let before = dump_database(&target).await;
    let plan = janua(
        &target,
        &[
            "import",
            "plan",
            "--source",
            "janua-v2",
            &path_arg(&plain),
            "--report-dir",
            &path_arg(&report),
        ],
    );
    assert_eq!(plan.0, 2, "{}", plan.1);
    assert_eq!(
        dump_database(&target).await,
        before,
        "a plan writes nothing"
    );
    let (code, out) = import_janua_v2(&target, &plain, &report);
    assert_eq!(code, 2, "{out}");
    assert_counts(
        &out,
        &[
            ("passkeys", [1, 0, 0, 1, 0]),
            ("identities", [3, 2, 0, 0, 1]),
            ("webhooks", [2, 1, 0, 0, 1]),
            ("sso_connections", [2, 2, 0, 0, 0]),
        ],
    );
    let errors = std::fs::read_to_string(report.join("errors.ndjson")).unwrap();
    for code in [
        "passkey_rp_id_mismatch",
        "unknown_connection",
        "invalid_webhook",
        "webhook_secret_generated",
        "sso_secret_missing",
    ] {
        assert!(
            errors.contains(&format!("\"code\":\"{code}\"")),
            "{code}: {errors}"
        );
    }
    assert!(!errors.contains("whsec_") && !errors.contains(OIDC_SECRET));
    // The OIDC connection waits, disabled, for its secret; the SAML one needs none.
    let oidc = sso_connection::Entity::find_by_id(source.oidc_id.clone())
        .one(&target.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!oidc.enabled && oidc.oidc_client_secret_sealed.is_none());
    let saml = sso_connection::Entity::find_by_id(source.saml_id.clone())
        .one(&target.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(saml.enabled);
    // The user came in with a password but not with the other relying party's passkey.
    let account = accounts::find_by_id(&target.app.db, &source.passkey_user)
        .await
        .unwrap()
        .unwrap();
    assert!(!account.mfa_enabled);
}
