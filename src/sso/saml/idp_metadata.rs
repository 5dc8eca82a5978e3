//! The IdP's SAML metadata: its entity id, its HTTP-Redirect single sign-on URL and the
//! certificates it signs with. Read with the namespace-aware reader of [`super::xml`], so an
//! element counts only in its SAML metadata / XML-DSig namespace.
//!
//! Metadata without a signing certificate is refused: a verifier given no certificate would
//! have nothing to check responses against (samael then skips signature checks altogether).

use openssl::x509::X509;
use samael::crypto::CertificateDer;
use url::Url;

use super::xml::{self, SAML_METADATA, XML_DSIG, sso_error};
use crate::error::{Error, SsoFailure};

pub const HTTP_REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// Metadata larger than this is refused (real IdP metadata is a few kilobytes).
pub const MAX_METADATA_BYTES: usize = 512 * 1024;

/// What Janua needs from the IdP's metadata.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: Url,
    pub certificates: Vec<CertificateDer>,
}

/// Parses IdP metadata XML: `SSO_METADATA_ERROR` naming what is missing or wrong,
/// `SSO_CERTIFICATE_ERROR` when a certificate does not parse.
pub fn parse(metadata: &str) -> Result<IdpMetadata, Error> {
    if metadata.len() > MAX_METADATA_BYTES {
        return Err(metadata_error(format!(
            "IdP metadata is larger than {MAX_METADATA_BYTES} bytes"
        )));
    }
    let doc = xml::parse(metadata, SsoFailure::Metadata)?;
    let entity = doc.root_element();
    if !xml::is(entity, SAML_METADATA, "EntityDescriptor") {
        return Err(metadata_error(
            "IdP metadata must be one md:EntityDescriptor (not EntitiesDescriptor)",
        ));
    }
    let entity_id = entity
        .attribute("entityID")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| metadata_error("IdP metadata has no entityID"))?;
    let mut descriptors = xml::children(entity, SAML_METADATA, "IDPSSODescriptor");
    let descriptor = descriptors
        .next()
        .ok_or_else(|| metadata_error("IdP metadata has no IDPSSODescriptor"))?;
    if descriptors.next().is_some() {
        return Err(metadata_error(
            "IdP metadata has more than one IDPSSODescriptor",
        ));
    }
    Ok(IdpMetadata {
        entity_id: entity_id.to_owned(),
        sso_url: redirect_sso_url(descriptor)?,
        certificates: signing_certificates(descriptor)?,
    })
}

fn redirect_sso_url(descriptor: roxmltree::Node<'_, '_>) -> Result<Url, Error> {
    let location = xml::children(descriptor, SAML_METADATA, "SingleSignOnService")
        .find(|service| service.attribute("Binding") == Some(HTTP_REDIRECT_BINDING))
        .and_then(|service| service.attribute("Location"))
        .ok_or_else(|| {
            metadata_error("IdP metadata has no SingleSignOnService with the HTTP-Redirect binding")
        })?;
    let url = Url::parse(location.trim())
        .map_err(|err| metadata_error(format!("IdP SingleSignOnService Location: {err}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(metadata_error(
            "IdP SingleSignOnService Location must be an http(s) URL",
        ));
    }
    Ok(url)
}

/// The certificates of `use="signing"` key descriptors, or of those without a `use` (which
/// serve both purposes); never those marked `use="encryption"`.
fn signing_certificates(descriptor: roxmltree::Node<'_, '_>) -> Result<Vec<CertificateDer>, Error> {
    let mut certificates = Vec::new();
    for key in xml::children(descriptor, SAML_METADATA, "KeyDescriptor") {
        if !matches!(key.attribute("use"), None | Some("signing") | Some("")) {
            continue;
        }
        let encoded = key
            .descendants()
            .filter(|node| xml::is(*node, XML_DSIG, "X509Certificate"));
        for certificate in encoded {
            certificates.push(parse_certificate(certificate)?);
        }
    }
    if certificates.is_empty() {
        return Err(metadata_error(
            "IdP metadata has no signing certificate (KeyDescriptor with ds:X509Certificate)",
        ));
    }
    Ok(certificates)
}

fn parse_certificate(node: roxmltree::Node<'_, '_>) -> Result<CertificateDer, Error> {
    use base64::Engine as _;
    let text = xml::text(node).unwrap_or_default();
    let compact: String = text.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|err| certificate_error(format!("IdP certificate is not base64: {err}")))?;
    X509::from_der(&der)
        .map_err(|_| certificate_error("IdP certificate is not a valid X.509 certificate"))?;
    Ok(CertificateDer::from(der))
}

fn metadata_error(message: impl Into<String>) -> Error {
    sso_error(SsoFailure::Metadata, message)
}

fn certificate_error(message: impl Into<String>) -> Error {
    sso_error(SsoFailure::Certificate, message)
}
