//! The one way SAML XML from outside (IdP metadata, responses) is parsed: size-limited, and
//! refused outright when it carries a document type declaration, before any parser sees it, so
//! no DTD, entity (XXE, "billion laughs") or external resource is ever processed.
//!
//! roxmltree is strict (no recovery from malformed markup) and refuses DTDs itself too; the
//! textual check is the first line so that the same holds for the libxml2-based verifier that
//! runs later on the same text (it parses in recovery mode).

use crate::error::{Error, SsoFailure};

/// Namespaces of the SAML and XML-DSig elements Janua reads.
pub const SAML_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const SAML_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const XML_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Refuses a document type declaration (and any other `<!` markup but comments and CDATA,
/// i.e. `<!ENTITY`, `<!ELEMENT`, ...) anywhere in `xml`.
pub fn refuse_dtd(xml: &str) -> Result<(), String> {
    let mut rest = xml;
    while let Some(at) = rest.find("<!") {
        let markup = &rest[at + 2..];
        if !(markup.starts_with("--") || markup.starts_with("[CDATA[")) {
            return Err("XML with a document type declaration (DOCTYPE/ENTITY) is refused".into());
        }
        rest = markup;
    }
    Ok(())
}

/// Parses `xml` after [`refuse_dtd`]; `failure` is the SSO error kind to report.
pub fn parse(xml: &str, failure: SsoFailure) -> Result<roxmltree::Document<'_>, Error> {
    refuse_dtd(xml).map_err(|message| sso_error(failure, message))?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(xml, options)
        .map_err(|err| sso_error(failure, format!("malformed XML: {err}")))
}

/// Whether `node` is the element `name` in namespace `namespace`.
pub fn is(node: roxmltree::Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

/// The element children of `node` named `name` in `namespace`.
pub fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    namespace: &'static str,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(move |child| is(*child, namespace, name))
}

/// The first element child of `node` named `name` in `namespace`.
pub fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    namespace: &'static str,
    name: &'static str,
) -> Option<roxmltree::Node<'a, 'input>> {
    children(node, namespace, name).next()
}

/// The text content of an element that must hold only text (no child elements, no comments):
/// trimmed, and None when empty.
pub fn text(node: roxmltree::Node<'_, '_>) -> Option<String> {
    if node.children().any(|child| !child.is_text()) {
        return None;
    }
    let text: String = node.children().filter_map(|child| child.text()).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub fn sso_error(failure: SsoFailure, message: impl Into<String>) -> Error {
    Error::Sso {
        failure,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doctype_is_refused_before_parsing() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        let err = parse(xxe, SsoFailure::Metadata)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("XML with a document type declaration (DOCTYPE/ENTITY) is refused")
        );
    }

    #[test]
    fn comments_and_cdata_are_not_mistaken_for_a_doctype() {
        assert!(refuse_dtd("<r><!-- c --><![CDATA[x]]></r>").is_ok());
        assert!(refuse_dtd("<r><!-- c --><!ENTITY x 'y'></r>").is_err());
    }

    #[test]
    fn text_refuses_an_element_split_by_a_comment() {
        let doc = parse(
            "<r>ada@example.com<!--x-->.evil</r>",
            SsoFailure::Authentication,
        );
        let doc = doc.ok();
        let root = doc.as_ref().map(|d| d.root_element());
        assert_eq!(root.and_then(text), None);
    }
}
