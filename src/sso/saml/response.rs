//! One SAML Response through every check, in the order that keeps untrusted input away from
//! the expensive and the fragile: decode and size limit, DTD refusal and strict parse, the
//! anti-wrapping shape ([`super::structure`]), the Response checks, signature verification
//! and reduction ([`super::signature`]), then only the signed assertion is read and checked.
//! Synchronous and CPU-bound (libxmlsec1): run it off the async runtime.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use samael::crypto::CertificateDer;

use super::assertion::{self, SamlSubject};
use super::checks::{self, Expected};
use super::{signature, structure, xml};
use crate::error::{Error, SsoFailure};

/// Responses larger than this (base64) are refused before decoding.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A response that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedResponse {
    pub assertion_id: String,
    /// Until when the assertion could be replayed (its latest NotOnOrAfter).
    pub valid_until: DateTime<Utc>,
    pub subject: SamlSubject,
}

/// Checks the base64 `SAMLResponse` of the HTTP-POST binding; any refusal is an
/// SSO_AUTHENTICATION_ERROR saying why.
pub fn verify(
    encoded: &str,
    certificates: &[CertificateDer],
    expected: &Expected<'_>,
) -> Result<VerifiedResponse, Error> {
    verify_inner(encoded, certificates, expected).map_err(|err| match err {
        Refusal::Message(message) => xml::sso_error(SsoFailure::Authentication, message),
        Refusal::Error(err) => err,
    })
}

enum Refusal {
    Message(String),
    Error(Error),
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self::Message(message)
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Self::Message(message.to_owned())
    }
}

impl From<Error> for Refusal {
    fn from(err: Error) -> Self {
        Self::Error(err)
    }
}

fn verify_inner(
    encoded: &str,
    certificates: &[CertificateDer],
    expected: &Expected<'_>,
) -> Result<VerifiedResponse, Refusal> {
    let response_xml = decode(encoded)?;
    let received = xml::parse(&response_xml, SsoFailure::Authentication)?;
    let shape = structure::check(&received)?;
    checks::check_response(received.root_element(), expected)?;
    let verified_xml = signature::verified_part(&response_xml, certificates)?;
    let verified = xml::parse(&verified_xml, SsoFailure::Authentication)?;
    let assertion = assertion::signed_assertion(&verified, &shape.assertion_id)?;
    checks::check_assertion(assertion, expected)?;
    let valid_until = checks::valid_until(assertion)?.ok_or("the assertion never expires")?;
    Ok(VerifiedResponse {
        assertion_id: shape.assertion_id,
        valid_until,
        subject: assertion::subject(assertion)?,
    })
}

fn decode(encoded: &str) -> Result<String, Refusal> {
    if encoded.len() > MAX_RESPONSE_BYTES {
        return Err("the SAMLResponse is too large".into());
    }
    // Some IdPs wrap the base64 in lines.
    let compact: String = encoded.split_ascii_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| "the SAMLResponse is not base64")?;
    String::from_utf8(bytes).map_err(|_| "the SAMLResponse is not UTF-8 XML".into())
}
