//! The SAML service provider (`janua::sso::saml::SamlSp`) against the real pysaml2 IdP, below
//! the HTTP layer: the AuthnRequest Janua builds is decoded by pysaml2, and every response the
//! IdP signs (or forges) goes through the same `consume` the ACS route calls, with real
//! libxmlsec1 verification. Each refusal must be an SSO_AUTHENTICATION_ERROR naming why.

use std::sync::Arc;

use janua::{
    cache,
    clock::SystemClock,
    error::{Error, SsoFailure},
    sso::saml::{AcsRequest, IdpSource, SamlSp, SamlSubject},
};

use super::idp::SamlIdp;

const ISSUER: &str = "http://127.0.0.1:4100";

struct Sp {
    sp: SamlSp,
    idp: SamlIdp,
    metadata_xml: String,
    connection_id: String,
}

impl Sp {
    async fn start() -> Option<Self> {
        let idp = SamlIdp::start().await?;
        let sp = SamlSp::new(
            &url::Url::parse(ISSUER).unwrap(),
            // Redis when the suite runs on it (tests/run), so the replay guard is tested there.
            cache::connect(
                std::env::var("REDIS_URL").ok().as_deref(),
                &format!("test:{}:", uuid::Uuid::now_v7().simple()),
                Arc::new(SystemClock),
            )
            .await
            .unwrap(),
            reqwest::Client::new(),
            Arc::new(SystemClock),
        );
        let connection_id = uuid::Uuid::now_v7().to_string();
        idp.trust_sp(&sp.metadata_xml(&connection_id).unwrap())
            .await;
        let metadata_xml = idp.metadata().await;
        Some(Self {
            sp,
            idp,
            metadata_xml,
            connection_id,
        })
    }

    fn source(&self) -> IdpSource<'_> {
        IdpSource {
            metadata_xml: Some(&self.metadata_xml),
            metadata_url: None,
        }
    }

    /// A solicited sign-in answered with `variant`, through `consume`.
    async fn sign_in(&self, user: &str, variant: &str) -> Result<SamlSubject, Error> {
        let (url, request_id) = self
            .sp
            .authorization_url(&self.connection_id, self.source(), "state-1")
            .await
            .unwrap();
        let answer = self
            .idp
            .sign_in(url.as_str(), user, "staff,acme-admins", variant)
            .await;
        assert_eq!(answer.request_id.as_deref(), Some(request_id.as_str()));
        assert_eq!(answer.relay_state, "state-1");
        self.consume(&answer.saml_response, Some(&request_id), false)
            .await
    }

    async fn consume(
        &self,
        response: &str,
        request_id: Option<&str>,
        idp_initiated: bool,
    ) -> Result<SamlSubject, Error> {
        self.sp
            .consume(AcsRequest {
                connection_id: &self.connection_id,
                idp: self.source(),
                saml_response: response,
                request_id,
                allow_idp_initiated: idp_initiated,
            })
            .await
    }

    fn entity_id(&self) -> String {
        self.sp.endpoints(&self.connection_id).entity_id
    }
}

fn refusal(result: Result<SamlSubject, Error>) -> (SsoFailure, String) {
    match result {
        Err(Error::Sso { failure, message }) => (failure, message),
        other => panic!("not an SSO refusal: {other:?}"),
    }
}

#[tokio::test]
async fn signed_responses_from_pysaml2_give_the_subject_and_its_attributes() {
    let Some(sp) = Sp::start().await else { return };
    for variant in ["signed_assertion", "signed_response", "signed_both"] {
        let subject = sp.sign_in("ada@example.com", variant).await.unwrap();
        assert_eq!(subject.name_id, "ada@example.com", "{variant}");
        assert_eq!(
            subject.name_id_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
        );
        assert_eq!(subject.attributes["givenName"], ["Ada"]);
        assert_eq!(subject.attributes["urn:oid:2.5.4.4"], ["Lovelace"]);
        assert_eq!(subject.attributes["groups"], ["staff", "acme-admins"]);
    }
}

#[tokio::test]
async fn forged_wrapped_and_misdirected_responses_are_refused() {
    let Some(sp) = Sp::start().await else { return };
    let cases = super::idp::FORGED.iter().chain(super::idp::MISDIRECTED);
    for &(variant, why) in cases {
        let result = sp.sign_in("mallory@example.com", variant).await;
        assert!(result.is_err(), "{variant} was accepted");
        let (failure, message) = refusal(result);
        assert_eq!(failure, SsoFailure::Authentication, "{variant}: {message}");
        assert!(
            message.contains(why),
            "{variant}: {message:?} should say {why:?}"
        );
    }
}

#[tokio::test]
async fn unsolicited_responses_need_the_setting_and_an_assertion_is_accepted_once() {
    let Some(sp) = Sp::start().await else { return };
    let answer = sp
        .idp
        .unsolicited(&sp.entity_id(), "ada@example.com", "signed_assertion")
        .await;
    let (_, message) = refusal(sp.consume(&answer.saml_response, None, false).await);
    assert!(message.contains("IdP-initiated"), "{message}");

    let subject = sp.consume(&answer.saml_response, None, true).await.unwrap();
    assert_eq!(subject.name_id, "ada@example.com");
    let (failure, message) = refusal(sp.consume(&answer.saml_response, None, true).await);
    assert_eq!(failure, SsoFailure::Authentication);
    assert!(message.contains("already used"), "{message}");

    // Allowing IdP-initiated sign-in does not accept an answer to a request not in hand.
    let (url, _) = sp
        .sp
        .authorization_url(&sp.connection_id, sp.source(), "s")
        .await
        .unwrap();
    let solicited = sp
        .idp
        .sign_in(url.as_str(), "ada@example.com", "", "signed_assertion")
        .await;
    let (_, message) = refusal(sp.consume(&solicited.saml_response, None, true).await);
    assert!(message.contains("did not make"), "{message}");
}

#[tokio::test]
async fn idp_metadata_is_fetched_by_url_and_bad_settings_are_refused() {
    let Some(sp) = Sp::start().await else { return };
    let by_url = IdpSource {
        metadata_xml: None,
        metadata_url: Some(&sp.idp.metadata_url()),
    };
    let metadata = sp.sp.idp_metadata(by_url).await.unwrap();
    assert_eq!(metadata.entity_id, sp.idp.metadata_url());
    sp.sp.validate_settings(by_url, false).await.unwrap();

    let (failure, message) = match sp.sp.validate_settings(sp.source(), true).await {
        Err(Error::Sso { failure, message }) => (failure, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(failure, SsoFailure::Configuration);
    assert!(message.contains("sign_requests"), "{message}");

    let xxe = format!(
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        sp.metadata_xml.replacen("entityID=\"", "entityID=\"&e;", 1)
    );
    let bad_certificate = {
        let start = sp.metadata_xml.find("X509Certificate>").unwrap() + "X509Certificate>".len();
        format!(
            "{}AAAA{}",
            &sp.metadata_xml[..start],
            &sp.metadata_xml[start..]
        )
    };
    let unreachable = "http://127.0.0.1:9/metadata".to_owned();
    let cases = [
        (Some(xxe.as_str()), None, SsoFailure::Metadata, "DOCTYPE"),
        (
            Some(bad_certificate.as_str()),
            None,
            SsoFailure::Certificate,
            "certificate",
        ),
        (
            Some("<md:EntityDescriptor"),
            None,
            SsoFailure::Metadata,
            "malformed",
        ),
        (
            None,
            Some("ftp://idp.example/md"),
            SsoFailure::Configuration,
            "https",
        ),
        (
            None,
            Some(unreachable.as_str()),
            SsoFailure::Metadata,
            "could not fetch",
        ),
        (
            None,
            None,
            SsoFailure::Configuration,
            "idp_metadata_xml or idp_metadata_url",
        ),
    ];
    for (xml, url, expected, why) in cases {
        let source = IdpSource {
            metadata_xml: xml,
            metadata_url: url,
        };
        match sp.sp.validate_settings(source, false).await {
            Err(Error::Sso { failure, message }) => {
                assert_eq!(failure, expected, "{message}");
                assert!(message.contains(why), "{message:?} should say {why:?}");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
}
