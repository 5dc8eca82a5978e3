//! Signature verification, by samael over libxmlsec1: every `ds:Signature` in the response must
//! verify against one of the IdP's certificates, with an allowed algorithm, and the result is
//! the document reduced to what those signatures cover (samael's
//! `ReduceMode::ValidateAndMarkNoAncestors`: unsigned elements and attributes are removed, so
//! nothing outside the signed element can be read afterwards).
//!
//! What samael checks here, and what it leaves to the caller (who must not trust it further):
//! it registers `ID` attributes (refusing duplicates of `ID`, not of `Id`/`AssertionID`),
//! verifies each signature node, and rebuilds the document from the verified references.
//! It does not require any particular element to be signed, knows nothing of SAML semantics
//! (issuer, audience, times, recipients) and, when given no certificate, is never reached by
//! samael's own `ServiceProvider` (which then skips verification) — hence [`super::structure`]
//! before it and [`super::assertion`] after it, reading only its output.

use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider as _, ReduceMode,
};

/// SHA-2 signatures only: SHA-1 (and DSA) are refused.
const ALLOWED_ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// The signed part of `response_xml`, or why there is none. Blocking (libxmlsec1): call it off
/// the async runtime.
pub fn verified_part(
    response_xml: &str,
    certificates: &[CertificateDer],
) -> Result<String, String> {
    if certificates.is_empty() {
        return Err("no IdP certificate to verify the signature with".into());
    }
    Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        response_xml,
        certificates,
        ReduceMode::ValidateAndMarkNoAncestors,
        Some(ALLOWED_ALGORITHMS.as_slice()),
    )
    .map_err(|_| "the signature does not verify with the IdP's certificate".into())
}
