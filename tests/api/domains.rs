//! Domain verification through the real port (SECURITY.md: declared domains prove nothing):
//! DNS TXT proof against a stand-in name server (`tests/peers/dns_txt.py`), operator
//! approval, public mail domains, and routing only by verified domains.

use std::{collections::BTreeMap, path::PathBuf, process::Stdio};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{auth::rest, fixtures::User, helpers::TestApp, orgs::reason};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/dns_txt.py");

/// A stand-in name server on 127.0.0.1 serving the TXT records a test publishes.
pub struct DnsStandIn {
    pub addr: String,
    records: PathBuf,
    published: std::sync::Mutex<BTreeMap<String, Vec<String>>>,
    _dir: tempfile::TempDir,
    _child: Child,
}

impl DnsStandIn {
    pub async fn start() -> Self {
        let python = crate::helpers::python_with("json").expect("python3");
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records.json");
        std::fs::write(&records, "{}").unwrap();
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .arg(&records)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .await
            .unwrap();
        let port: u16 = line.trim().parse().expect("dns_txt.py printed no port");
        Self {
            addr: format!("127.0.0.1:{port}"),
            records,
            published: std::sync::Mutex::new(BTreeMap::new()),
            _dir: dir,
            _child: child,
        }
    }

    /// The variable that points Janua at this server.
    pub fn var(&self) -> (&'static str, &str) {
        ("JANUA_DNS_SERVER", &self.addr)
    }

    pub fn publish(&self, name: &str, value: &str) {
        let mut published = self.published.lock().unwrap();
        published
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
        std::fs::write(&self.records, serde_json::to_string(&*published).unwrap()).unwrap();
    }
}

pub async fn claim_domain(app: &TestApp, by: &User, org: &str, domain: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/domains"),
        Some(&by.token),
        json!({"domain": domain}),
    )
    .await
}

async fn verify(app: &TestApp, by: &User, org: &str, id: &str) -> (u16, Value) {
    rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/domains/{id}/verify"),
        Some(&by.token),
        json!({}),
    )
    .await
}

pub fn unique_domain(tag: &str) -> String {
    format!("{tag}-{}.example.test", uuid::Uuid::now_v7().simple())
}

#[tokio::test]
async fn public_mail_domains_can_never_be_claimed_or_declared() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Squatter").await;
    for public in ["gmail.com", "Outlook.com", "mail.yahoo.com"] {
        let (status, body) = claim_domain(&app, &owner, &org, public).await;
        assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
        let (status, body) = rest(
            &app,
            "POST",
            &format!("/api/v1/organizations/{org}/sso/connections"),
            Some(&owner.token),
            json!({"name": "Phish", "protocol": "SSO_PROTOCOL_SAML", "domains": [public],
                   "saml": {"idp_metadata_xml": "<x/>"}}),
        )
        .await;
        assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
    }
}

#[tokio::test]
async fn a_domain_is_verified_by_its_txt_record_and_for_one_organization_only() {
    let dns = DnsStandIn::start().await;
    let app = TestApp::spawn_with(&[dns.var()]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let rival = app.signed_in_user("rival").await;
    let rival_org = app.organization_of(&rival, "Rival").await;
    let domain = unique_domain("acme");

    // Both may claim it: a claim blocks nobody.
    let (status, claimed) = claim_domain(&app, &owner, &org, &domain).await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["verified"], false);
    assert_eq!(
        claimed["verification_record_name"],
        format!("_janua-challenge.{domain}")
    );
    let (status, rival_claim) = claim_domain(&app, &rival, &rival_org, &domain).await;
    assert_eq!(status, 200, "{rival_claim}");

    // Without the record, or with another organization's token, nothing is verified.
    let id = claimed["id"].as_str().unwrap();
    let (status, body) = verify(&app, &owner, &org, id).await;
    assert_eq!(
        (status, reason(&body)),
        (400, "SSO_CONFIGURATION_ERROR"),
        "{body}"
    );
    let name = claimed["verification_record_name"].as_str().unwrap();
    dns.publish(
        name,
        rival_claim["verification_record_value"].as_str().unwrap(),
    );
    let (_, body) = verify(&app, &owner, &org, id).await;
    assert_eq!(reason(&body), "SSO_CONFIGURATION_ERROR", "{body}");

    dns.publish(name, claimed["verification_record_value"].as_str().unwrap());
    let (status, body) = verify(&app, &owner, &org, id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["verified"].clone(), body["verified_by"].clone()),
        (json!(true), json!("dns"))
    );

    // The rival's record is published too now, but the domain is taken.
    let (status, body) = verify(
        &app,
        &rival,
        &rival_org,
        rival_claim["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!((status, reason(&body)), (409, "CONFLICT_ERROR"), "{body}");
    // And another organization cannot see or verify Acme's claim.
    let (status, _) = verify(&app, &rival, &rival_org, id).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn operators_approve_domains_and_only_verified_domains_route_start_sso() {
    let app = TestApp::spawn_with(&[
        ("ADMIN_BOOTSTRAP_EMAIL", crate::auth::ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", crate::auth::ADMIN_PASSWORD),
        ("SSO_ALLOWED_REDIRECT_URIS", "https://app.example.test/cb"),
    ])
    .await;
    let (admin_token, _) = app.admin_session().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let domain = unique_domain("route");
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&owner.token),
        json!({"name": "IdP", "protocol": "SSO_PROTOCOL_OIDC", "domains": [domain], "enabled": true,
               "oidc": {"issuer": "https://idp.example.test", "client_id": "c", "client_secret": "s"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let start =
        json!({"email": format!("ada@{domain}"), "redirect_uri": "https://app.example.test/cb"});
    let (status, body) = rest(&app, "POST", "/api/v1/sso/start", None, start).await;
    assert_eq!(
        (status, reason(&body)),
        (404, "NOT_FOUND_ERROR"),
        "a declared domain routes nobody: {body}"
    );

    let (_, claimed) = claim_domain(&app, &owner, &org, &domain).await;
    let approve = format!(
        "/api/v1/domains/{}/approve",
        claimed["id"].as_str().unwrap()
    );
    let (status, _) = rest(&app, "POST", &approve, Some(&owner.token), json!({})).await;
    assert_eq!(status, 403, "only a platform administrator approves");
    let (status, body) = rest(&app, "POST", &approve, Some(&admin_token), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verified_by"], "operator");
    let (_, list) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/domains"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(list["domains"][0]["verified"], true, "{list}");
}

/// Records `domain` as verified for `org` straight in the database, for tests about what
/// a verified domain allows (the proof itself is tested above).
pub async fn mark_domain_verified(app: &TestApp, org: &str, domain: &str) {
    use janua::store::entities::organization_domain;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let now = chrono::Utc::now();
    organization_domain::Model {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: org.to_owned(),
        domain: domain.to_owned(),
        verification_token: "test".into(),
        verified_at: Some(now),
        verified_by: Some("operator".into()),
        created_at: now,
    }
    .into_active_model()
    .insert(&app.app.db)
    .await
    .unwrap();
}
