//! The AuthnRequest Janua sends over the HTTP-Redirect binding (SAML Bindings §3.4: DEFLATE,
//! base64, `SAMLRequest` + `RelayState` query parameters), unsigned.

use chrono::{DateTime, Utc};
use samael::metadata::HTTP_POST_BINDING;
use samael::schema::{AuthnRequest, Issuer};
use url::Url;

use super::idp_metadata::IdpMetadata;
use super::sp::SpEndpoints;
use crate::error::Error;

/// A fresh request id: 128 random bits, prefixed so it is a valid XML NCName.
pub fn new_request_id() -> String {
    let bits: [u8; 16] = rand::random();
    let hex: String = bits.iter().map(|b| format!("{b:02x}")).collect();
    format!("_{hex}")
}

/// The URL to send the browser to: the IdP's SSO URL with the deflated request and
/// `relay_state` (the pending sign-in's `state`).
pub fn redirect_url(
    idp: &IdpMetadata,
    sp: &SpEndpoints,
    request_id: &str,
    relay_state: &str,
    now: DateTime<Utc>,
) -> Result<Url, Error> {
    let request = AuthnRequest {
        id: request_id.to_owned(),
        version: "2.0".into(),
        issue_instant: now,
        destination: Some(idp.sso_url.to_string()),
        issuer: Some(Issuer {
            value: Some(sp.entity_id.clone()),
            ..Issuer::default()
        }),
        assertion_consumer_service_url: Some(sp.acs_url.clone()),
        protocol_binding: Some(HTTP_POST_BINDING.into()),
        ..AuthnRequest::default()
    };
    request
        .redirect(relay_state)
        .map_err(|err| Error::Internal(anyhow::anyhow!("AuthnRequest: {err}")))?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("AuthnRequest without destination")))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use std::io::Read as _;

    use base64::Engine as _;

    use super::*;
    use crate::sso::saml::xml::{self, SAML_ASSERTION, SAML_PROTOCOL};

    #[test]
    fn the_redirect_carries_the_deflated_request_and_the_relay_state() {
        let idp = IdpMetadata {
            entity_id: "https://idp.example/metadata".into(),
            sso_url: Url::parse("https://idp.example/sso?tenant=a").unwrap(),
            certificates: vec![],
        };
        let sp = SpEndpoints::new("https://id.example.com", "c1");
        let id = new_request_id();
        let url = redirect_url(&idp, &sp, &id, "state-1", Utc::now()).unwrap();
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["tenant"], "a");
        assert_eq!(query["RelayState"], "state-1");
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(&query["SAMLRequest"])
            .unwrap();
        let mut request = String::new();
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .read_to_string(&mut request)
            .unwrap();
        let doc = xml::parse(&request, crate::error::SsoFailure::Authentication).unwrap();
        let root = doc.root_element();
        assert!(xml::is(root, SAML_PROTOCOL, "AuthnRequest"));
        assert_eq!(root.attribute("ID"), Some(id.as_str()));
        assert_eq!(
            root.attribute("AssertionConsumerServiceURL"),
            Some(sp.acs_url.as_str())
        );
        let issuer = xml::child(root, SAML_ASSERTION, "Issuer").and_then(xml::text);
        assert_eq!(issuer, Some(sp.entity_id));
    }

    #[test]
    fn request_ids_are_fresh_ncnames() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert!(a.starts_with('_') && a.len() == 33);
    }
}
