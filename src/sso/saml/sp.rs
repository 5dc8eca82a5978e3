//! Janua's side of a SAML connection: its entity id and Assertion Consumer Service URL (both
//! derived from `JANUA_ISSUER` and the connection id, so they never need storing), and the SP
//! metadata document an IdP administrator imports.

use samael::metadata::{EntityDescriptor, HTTP_POST_BINDING, IndexedEndpoint, SpSsoDescriptor};
use samael::traits::ToXml;

use crate::error::Error;

/// The NameID formats Janua accepts; the AuthnRequest asks for none in particular.
pub const NAME_ID_FORMATS: [&str; 3] = [
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
];

/// The SP identifiers of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpEndpoints {
    /// Also the URL of the SP metadata, as is usual.
    pub entity_id: String,
    /// Where the IdP posts its response (HTTP-POST binding).
    pub acs_url: String,
}

impl SpEndpoints {
    /// `<issuer>/api/v1/sso/saml/<connection_id>/{metadata,acs}`.
    pub fn new(issuer: &str, connection_id: &str) -> Self {
        let base = format!(
            "{}/api/v1/sso/saml/{connection_id}",
            issuer.trim_end_matches('/')
        );
        Self {
            entity_id: format!("{base}/metadata"),
            acs_url: format!("{base}/acs"),
        }
    }

    /// The SP metadata XML: entity id, one HTTP-POST ACS, the accepted NameID formats, and
    /// WantAssertionsSigned. No signing key: Janua does not sign its requests.
    pub fn metadata_xml(&self) -> Result<String, Error> {
        let descriptor = SpSsoDescriptor {
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
            authn_requests_signed: Some(false),
            want_assertions_signed: Some(true),
            name_id_formats: Some(NAME_ID_FORMATS.iter().map(|f| (*f).to_owned()).collect()),
            assertion_consumer_services: vec![IndexedEndpoint {
                binding: HTTP_POST_BINDING.into(),
                location: self.acs_url.clone(),
                response_location: None,
                index: 0,
                is_default: Some(true),
            }],
            ..SpSsoDescriptor::default()
        };
        let entity = EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            sp_sso_descriptors: Some(vec![descriptor]),
            ..EntityDescriptor::default()
        };
        ToXml::to_string(&entity)
            .map_err(|err| Error::Internal(anyhow::anyhow!("SP metadata: {err}")))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::sso::saml::xml::{self, SAML_METADATA};

    #[test]
    fn sp_metadata_names_the_entity_the_acs_and_the_name_id_formats() {
        let sp = SpEndpoints::new("https://id.example.com/", "c1");
        assert_eq!(
            sp.entity_id,
            "https://id.example.com/api/v1/sso/saml/c1/metadata"
        );
        let metadata = sp.metadata_xml().unwrap();
        let doc = xml::parse(&metadata, crate::error::SsoFailure::Metadata).unwrap();
        let entity = doc.root_element();
        assert_eq!(entity.attribute("entityID"), Some(sp.entity_id.as_str()));
        let descriptor = xml::child(entity, SAML_METADATA, "SPSSODescriptor").unwrap();
        assert_eq!(descriptor.attribute("WantAssertionsSigned"), Some("true"));
        let acs = xml::child(descriptor, SAML_METADATA, "AssertionConsumerService").unwrap();
        assert_eq!(
            acs.attribute("Location"),
            Some("https://id.example.com/api/v1/sso/saml/c1/acs")
        );
        assert_eq!(acs.attribute("Binding"), Some(HTTP_POST_BINDING));
        let formats: Vec<_> = xml::children(descriptor, SAML_METADATA, "NameIDFormat")
            .filter_map(xml::text)
            .collect();
        assert_eq!(formats, NAME_ID_FORMATS);
    }
}
