//! The shape a SAML Response must have before its signatures are even checked: the defence
//! against XML Signature Wrapping (XSW) that does not depend on the verifier.
//!
//! A wrapping attack needs a second element where the signed one is looked up (a second
//! Assertion or Response, an element with a duplicate ID, a Signature whose Reference points
//! elsewhere than its parent, a signed copy hidden in Extensions or a ds:Object). So the one
//! accepted shape is: a `samlp:Response` root; exactly one `saml:Assertion`, a direct child of
//! it; no EncryptedAssertion; unique IDs; each `ds:Signature` a direct child of the Response or
//! of the Assertion, at most one each, with exactly one Reference to its own parent and only
//! the enveloped-signature and canonicalization transforms. Comments and processing
//! instructions are refused too: canonicalization drops comments, so one inserted after signing
//! (`ada@example.com<!---->.evil`) would split a signed value without breaking the signature.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use super::xml::{self, SAML_ASSERTION, SAML_PROTOCOL, XML_DSIG};

/// Transforms a signature reference may use: enveloped signature and the canonicalizations.
const ALLOWED_TRANSFORMS: [&str; 4] = [
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
];

/// Attribute names that act as XML IDs in SAML and XML-DSig.
const ID_ATTRIBUTES: [&str; 4] = ["ID", "Id", "id", "AssertionID"];

/// The response's one assertion and which of the two carries a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub assertion_id: String,
    pub response_signed: bool,
    pub assertion_signed: bool,
}

/// Checks the shape of a parsed SAML Response; the error says what is wrong.
pub fn check(doc: &Document<'_>) -> Result<Shape, String> {
    let response = doc.root_element();
    if !xml::is(response, SAML_PROTOCOL, "Response") {
        return Err("the message is not a SAML Response".into());
    }
    refuse_comments_and_instructions(doc)?;
    let assertion = the_one_assertion(doc, response)?;
    refuse_duplicate_ids(doc)?;
    let assertion_id = assertion
        .attribute("ID")
        .ok_or("the assertion has no ID")?
        .to_owned();
    let response_signed = signature_of(response)?.is_some();
    let assertion_signed = signature_of(assertion)?.is_some();
    refuse_stray_signatures(doc, response, assertion)?;
    if !response_signed && !assertion_signed {
        return Err("neither the response nor the assertion is signed".into());
    }
    Ok(Shape {
        assertion_id,
        response_signed,
        assertion_signed,
    })
}

fn refuse_comments_and_instructions(doc: &Document<'_>) -> Result<(), String> {
    if doc.descendants().any(|n| n.is_comment() || n.is_pi()) {
        return Err("comments and processing instructions are not accepted in a response".into());
    }
    Ok(())
}

fn refuse_duplicate_ids(doc: &Document<'_>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for node in doc.descendants().filter(Node::is_element) {
        for name in ID_ATTRIBUTES {
            if let Some(id) = node.attribute(name)
                && !seen.insert(id)
            {
                return Err(format!("the ID {id:?} appears more than once"));
            }
        }
    }
    Ok(())
}

/// Exactly one element named Assertion (in any namespace), the SAML one, a child of the root;
/// no EncryptedAssertion, and no other Response.
fn the_one_assertion<'a, 'i>(
    doc: &'a Document<'i>,
    response: Node<'a, 'i>,
) -> Result<Node<'a, 'i>, String> {
    let named = |name: &'static str| {
        doc.descendants()
            .filter(move |n| n.is_element() && n.tag_name().name() == name)
    };
    if named("EncryptedAssertion").next().is_some() {
        return Err("encrypted assertions are not supported".into());
    }
    if named("Response").count() != 1 {
        return Err("the message holds more than one Response".into());
    }
    let assertions: Vec<_> = named("Assertion").collect();
    match assertions.as_slice() {
        [one] if xml::is(*one, SAML_ASSERTION, "Assertion") && one.parent() == Some(response) => {
            Ok(*one)
        }
        [] => Err("the response holds no assertion".into()),
        [_] => Err("the assertion is not where SAML puts it (a child of the Response)".into()),
        _ => Err("the response holds more than one assertion".into()),
    }
}

/// The enveloped signature of `element`, when it has one: a direct `ds:Signature` child with
/// exactly one Reference, to `#<element's ID>`, using only the allowed transforms.
fn signature_of<'a, 'i>(element: Node<'a, 'i>) -> Result<Option<Node<'a, 'i>>, String> {
    let mut signatures = xml::children(element, XML_DSIG, "Signature");
    let Some(signature) = signatures.next() else {
        return Ok(None);
    };
    if signatures.next().is_some() {
        return Err("an element carries more than one signature".into());
    }
    let name = element.tag_name().name();
    let id = element
        .attribute("ID")
        .ok_or(format!("the signed {name} has no ID"))?;
    let signed_info =
        xml::child(signature, XML_DSIG, "SignedInfo").ok_or("a signature has no SignedInfo")?;
    let references: Vec<_> = xml::children(signed_info, XML_DSIG, "Reference").collect();
    let [reference] = references.as_slice() else {
        return Err("a signature must hold exactly one Reference".into());
    };
    if reference.attribute("URI") != Some(format!("#{id}").as_str()) {
        return Err(format!(
            "the signature of the {name} does not reference the {name}"
        ));
    }
    let transforms = reference
        .descendants()
        .filter(|n| xml::is(*n, XML_DSIG, "Transform"));
    for transform in transforms {
        let algorithm = transform.attribute("Algorithm").unwrap_or_default();
        if !ALLOWED_TRANSFORMS.contains(&algorithm) {
            return Err(format!("signature transform {algorithm:?} is not accepted"));
        }
    }
    if signature
        .descendants()
        .any(|n| n.is_element() && matches!(n.tag_name().name(), "Object" | "Manifest"))
    {
        return Err("a signature holds an Object or Manifest".into());
    }
    Ok(Some(signature))
}

/// Every element named Signature must be the enveloped signature of the Response or of the
/// Assertion; one anywhere else (in Extensions, Advice, inside another signature) is refused.
fn refuse_stray_signatures(
    doc: &Document<'_>,
    response: Node<'_, '_>,
    assertion: Node<'_, '_>,
) -> Result<(), String> {
    let stray = doc.descendants().any(|n| {
        n.is_element()
            && n.tag_name().name() == "Signature"
            && !(xml::is(n, XML_DSIG, "Signature")
                && (n.parent() == Some(response) || n.parent() == Some(assertion)))
    });
    if stray {
        return Err("a signature is somewhere a SAML response does not carry one".into());
    }
    Ok(())
}
