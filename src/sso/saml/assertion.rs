//! Reads the subject of the verified assertion: its NameID and attributes, taken only from the
//! output of signature verification (the signed element), never from the received document.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};

use super::xml::{self, SAML_ASSERTION, SAML_PROTOCOL};

/// Who the IdP says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSubject {
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// Attribute values by `Name`, and also by `FriendlyName` when that is not a Name too.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// How the IdP authenticated the user: its AuthnContextClassRef values (recorded with
    /// the sign-in, like OIDC's `amr`).
    pub authn_contexts: Vec<String>,
}

/// The assertion in the verified document, which must be the one the structure check found
/// (`assertion_id`): either the document's root (only the assertion was signed) or the one
/// assertion child of the signed Response.
pub fn signed_assertion<'a, 'i>(
    verified: &'a Document<'i>,
    assertion_id: &str,
) -> Result<Node<'a, 'i>, String> {
    let root = verified.root_element();
    let assertion = if xml::is(root, SAML_ASSERTION, "Assertion") {
        Some(root)
    } else if xml::is(root, SAML_PROTOCOL, "Response") {
        let mut assertions = xml::children(root, SAML_ASSERTION, "Assertion");
        assertions.next().filter(|_| assertions.next().is_none())
    } else {
        None
    };
    match assertion {
        Some(assertion) if assertion.attribute("ID") == Some(assertion_id) => Ok(assertion),
        _ => Err("the signature does not cover the assertion".into()),
    }
}

pub fn subject(assertion: Node<'_, '_>) -> Result<SamlSubject, String> {
    let name_id = xml::child(assertion, SAML_ASSERTION, "Subject")
        .and_then(|s| xml::child(s, SAML_ASSERTION, "NameID"))
        .ok_or("the assertion has no NameID")?;
    Ok(SamlSubject {
        name_id: xml::text(name_id).ok_or("the NameID is empty or not plain text")?,
        name_id_format: name_id.attribute("Format").map(str::to_owned),
        attributes: attributes(assertion),
        authn_contexts: authn_contexts(assertion),
    })
}

fn authn_contexts(assertion: Node<'_, '_>) -> Vec<String> {
    xml::children(assertion, SAML_ASSERTION, "AuthnStatement")
        .filter_map(|s| xml::child(s, SAML_ASSERTION, "AuthnContext"))
        .filter_map(|c| xml::child(c, SAML_ASSERTION, "AuthnContextClassRef"))
        .filter_map(xml::text)
        .take(16)
        .map(|class| class.chars().take(200).collect())
        .collect()
}

fn attributes(assertion: Node<'_, '_>) -> BTreeMap<String, Vec<String>> {
    let mut by_name = BTreeMap::new();
    let mut by_friendly_name = Vec::new();
    let statements = xml::children(assertion, SAML_ASSERTION, "AttributeStatement");
    for attribute in statements.flat_map(|s| xml::children(s, SAML_ASSERTION, "Attribute")) {
        let values: Vec<String> = xml::children(attribute, SAML_ASSERTION, "AttributeValue")
            .filter_map(xml::text)
            .collect();
        if let Some(friendly) = attribute.attribute("FriendlyName") {
            by_friendly_name.push((friendly.to_owned(), values.clone()));
        }
        if let Some(name) = attribute.attribute("Name") {
            by_name
                .entry(name.to_owned())
                .or_insert_with(Vec::new)
                .extend(values);
        }
    }
    for (friendly, values) in by_friendly_name {
        by_name.entry(friendly).or_insert(values);
    }
    by_name
}
