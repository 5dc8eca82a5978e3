//! The SAML Web Browser SSO profile's checks (SAML Profiles §4.1.4.3), with Janua's clock:
//! on the Response (status, destination, issuer, InResponseTo) and on the verified Assertion
//! (issuer, audience, bearer subject confirmation with recipient, InResponseTo and validity
//! window, conditions' validity window). Every failure is a message for an
//! SSO_AUTHENTICATION_ERROR; the caller adds the error kind.

use chrono::{DateTime, Duration, Utc};
use roxmltree::Node;

use super::sp::SpEndpoints;
use super::xml::{self, SAML_ASSERTION, SAML_PROTOCOL};

/// Tolerated clock difference with the IdP.
pub const CLOCK_SKEW: Duration = Duration::minutes(2);

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// What the response must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub idp_entity_id: &'a str,
    pub sp: &'a SpEndpoints,
    /// The id of the AuthnRequest this sign-in started with; None for an unsolicited response.
    pub request_id: Option<&'a str>,
    pub allow_idp_initiated: bool,
    pub now: DateTime<Utc>,
}

/// Checks the Response element (signed or not: the assertion carries the signed equivalents).
pub fn check_response(response: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), String> {
    let status = xml::child(response, SAML_PROTOCOL, "Status")
        .and_then(|s| xml::child(s, SAML_PROTOCOL, "StatusCode"))
        .and_then(|c| c.attribute("Value"));
    if status != Some(STATUS_SUCCESS) {
        return Err(format!(
            "the IdP did not report success (status {})",
            status.unwrap_or("missing")
        ));
    }
    if response.attribute("Destination") != Some(expected.sp.acs_url.as_str()) {
        return Err("the response's Destination is not this connection's ACS URL".into());
    }
    if let Some(issuer) = xml::child(response, SAML_ASSERTION, "Issuer") {
        check_issuer(issuer, expected)?;
    }
    check_in_response_to(response.attribute("InResponseTo"), expected)
}

/// Checks the verified assertion's issuer, conditions and subject confirmation.
pub fn check_assertion(assertion: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), String> {
    let issuer =
        xml::child(assertion, SAML_ASSERTION, "Issuer").ok_or("the assertion has no Issuer")?;
    check_issuer(issuer, expected)?;
    let conditions = xml::child(assertion, SAML_ASSERTION, "Conditions")
        .ok_or("the assertion has no Conditions")?;
    check_window(conditions, expected.now, "the assertion's Conditions")?;
    check_audience(conditions, expected)?;
    check_bearer_confirmation(assertion, expected)
}

fn check_issuer(issuer: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), String> {
    if xml::text(issuer).as_deref() != Some(expected.idp_entity_id) {
        return Err("the Issuer is not the IdP of this connection".into());
    }
    Ok(())
}

/// Solicited: the id of our request. Unsolicited: allowed only by `allow_idp_initiated`, and
/// then the response must not claim to answer any request.
fn check_in_response_to(value: Option<&str>, expected: &Expected<'_>) -> Result<(), String> {
    match (expected.request_id, value) {
        (Some(request), Some(answered)) if request == answered => Ok(()),
        (Some(_), _) => Err("the response does not answer this sign-in's request".into()),
        (None, None) if expected.allow_idp_initiated => Ok(()),
        (None, None) => Err("this connection does not accept IdP-initiated sign-in".into()),
        (None, Some(_)) => Err("the response answers a request this sign-in did not make".into()),
    }
}

/// Every AudienceRestriction must name our entity id, and there must be one.
fn check_audience(conditions: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), String> {
    let mut restrictions =
        xml::children(conditions, SAML_ASSERTION, "AudienceRestriction").peekable();
    if restrictions.peek().is_none() {
        return Err("the assertion has no AudienceRestriction".into());
    }
    for restriction in restrictions {
        let ours = xml::children(restriction, SAML_ASSERTION, "Audience")
            .any(|a| xml::text(a).as_deref() == Some(expected.sp.entity_id.as_str()));
        if !ours {
            return Err("the assertion is meant for another audience".into());
        }
    }
    Ok(())
}

/// At least one bearer confirmation, and every one of them valid now, for our ACS URL and
/// answering the right request (or none, when unsolicited).
fn check_bearer_confirmation(
    assertion: Node<'_, '_>,
    expected: &Expected<'_>,
) -> Result<(), String> {
    let subject =
        xml::child(assertion, SAML_ASSERTION, "Subject").ok_or("the assertion has no Subject")?;
    let mut bearers = xml::children(subject, SAML_ASSERTION, "SubjectConfirmation")
        .filter(|c| c.attribute("Method") == Some(BEARER))
        .peekable();
    if bearers.peek().is_none() {
        return Err("the assertion has no bearer SubjectConfirmation".into());
    }
    for bearer in bearers {
        let data = xml::child(bearer, SAML_ASSERTION, "SubjectConfirmationData")
            .ok_or("a SubjectConfirmation has no SubjectConfirmationData")?;
        if data.attribute("Recipient") != Some(expected.sp.acs_url.as_str()) {
            return Err(
                "the SubjectConfirmationData Recipient is not this connection's ACS URL".into(),
            );
        }
        if data.attribute("NotOnOrAfter").is_none() {
            return Err("the SubjectConfirmationData has no NotOnOrAfter".into());
        }
        check_window(data, expected.now, "the SubjectConfirmationData")?;
        check_in_response_to(data.attribute("InResponseTo"), expected)?;
    }
    Ok(())
}

/// NotBefore <= now + skew and now < NotOnOrAfter + skew, for the bounds that are present.
fn check_window(element: Node<'_, '_>, now: DateTime<Utc>, what: &str) -> Result<(), String> {
    if let Some(not_before) = time_attribute(element, "NotBefore")?
        && now + CLOCK_SKEW < not_before
    {
        return Err(format!("{what} are not valid yet"));
    }
    if let Some(not_on_or_after) = time_attribute(element, "NotOnOrAfter")?
        && now >= not_on_or_after + CLOCK_SKEW
    {
        return Err(format!("{what} have expired"));
    }
    Ok(())
}

/// The latest NotOnOrAfter of the assertion (conditions and confirmations): how long its ID
/// must be remembered to refuse a replay.
pub fn valid_until(assertion: Node<'_, '_>) -> Result<Option<DateTime<Utc>>, String> {
    let mut latest = None;
    for element in assertion.descendants().filter(|n| {
        xml::is(*n, SAML_ASSERTION, "Conditions")
            || xml::is(*n, SAML_ASSERTION, "SubjectConfirmationData")
    }) {
        latest = latest.max(time_attribute(element, "NotOnOrAfter")?);
    }
    Ok(latest)
}

fn time_attribute(element: Node<'_, '_>, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    element
        .attribute(name)
        .map(|value| {
            DateTime::parse_from_rfc3339(value.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("{name} is not a valid time"))
        })
        .transpose()
}
