//! Unit tests of the parts that need no signature: metadata parsing, the anti-wrapping shape
//! and the SAML checks. Signed responses from a real IdP (pysaml2) are exercised end to end
//! in tests/api/sso_saml.rs.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};

use super::checks::{self, Expected};
use super::sp::SpEndpoints;
use super::{idp_metadata, structure, xml};
use crate::error::{Error, SsoFailure};

fn certificate_base64() -> String {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "idp").unwrap();
    let name = name.build();
    let mut builder = x509::X509Builder::new().unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    builder.sign(&key, MessageDigest::sha256()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(builder.build().to_der().unwrap())
}

fn metadata(key_descriptor: &str, sso_binding: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
             xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/md">
           <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
             {key_descriptor}
             <md:SingleSignOnService Binding="{sso_binding}" Location="https://idp.example/sso"/>
           </md:IDPSSODescriptor>
         </md:EntityDescriptor>"#
    )
}

fn key_descriptor(use_: &str, certificate: &str) -> String {
    format!(
        r#"<md:KeyDescriptor {use_}><ds:KeyInfo><ds:X509Data>
             <ds:X509Certificate>{certificate}</ds:X509Certificate>
           </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
    )
}

fn failure(result: Result<impl std::fmt::Debug, Error>) -> (SsoFailure, String) {
    match result.expect_err("refused") {
        Error::Sso { failure, message } => (failure, message),
        other => panic!("not an SSO error: {other:?}"),
    }
}

#[test]
fn idp_metadata_gives_entity_id_redirect_url_and_signing_certificates() {
    let cert = certificate_base64();
    let xml = metadata(
        &format!(
            "{}{}",
            key_descriptor(r#"use="signing""#, &cert),
            key_descriptor(r#"use="encryption""#, "not-even-base64")
        ),
        idp_metadata::HTTP_REDIRECT_BINDING,
    );
    let parsed = idp_metadata::parse(&xml).unwrap();
    assert_eq!(parsed.entity_id, "https://idp.example/md");
    assert_eq!(parsed.sso_url.as_str(), "https://idp.example/sso");
    assert_eq!(parsed.certificates.len(), 1);
}

#[test]
fn idp_metadata_without_a_signing_certificate_is_a_metadata_error() {
    let xml = metadata("", idp_metadata::HTTP_REDIRECT_BINDING);
    let (kind, message) = failure(idp_metadata::parse(&xml));
    assert_eq!(kind, SsoFailure::Metadata);
    assert!(message.contains("no signing certificate"), "{message}");
}

#[test]
fn an_unparsable_certificate_is_a_certificate_error() {
    let broken = base64::engine::general_purpose::STANDARD.encode(b"not a certificate");
    let xml = metadata(
        &key_descriptor("", &broken),
        idp_metadata::HTTP_REDIRECT_BINDING,
    );
    assert_eq!(
        failure(idp_metadata::parse(&xml)).0,
        SsoFailure::Certificate
    );
}

#[test]
fn idp_metadata_without_a_redirect_binding_names_what_is_missing() {
    let cert = certificate_base64();
    let post = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    let xml = metadata(&key_descriptor("", &cert), post);
    let (kind, message) = failure(idp_metadata::parse(&xml));
    assert_eq!(kind, SsoFailure::Metadata);
    assert!(message.contains("HTTP-Redirect"), "{message}");
}

#[test]
fn idp_metadata_with_an_external_entity_is_refused_unread() {
    let xml = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE md [<!ENTITY e SYSTEM \"file:///etc/hostname\">]>{}",
        metadata("&e;", idp_metadata::HTTP_REDIRECT_BINDING)
    );
    let (kind, message) = failure(idp_metadata::parse(&xml));
    assert_eq!(kind, SsoFailure::Metadata);
    assert!(message.contains("DOCTYPE"), "{message}");
}

#[test]
fn an_entities_descriptor_is_refused() {
    let xml = r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>"#;
    assert_eq!(failure(idp_metadata::parse(xml)).0, SsoFailure::Metadata);
}

// --- the anti-wrapping shape --------------------------------------------------------------

const NS: &str = r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#;

fn signature(id: &str) -> String {
    format!(
        r##"<ds:Signature><ds:SignedInfo><ds:Reference URI="#{id}"><ds:Transforms>
           <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
           <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
           </ds:Transforms></ds:Reference></ds:SignedInfo></ds:Signature>"##
    )
}

fn assertion(id: &str, signed: bool) -> String {
    let signature = if signed { signature(id) } else { String::new() };
    format!(r#"<saml:Assertion ID="{id}"><saml:Issuer>i</saml:Issuer>{signature}</saml:Assertion>"#)
}

fn response(inside: &str) -> String {
    format!(r#"<samlp:Response {NS} ID="r1"><saml:Issuer>i</saml:Issuer>{inside}</samlp:Response>"#)
}

fn shape(xml_text: &str) -> Result<structure::Shape, String> {
    let doc = xml::parse(xml_text, SsoFailure::Authentication).unwrap();
    structure::check(&doc)
}

#[test]
fn one_signed_assertion_has_the_accepted_shape() {
    let found = shape(&response(&assertion("a1", true))).unwrap();
    assert_eq!(found.assertion_id, "a1");
    assert!(found.assertion_signed && !found.response_signed);
    let both = shape(&response(&format!(
        "{}{}",
        signature("r1"),
        assertion("a1", true)
    )))
    .unwrap();
    assert!(both.assertion_signed && both.response_signed);
}

#[test]
fn wrapping_shapes_are_refused_before_verification() {
    let cases = [
        // XSW3: an evil assertion beside the signed one.
        (
            response(&format!(
                "{}{}",
                assertion("evil", false),
                assertion("a1", true)
            )),
            "more than one assertion",
        ),
        // XSW4: the signed assertion inside the evil one.
        (
            response(&format!(
                r#"<saml:Assertion ID="evil">{}</saml:Assertion>"#,
                assertion("a1", true)
            )),
            "more than one assertion",
        ),
        // XSW7: the signed assertion hidden in Extensions, an evil one in its place.
        (
            response(&format!(
                "<samlp:Extensions>{}</samlp:Extensions>{}",
                assertion("a1", true),
                assertion("evil", false)
            )),
            "more than one assertion",
        ),
        // A signature that references something else than its parent.
        (
            response(&format!(
                r#"<saml:Assertion ID="evil"><saml:Issuer>i</saml:Issuer>{}</saml:Assertion>"#,
                signature("a1")
            )),
            "does not reference",
        ),
        // XSW8: the signed content in a ds:Object of the signature.
        (
            response(
                &assertion("a1", true).replace("</ds:Signature>", "<ds:Object/></ds:Signature>"),
            ),
            "Object",
        ),
        // A signature in a place SAML does not put one.
        (
            response(&format!(
                "<samlp:Extensions>{}</samlp:Extensions>{}",
                signature("r1"),
                assertion("a1", true)
            )),
            "somewhere",
        ),
        // Duplicate IDs.
        (
            response(&format!(
                r#"{}<saml:Advice ID="a1"/>"#,
                assertion("a1", true)
            )),
            "more than once",
        ),
        (response(&assertion("r1", true)), "more than once"),
        // No signature at all.
        (response(&assertion("a1", false)), "neither"),
        // Encrypted assertions are not supported.
        (
            response(&format!(
                "{}<saml:EncryptedAssertion/>",
                assertion("a1", true)
            )),
            "encrypted",
        ),
        // A comment could split a signed value without breaking the signature.
        (
            response(&assertion("a1", true).replace("<saml:Issuer>i", "<saml:Issuer>i<!---->")),
            "comments",
        ),
        // An Assertion in another namespace, where a namespace-blind reader would look.
        (
            response(&format!(
                r#"{}<x:Assertion xmlns:x="urn:evil" ID="x1"/>"#,
                assertion("a1", true)
            )),
            "more than one assertion",
        ),
        // Another transform than enveloped-signature and canonicalization.
        (
            response(&assertion("a1", true).replace("xml-exc-c14n#", "xpath")),
            "transform",
        ),
    ];
    for (xml_text, why) in cases {
        let refused = shape(&xml_text).expect_err(&xml_text);
        assert!(
            refused.contains(why),
            "{refused:?} should say {why:?} for {xml_text}"
        );
    }
}

// --- the SAML checks ------------------------------------------------------------------------

fn at(offset_seconds: i64) -> String {
    (now() + Duration::seconds(offset_seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn sp() -> SpEndpoints {
    SpEndpoints::new("https://id.example.com", "c1")
}

fn expected<'a>(
    sp: &'a SpEndpoints,
    request_id: Option<&'a str>,
    allow_idp_initiated: bool,
) -> Expected<'a> {
    Expected {
        idp_entity_id: "https://idp.example/md",
        sp,
        request_id,
        allow_idp_initiated,
        now: now(),
    }
}

struct Parts {
    audience: String,
    recipient: String,
    in_response_to: String,
    not_before: String,
    not_on_or_after: String,
}

impl Default for Parts {
    fn default() -> Self {
        Self {
            audience: sp().entity_id,
            recipient: sp().acs_url,
            in_response_to: r#"InResponseTo="req1""#.into(),
            not_before: at(-60),
            not_on_or_after: at(300),
        }
    }
}

fn assertion_xml(p: &Parts) -> String {
    format!(
        r#"<saml:Assertion {NS} ID="a1"><saml:Issuer>https://idp.example/md</saml:Issuer>
          <saml:Subject><saml:NameID>ada@example.com</saml:NameID>
            <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
              <saml:SubjectConfirmationData {irt} Recipient="{recipient}" NotOnOrAfter="{nooa}"/>
            </saml:SubjectConfirmation></saml:Subject>
          <saml:Conditions NotBefore="{nb}" NotOnOrAfter="{nooa}">
            <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
          </saml:Conditions></saml:Assertion>"#,
        irt = p.in_response_to,
        recipient = p.recipient,
        nooa = p.not_on_or_after,
        nb = p.not_before,
        audience = p.audience,
    )
}

fn check(p: &Parts, expected: &Expected<'_>) -> Result<(), String> {
    let text = assertion_xml(p);
    let doc = xml::parse(&text, SsoFailure::Authentication).unwrap();
    checks::check_assertion(doc.root_element(), expected)
}

#[test]
fn a_good_assertion_passes_and_each_broken_part_is_named() {
    let sp = sp();
    let solicited = expected(&sp, Some("req1"), false);
    check(&Parts::default(), &solicited).unwrap();
    let cases = [
        (
            Parts {
                audience: "https://other.example/md".into(),
                ..Parts::default()
            },
            "audience",
        ),
        (
            Parts {
                recipient: "https://other.example/acs".into(),
                ..Parts::default()
            },
            "Recipient",
        ),
        (
            Parts {
                in_response_to: r#"InResponseTo="other""#.into(),
                ..Parts::default()
            },
            "does not answer",
        ),
        (
            Parts {
                in_response_to: String::new(),
                ..Parts::default()
            },
            "does not answer",
        ),
        (
            Parts {
                not_on_or_after: at(-121),
                ..Parts::default()
            },
            "expired",
        ),
        (
            Parts {
                not_before: at(121),
                ..Parts::default()
            },
            "not valid yet",
        ),
    ];
    for (parts, why) in cases {
        let refused = check(&parts, &solicited).expect_err(why);
        assert!(refused.contains(why), "{refused:?} should say {why:?}");
    }
}

#[test]
fn two_minutes_of_clock_skew_are_tolerated_and_no_more() {
    let sp = sp();
    let solicited = expected(&sp, Some("req1"), false);
    check(
        &Parts {
            not_on_or_after: at(-119),
            ..Parts::default()
        },
        &solicited,
    )
    .unwrap();
    check(
        &Parts {
            not_before: at(119),
            ..Parts::default()
        },
        &solicited,
    )
    .unwrap();
    assert!(
        check(
            &Parts {
                not_on_or_after: at(-120),
                ..Parts::default()
            },
            &solicited
        )
        .is_err()
    );
}

#[test]
fn unsolicited_responses_need_the_setting_and_no_in_response_to() {
    let sp = sp();
    let unsolicited = Parts {
        in_response_to: String::new(),
        ..Parts::default()
    };
    let refused = check(&unsolicited, &expected(&sp, None, false)).unwrap_err();
    assert!(refused.contains("IdP-initiated"), "{refused}");
    check(&unsolicited, &expected(&sp, None, true)).unwrap();
    // Allowing IdP-initiated sign-in does not make a response to some other request acceptable.
    let refused = check(&Parts::default(), &expected(&sp, None, true)).unwrap_err();
    assert!(refused.contains("did not make"), "{refused}");
}

#[test]
fn an_assertion_without_audience_restriction_is_refused() {
    let sp = sp();
    let text = assertion_xml(&Parts::default()).replace("AudienceRestriction", "OneTimeUse");
    let text = text.replace(
        &format!("<saml:Audience>{}</saml:Audience>", sp.entity_id),
        "",
    );
    let doc = xml::parse(&text, SsoFailure::Authentication).unwrap();
    let refused = checks::check_assertion(doc.root_element(), &expected(&sp, Some("req1"), false));
    assert!(refused.unwrap_err().contains("no AudienceRestriction"));
}
