//! An SSO connection as the domain sees it: decoded from its row (the OIDC client secret
//! opened by the field cipher) and carrying the service-provider endpoints the IdP needs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    crypto::FieldCipher,
    error::Error,
    store::entities::{sso_connection, sso_domain},
};

/// The protocol a connection speaks; fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Saml,
    Oidc,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::Oidc => "oidc",
        }
    }

    fn parse(stored: &str) -> Result<Self, Error> {
        match stored {
            "saml" => Ok(Self::Saml),
            "oidc" => Ok(Self::Oidc),
            other => Err(anyhow::anyhow!("unknown stored SSO protocol {other:?}").into()),
        }
    }
}

/// Which IdP attributes (SAML) or claims (OIDC) carry the user's details; an empty name
/// means the protocol's usual one (see `identity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttributeMapping {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub groups: String,
    /// IdP group → role name of the organization.
    pub group_roles: BTreeMap<String, String>,
}

/// The IdP side of a SAML connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlSettings {
    pub idp_metadata_xml: Option<String>,
    pub idp_metadata_url: Option<String>,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
}

/// The IdP side of an OIDC connection.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
}

/// An organization's connection to its identity provider.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub protocol: Protocol,
    pub domains: Vec<String>,
    pub jit_provisioning: bool,
    /// A role name of the organization (never empty: "member" when none was given).
    pub default_role: String,
    pub enabled: bool,
    pub attribute_mapping: AttributeMapping,
    pub saml: Option<SamlSettings>,
    pub oidc: Option<OidcSettings>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where the IdP reaches Janua for one connection, all under the issuer URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// SAML entity id of Janua as service provider (the metadata URL); empty for OIDC.
    pub sp_entity_id: String,
    /// SAML ACS URL, or the OIDC redirect URI.
    pub acs_url: String,
    /// SAML metadata URL; empty for OIDC.
    pub metadata_url: String,
}

impl Connection {
    /// The external-identity provider name for identities linked through this connection.
    pub fn provider(&self) -> String {
        format!("sso:{}", self.id)
    }

    /// The service-provider endpoints to configure at the IdP.
    pub fn endpoints(&self, issuer: &Url) -> Endpoints {
        let base = issuer.as_str().trim_end_matches('/');
        match self.protocol {
            Protocol::Saml => {
                let metadata_url = format!("{base}/api/v1/sso/saml/{}/metadata", self.id);
                Endpoints {
                    sp_entity_id: metadata_url.clone(),
                    acs_url: format!("{base}/api/v1/sso/saml/{}/acs", self.id),
                    metadata_url,
                }
            }
            Protocol::Oidc => Endpoints {
                sp_entity_id: String::new(),
                acs_url: format!("{base}/api/v1/sso/oidc/{}/callback", self.id),
                metadata_url: String::new(),
            },
        }
    }

    /// Decodes a stored connection and its domains.
    pub fn from_row(
        row: sso_connection::Model,
        domains: Vec<sso_domain::Model>,
        cipher: &FieldCipher,
    ) -> Result<Self, Error> {
        let protocol = Protocol::parse(&row.protocol)?;
        let attribute_mapping = serde_json::from_value(row.attribute_mapping.clone())
            .map_err(|e| anyhow::anyhow!("stored attribute mapping: {e}"))?;
        let saml = (protocol == Protocol::Saml).then(|| SamlSettings {
            idp_metadata_xml: row.saml_idp_metadata_xml.clone(),
            idp_metadata_url: row.saml_idp_metadata_url.clone(),
            allow_idp_initiated: row.saml_allow_idp_initiated,
            sign_requests: row.saml_sign_requests,
        });
        let oidc = match protocol {
            Protocol::Oidc => Some(oidc_settings(&row, cipher)?),
            Protocol::Saml => None,
        };
        Ok(Self {
            domains: domains.into_iter().map(|d| d.domain).collect(),
            protocol,
            attribute_mapping,
            saml,
            oidc,
            id: row.id,
            organization_id: row.organization_id,
            name: row.name,
            jit_provisioning: row.jit_provisioning,
            default_role: row.default_role,
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The row for this connection, sealing the client secret under its id.
    pub fn to_row(&self, cipher: &FieldCipher) -> Result<sso_connection::Model, Error> {
        let saml = self.saml.clone().unwrap_or_default();
        let (issuer, client_id, secret, scopes) = match &self.oidc {
            Some(oidc) => {
                use secrecy::ExposeSecret as _;
                let sealed = cipher.seal(
                    oidc.client_secret.expose_secret().as_bytes(),
                    &secret_context(&self.id),
                )?;
                (
                    Some(oidc.issuer.clone()),
                    Some(oidc.client_id.clone()),
                    Some(sealed),
                    Some(serde_json::json!(oidc.scopes)),
                )
            }
            None => (None, None, None, None),
        };
        Ok(sso_connection::Model {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            name: self.name.clone(),
            protocol: self.protocol.as_str().to_owned(),
            jit_provisioning: self.jit_provisioning,
            default_role: self.default_role.clone(),
            enabled: self.enabled,
            attribute_mapping: serde_json::to_value(&self.attribute_mapping)
                .map_err(|e| anyhow::anyhow!("attribute mapping: {e}"))?,
            saml_idp_metadata_xml: saml.idp_metadata_xml,
            saml_idp_metadata_url: saml.idp_metadata_url,
            saml_allow_idp_initiated: saml.allow_idp_initiated,
            saml_sign_requests: saml.sign_requests,
            oidc_issuer: issuer,
            oidc_client_id: client_id,
            oidc_client_secret_sealed: secret,
            oidc_scopes: scopes,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn secret_context(connection_id: &str) -> String {
    format!("sso-connection:{connection_id}:client-secret")
}

fn oidc_settings(row: &sso_connection::Model, cipher: &FieldCipher) -> Result<OidcSettings, Error> {
    let secret = match &row.oidc_client_secret_sealed {
        Some(sealed) => String::from_utf8(cipher.open(sealed, &secret_context(&row.id))?)
            .map_err(|_| anyhow::anyhow!("stored client secret is not UTF-8"))?,
        None => String::new(),
    };
    let scopes = match &row.oidc_scopes {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| anyhow::anyhow!("stored scopes: {e}"))?,
        None => Vec::new(),
    };
    Ok(OidcSettings {
        issuer: row.oidc_issuer.clone().unwrap_or_default(),
        client_id: row.oidc_client_id.clone().unwrap_or_default(),
        client_secret: SecretString::from(secret),
        scopes,
    })
}
