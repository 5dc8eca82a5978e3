//! SAML sign-in through the real port, against a real SAML IdP (pysaml2, in
//! `tests/peers/saml_idp.py`): the full browser flow (StartSso by email domain → the IdP
//! decodes the AuthnRequest → its signed response posted to the ACS → 303 to the app with a
//! code → ExchangeSsoCode), JIT provisioning with a group-mapped role, IdP-initiated sign-in,
//! and every forged, wrapped, misdirected, stale or replayed response refused with an SSO_*
//! error, no code and a failed `sso.login` audit event.
//!
//! The flow tests in this file need the shared SSO capability (connections CRUD, StartSso,
//! ExchangeSsoCode, the ACS and metadata routes) that is being built on main; until the SAML
//! module is wired into it they are ignored. `verify` runs the same IdP and the same attacks
//! against the SAML module directly.

pub(crate) mod idp;
mod verify;

use reqwest::{StatusCode, redirect::Policy};
use serde_json::{Value, json};
use url::Url;

use self::idp::{IdpAnswer, SamlIdp};
use super::{
    auth::rest,
    fixtures::User,
    helpers::{TestApp, amr},
};

pub(crate) const APP_CALLBACK: &str = "https://app.example/callback";
const EMAIL_ATTRIBUTE: &str = "urn:oid:1.2.840.113549.1.9.1.1";

/// A Janua with one organization whose SAML connection trusts a fresh pysaml2 IdP (the
/// import tests move it to another Janua: `app` is that server).
pub(crate) struct Saml {
    pub(crate) app: TestApp,
    pub(crate) idp: SamlIdp,
    owner: User,
    org: String,
    pub(crate) connection_id: String,
    domain: String,
    /// A browser: does not follow redirects, so the test sees each one.
    browser: reqwest::Client,
}

#[derive(Default)]
pub(crate) struct Options {
    allow_idp_initiated: bool,
    metadata_by_url: bool,
}

impl Saml {
    pub(crate) async fn start(options: Options) -> Option<Self> {
        let idp = SamlIdp::start().await?;
        let app = TestApp::spawn_with(&[("SSO_ALLOWED_REDIRECT_URIS", APP_CALLBACK)]).await;
        let owner = app.signed_in_user("owner").await;
        let org = app.organization_of(&owner, "Acme").await;
        let domain = format!("{}.example", uuid::Uuid::now_v7().simple());
        let saml = if options.metadata_by_url {
            json!({"idp_metadata_url": idp.metadata_url(), "allow_idp_initiated": options.allow_idp_initiated})
        } else {
            json!({"idp_metadata_xml": idp.metadata().await, "allow_idp_initiated": options.allow_idp_initiated})
        };
        let (status, connection) = create_connection(&app, &owner, &org, &domain, saml).await;
        assert_eq!(status, 200, "{connection}");
        crate::domains::mark_domain_verified(&app, &org, &domain).await;
        let connection_id = connection["id"].as_str().unwrap().to_owned();
        let saml = Self {
            app,
            idp,
            owner,
            org,
            connection_id,
            domain,
            browser: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
        };
        saml.idp.trust_sp(&saml.sp_metadata().await).await;
        Some(saml)
    }

    pub(crate) async fn sp_metadata(&self) -> String {
        let path = format!("/api/v1/sso/saml/{}/metadata", self.connection_id);
        let response = self.browser.get(self.app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    pub(crate) fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    /// StartSso by email domain; returns the URL Janua sends the browser to.
    async fn start_sso(&self, email: &str) -> String {
        let (status, body) = rest(
            &self.app,
            "POST",
            "/api/v1/sso/start",
            None,
            json!({"email": email, "redirect_uri": APP_CALLBACK}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["redirect_url"].as_str().unwrap().to_owned()
    }

    /// StartSso, then the IdP's answer of `variant` for `user`.
    async fn idp_answer(&self, user: &str, groups: &str, variant: &str) -> IdpAnswer {
        let redirect = self.start_sso(user).await;
        self.idp.sign_in(&redirect, user, groups, variant).await
    }

    /// Posts the IdP's answer to the ACS as the browser's auto-submitted form would.
    async fn post_to_acs(&self, answer: &IdpAnswer) -> AcsOutcome {
        // The ACS URL the IdP knows is built on JANUA_ISSUER; the server listens elsewhere.
        let path = Url::parse(&answer.acs_url).unwrap().path().to_owned();
        let response = self
            .browser
            .post(self.app.url(&path))
            .form(&[
                ("SAMLResponse", answer.saml_response.as_str()),
                ("RelayState", answer.relay_state.as_str()),
            ])
            .send()
            .await
            .unwrap();
        AcsOutcome::read(response).await
    }

    /// The whole sign-in; the code the app receives.
    pub(crate) async fn sign_in(&self, user: &str, groups: &str, variant: &str) -> String {
        let answer = self.idp_answer(user, groups, variant).await;
        match self.post_to_acs(&answer).await {
            AcsOutcome::Code(code) => code,
            AcsOutcome::Refused {
                reason,
                description,
            } => {
                panic!("{variant}: refused with {reason}: {description}")
            }
        }
    }

    pub(crate) async fn exchange(&self, code: &str) -> (u16, Value) {
        rest(
            &self.app,
            "POST",
            "/api/v1/sso/exchange",
            None,
            json!({"code": code}),
        )
        .await
    }

    /// The organization's `sso.login` audit events: (succeeded, failed).
    async fn sso_logins(&self) -> (usize, usize) {
        let path = format!(
            "/api/v1/audit-events?action=sso.login&organization_id={}",
            self.org
        );
        let (status, body) =
            rest(&self.app, "GET", &path, Some(&self.owner.token), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let events = body["audit_events"].as_array().cloned().unwrap_or_default();
        let count = |outcome: &str| events.iter().filter(|e| e["outcome"] == outcome).count();
        (count("OUTCOME_SUCCESS"), count("OUTCOME_FAILURE"))
    }

    /// How many members the organization has.
    async fn member_count(&self) -> usize {
        let path = format!("/api/v1/organizations/{}/members", self.org);
        let (status, body) =
            rest(&self.app, "GET", &path, Some(&self.owner.token), json!({})).await;
        assert_eq!(status, 200, "{body}");
        body["members"].as_array().map_or(0, Vec::len)
    }

    async fn member_role(&self, email: &str) -> Option<String> {
        let path = format!("/api/v1/organizations/{}/members", self.org);
        let (_, body) = rest(&self.app, "GET", &path, Some(&self.owner.token), json!({})).await;
        body["members"]
            .as_array()?
            .iter()
            .find(|m| m["email"] == email)
            .map(|m| m["role"].as_str().unwrap().to_owned())
    }
}

async fn create_connection(
    app: &TestApp,
    owner: &User,
    org: &str,
    domain: &str,
    saml: Value,
) -> (u16, Value) {
    rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&owner.token),
        json!({
            "name": "pysaml2",
            "protocol": "SSO_PROTOCOL_SAML",
            "domains": [domain],
            "jit_provisioning": true,
            "default_role": "member",
            "enabled": true,
            "attribute_mapping": {
                "email": EMAIL_ATTRIBUTE,
                "first_name": "givenName",
                "last_name": "sn",
                "groups": "groups",
                "group_roles": {"acme-admins": "admin"},
            },
            "saml": saml,
        }),
    )
    .await
}

/// What the ACS answered: a redirect to the app with a code, or a refusal (a redirect with
/// `error=` when the sign-in was known, else the JSON error model).
#[derive(Debug)]
enum AcsOutcome {
    Code(String),
    Refused { reason: String, description: String },
}

impl AcsOutcome {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        if status == StatusCode::SEE_OTHER {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(
                location.starts_with(APP_CALLBACK),
                "redirected off the app: {location}"
            );
            let query: std::collections::HashMap<_, _> = Url::parse(&location)
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            if let Some(code) = query.get("code") {
                assert!(!query.contains_key("error"), "{location}");
                return Self::Code(code.clone());
            }
            return Self::Refused {
                reason: query.get("error").cloned().unwrap_or_default(),
                description: query.get("error_description").cloned().unwrap_or_default(),
            };
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_client_error(), "{status}: {body}");
        Self::Refused {
            reason: body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            description: body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    fn refusal(self) -> (String, String) {
        match self {
            Self::Refused {
                reason,
                description,
            } => (reason, description),
            Self::Code(code) => panic!("accepted, code {code}"),
        }
    }
}

#[tokio::test]
async fn a_saml_sign_in_provisions_the_user_with_the_mapped_role_and_finds_them_again() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    let ada = saml.email("ada");
    let members_before = saml.member_count().await;

    // The IdP decodes Janua's AuthnRequest (pysaml2), and answers it.
    let answer = saml
        .idp_answer(&ada, "staff,acme-admins", "signed_assertion")
        .await;
    assert!(answer.request_id.as_deref().is_some_and(|id| id.len() > 20));
    let AcsOutcome::Code(code) = saml.post_to_acs(&answer).await else {
        panic!("refused")
    };
    let (status, body) = saml.exchange(&code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], ada.as_str());
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();
    assert!(
        amr(body["tokens"]["access_token"].as_str().unwrap())
            .as_array()
            .unwrap()
            .contains(&json!("sso"))
    );
    assert_eq!(saml.member_count().await, members_before + 1);
    assert_eq!(saml.member_role(&ada).await.as_deref(), Some("admin"));

    // The code is single use.
    let (status, body) = saml.exchange(&code).await;
    assert_eq!(status / 100, 4, "{body}");

    // A second sign-in (this time with the whole response signed too) finds the same user.
    for variant in ["signed_both", "signed_response"] {
        let code = saml.sign_in(&ada, "staff,acme-admins", variant).await;
        let (status, body) = saml.exchange(&code).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["id"], user_id.as_str(), "{variant}");
    }
    assert_eq!(saml.member_count().await, members_before + 1);
    assert_eq!(saml.sso_logins().await, (3, 0));
}

/// Posts each variant's response for a fresh sign-in and expects an SSO_* refusal whose
/// description contains the given words, no code, nobody provisioned, and a failed audit
/// event for each.
async fn assert_refused(saml: &Saml, cases: &[(&str, &str)]) {
    let members = saml.member_count().await;
    let (succeeded, failed) = saml.sso_logins().await;
    for (variant, why) in cases {
        let answer = saml
            .idp_answer(&saml.email("mallory"), "acme-admins", variant)
            .await;
        let (reason, description) = saml.post_to_acs(&answer).await.refusal();
        assert_eq!(
            reason, "SSO_AUTHENTICATION_ERROR",
            "{variant}: {description}"
        );
        assert!(
            description.contains(why),
            "{variant}: {description:?} should say {why:?}"
        );
    }
    assert_eq!(saml.member_count().await, members, "nobody was provisioned");
    assert_eq!(saml.sso_logins().await, (succeeded, failed + cases.len()));
}

#[tokio::test]
async fn forged_and_signature_wrapped_responses_are_refused() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    assert_refused(&saml, idp::FORGED).await;
}

#[tokio::test]
async fn responses_for_another_audience_place_time_or_request_are_refused() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    assert_refused(&saml, idp::MISDIRECTED).await;
}

#[tokio::test]
async fn idp_initiated_sign_in_needs_the_setting_and_an_assertion_is_accepted_once() {
    let Some(closed) = Saml::start(Options::default()).await else {
        return;
    };
    let answer = closed
        .idp
        .unsolicited(
            &sp_entity_id(&closed),
            &closed.email("ada"),
            "signed_assertion",
        )
        .await;
    let (reason, description) = closed.post_to_acs(&answer).await.refusal();
    assert_eq!(reason, "SSO_AUTHENTICATION_ERROR");
    assert!(description.contains("IdP-initiated"), "{description}");

    let Some(open) = Saml::start(Options {
        allow_idp_initiated: true,
        metadata_by_url: true,
    })
    .await
    else {
        return;
    };
    let answer = open
        .idp
        .unsolicited(&sp_entity_id(&open), &open.email("ada"), "signed_assertion")
        .await;
    let AcsOutcome::Code(code) = open.post_to_acs(&answer).await else {
        panic!("IdP-initiated sign-in refused")
    };
    let (status, body) = open.exchange(&code).await;
    assert_eq!(status, 200, "{body}");

    // The very same response again: its assertion was used.
    let (reason, description) = open.post_to_acs(&answer).await.refusal();
    assert_eq!(reason, "SSO_AUTHENTICATION_ERROR");
    assert!(description.contains("already used"), "{description}");

    // A response to a request this sign-in never made is no unsolicited response either.
    let solicited = open
        .idp_answer(&open.email("ada"), "", "signed_assertion")
        .await;
    let stray = IdpAnswer {
        relay_state: String::new(),
        ..solicited
    };
    let (_, description) = open.post_to_acs(&stray).await.refusal();
    assert!(description.contains("did not make"), "{description}");
}

fn sp_entity_id(saml: &Saml) -> String {
    saml.app
        .url(&format!("/api/v1/sso/saml/{}/metadata", saml.connection_id))
}

#[tokio::test]
async fn the_sp_metadata_names_the_entity_and_the_acs() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    let metadata = saml.sp_metadata().await;
    assert!(metadata.contains(&format!(r#"entityID="{}""#, sp_entity_id(&saml))));
    let acs = saml
        .app
        .url(&format!("/api/v1/sso/saml/{}/acs", saml.connection_id));
    assert!(metadata.contains(&format!(r#"Location="{acs}""#)));
    assert!(metadata.contains(r#"WantAssertionsSigned="true""#));
    let unknown = format!("/api/v1/sso/saml/{}/metadata", uuid::Uuid::now_v7());
    let response = saml
        .browser
        .get(saml.app.url(&unknown))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn start_sso_refuses_a_redirect_uri_off_the_allow_list() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    let (status, body) = rest(
        &saml.app,
        "POST",
        "/api/v1/sso/start",
        None,
        json!({"email": saml.email("ada"), "redirect_uri": "https://evil.example/callback"}),
    )
    .await;
    assert_eq!(status / 100, 4, "{body}");
    assert!(body["error"]["code"].as_str().is_some(), "{body}");
    assert!(body.get("redirect_url").is_none());
}

#[tokio::test]
async fn bad_idp_settings_are_refused_at_connection_create() {
    let Some(saml) = Saml::start(Options::default()).await else {
        return;
    };
    let metadata = saml.idp.metadata().await;
    let no_certificate = {
        let start = metadata.find("<ns0:KeyDescriptor").unwrap();
        let end = metadata.find("</ns0:KeyDescriptor>").unwrap() + "</ns0:KeyDescriptor>".len();
        format!("{}{}", &metadata[..start], &metadata[end..])
    };
    let xxe = format!(
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        metadata.replacen("entityID=\"", "entityID=\"&e;", 1)
    );
    let bad_certificate = {
        let start = metadata.find("X509Certificate>").unwrap() + "X509Certificate>".len();
        format!("{}AAAA{}", &metadata[..start], &metadata[start..])
    };
    let cases = [
        (
            json!({"idp_metadata_xml": metadata, "sign_requests": true}),
            "SSO_CONFIGURATION_ERROR",
            "sign_requests",
        ),
        (
            json!({"idp_metadata_xml": no_certificate}),
            "SSO_METADATA_ERROR",
            "no signing certificate",
        ),
        (
            json!({"idp_metadata_xml": xxe}),
            "SSO_METADATA_ERROR",
            "DOCTYPE",
        ),
        (
            json!({"idp_metadata_xml": bad_certificate}),
            "SSO_CERTIFICATE_ERROR",
            "certificate",
        ),
        (
            json!({"idp_metadata_xml": "<md:EntityDescriptor"}),
            "SSO_METADATA_ERROR",
            "malformed",
        ),
        (
            json!({"idp_metadata_url": "ftp://idp.example/md"}),
            "SSO_CONFIGURATION_ERROR",
            "https",
        ),
    ];
    for (settings, reason, why) in cases {
        let domain = format!("{}.example", uuid::Uuid::now_v7().simple());
        let (status, body) =
            create_connection(&saml.app, &saml.owner, &saml.org, &domain, settings).await;
        assert_eq!(status / 100, 4, "{body}");
        assert_eq!(body["error"]["code"], reason, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{message:?} should say {why:?}");
    }
}
