//! The user an IdP vouched for, in one shape for every protocol, and how a connection's
//! attribute mapping reads it from SAML attributes or OIDC claims.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::connection::AttributeMapping;

/// A verified sign-in at an external identity provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    /// `sso:<connection id>`, `google`, `github` or `microsoft`.
    pub provider: String,
    /// The IdP's stable id for the user (SAML NameID, OIDC `sub`, GitHub user id).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the IdP vouches for the address (OIDC `email_verified`, GitHub's flag; for
    /// SAML, set by the caller from the connection's domains).
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    /// The IdP's group names, in the IdP's order.
    pub groups: Vec<String>,
    /// How the IdP says it authenticated the user (OIDC `amr`), recorded with the sign-in.
    #[serde(default)]
    pub idp_amr: Vec<String>,
}

impl ExternalIdentity {
    /// A name to show: the display name, else first and last name, else the email.
    pub fn name_to_show(&self) -> String {
        if let Some(name) = self
            .display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        {
            return name.trim().to_owned();
        }
        let joined = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if joined.is_empty() {
            self.email.clone().unwrap_or_default()
        } else {
            joined
        }
    }
}

/// SAML's usual attribute names (the common OIDs, then the short names IdPs also send).
const SAML_EMAIL: &[&str] = &[
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "email",
    "mail",
];
const SAML_FIRST_NAME: &[&str] = &[
    "urn:oid:2.5.4.42",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "givenName",
    "first_name",
];
const SAML_LAST_NAME: &[&str] = &[
    "urn:oid:2.5.4.4",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "sn",
    "last_name",
];
const SAML_DISPLAY_NAME: &[&str] = &[
    "urn:oid:2.16.840.1.113730.3.1.241",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "displayName",
    "name",
];
const SAML_GROUPS: &[&str] = &[
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "groups",
    "memberOf",
];

impl AttributeMapping {
    /// The identity in a verified SAML assertion. The email is the mapped attribute, else the
    /// NameID when it looks like an address.
    pub fn saml_identity(
        &self,
        provider: String,
        name_id: &str,
        attributes: &BTreeMap<String, Vec<String>>,
    ) -> ExternalIdentity {
        let first = |mapped: &str, usual: &[&str]| -> Option<String> {
            let names: Vec<&str> = if mapped.is_empty() {
                usual.to_vec()
            } else {
                vec![mapped]
            };
            names
                .iter()
                .filter_map(|name| attributes.get(*name))
                .flat_map(|values| values.iter())
                .map(|value| value.trim().to_owned())
                .find(|value| !value.is_empty())
        };
        let groups = if self.groups.is_empty() {
            SAML_GROUPS.iter().find_map(|name| attributes.get(*name))
        } else {
            attributes.get(&self.groups)
        };
        let email = first(&self.email, SAML_EMAIL)
            .or_else(|| name_id.contains('@').then(|| name_id.trim().to_owned()));
        ExternalIdentity {
            provider,
            subject: name_id.to_owned(),
            email,
            email_verified: false,
            first_name: first(&self.first_name, SAML_FIRST_NAME),
            last_name: first(&self.last_name, SAML_LAST_NAME),
            display_name: first(&self.display_name, SAML_DISPLAY_NAME),
            groups: groups.cloned().unwrap_or_default(),
            idp_amr: Vec::new(),
        }
    }

    /// The identity in verified OIDC claims (ID token, completed from userinfo). `sub` is the
    /// subject; `email_verified` is true only when the IdP says so.
    pub fn oidc_identity(&self, provider: String, claims: &Map<String, Value>) -> ExternalIdentity {
        let text = |mapped: &str, usual: &str| -> Option<String> {
            let name = if mapped.is_empty() { usual } else { mapped };
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let groups_claim = if self.groups.is_empty() {
            "groups"
        } else {
            &self.groups
        };
        let groups = match claims.get(groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        ExternalIdentity {
            provider,
            subject: claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            email: text(&self.email, "email"),
            email_verified: claims.get("email_verified") == Some(&Value::Bool(true)),
            first_name: text(&self.first_name, "given_name"),
            last_name: text(&self.last_name, "family_name"),
            display_name: text(&self.display_name, "name"),
            groups,
            idp_amr: match claims.get("amr") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .take(16)
                    .map(|m| m.chars().take(32).collect())
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// The role a group mapping gives: the first of the user's groups (in the IdP's order)
    /// that is mapped.
    pub fn role_for_groups(&self, groups: &[String]) -> Option<&str> {
        groups
            .iter()
            .find_map(|group| self.group_roles.get(group))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_identity_reads_usual_attributes_and_falls_back_to_the_name_id() {
        let mapping = AttributeMapping::default();
        let attributes = BTreeMap::from([
            ("urn:oid:2.5.4.42".to_owned(), vec!["Ada".to_owned()]),
            ("sn".to_owned(), vec!["Lovelace".to_owned()]),
            (
                "groups".to_owned(),
                vec!["eng".to_owned(), "admins".to_owned()],
            ),
        ]);
        let identity = mapping.saml_identity("sso:c".into(), "ada@example.com", &attributes);
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(identity.name_to_show(), "Ada Lovelace");
        assert_eq!(identity.groups, ["eng", "admins"]);
    }

    #[test]
    fn oidc_identity_trusts_email_only_when_verified_is_true() {
        let mapping = AttributeMapping {
            email: "upn".into(),
            ..AttributeMapping::default()
        };
        let claims = serde_json::json!({
            "sub": "123", "upn": "ada@example.com", "email_verified": "true", "name": "Ada"
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let identity = mapping.oidc_identity("google".into(), &claims);
        assert_eq!(identity.subject, "123");
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert!(!identity.email_verified, "a string is not a verified flag");
    }

    #[test]
    fn the_first_mapped_group_in_idp_order_wins() {
        let mapping = AttributeMapping {
            group_roles: BTreeMap::from([
                ("admins".to_owned(), "admin".to_owned()),
                ("eng".to_owned(), "member".to_owned()),
            ]),
            ..AttributeMapping::default()
        };
        let groups = ["sales".to_owned(), "eng".to_owned(), "admins".to_owned()];
        assert_eq!(mapping.role_for_groups(&groups), Some("member"));
        assert_eq!(mapping.role_for_groups(&[]), None);
    }
}
