//! SSO connections between the contract's messages and the domain's types. Secrets go in,
//! never out: responses leave `oidc.client_secret` empty.

use secrecy::SecretString;
use url::Url;

use super::{
    AttributeMapping,
    connection::{Connection, OidcSettings, Protocol, SamlSettings},
    connections::ConnectionDraft,
};
use crate::{
    metadata::timestamp, proto::janua::sso::v1 as pb, store::entities::organization_domain,
};

/// The update-mask paths UpdateSsoConnection accepts.
pub const UPDATABLE_PATHS: &[&str] = &[
    "name",
    "domains",
    "jit_provisioning",
    "default_role",
    "enabled",
    "attribute_mapping",
    "attribute_mapping.email",
    "attribute_mapping.first_name",
    "attribute_mapping.last_name",
    "attribute_mapping.display_name",
    "attribute_mapping.groups",
    "attribute_mapping.group_roles",
    "saml",
    "saml.idp_metadata_xml",
    "saml.idp_metadata_url",
    "saml.allow_idp_initiated",
    "saml.sign_requests",
    "oidc",
    "oidc.issuer",
    "oidc.client_id",
    "oidc.client_secret",
    "oidc.scopes",
];

pub fn connection_to_proto(connection: &Connection, issuer: &Url) -> pb::SsoConnection {
    let endpoints = connection.endpoints(issuer);
    let protocol = match connection.protocol {
        Protocol::Saml => pb::SsoProtocol::Saml,
        Protocol::Oidc => pb::SsoProtocol::Oidc,
    };
    let mapping = &connection.attribute_mapping;
    pb::SsoConnection {
        id: connection.id.clone(),
        organization_id: connection.organization_id.clone(),
        name: connection.name.clone(),
        protocol: protocol.into(),
        domains: connection.domains.clone(),
        jit_provisioning: connection.jit_provisioning,
        default_role: connection.default_role.clone(),
        enabled: connection.enabled,
        attribute_mapping: Some(pb::AttributeMapping {
            email: mapping.email.clone(),
            first_name: mapping.first_name.clone(),
            last_name: mapping.last_name.clone(),
            display_name: mapping.display_name.clone(),
            groups: mapping.groups.clone(),
            group_roles: mapping.group_roles.clone().into_iter().collect(),
        }),
        saml: connection.saml.as_ref().map(|saml| pb::SamlConfig {
            idp_metadata_xml: saml.idp_metadata_xml.clone().unwrap_or_default(),
            idp_metadata_url: saml.idp_metadata_url.clone().unwrap_or_default(),
            allow_idp_initiated: saml.allow_idp_initiated,
            sign_requests: saml.sign_requests,
        }),
        oidc: connection.oidc.as_ref().map(|oidc| pb::OidcConfig {
            issuer: oidc.issuer.clone(),
            client_id: oidc.client_id.clone(),
            client_secret: String::new(),
            scopes: oidc.scopes.clone(),
        }),
        sp_entity_id: endpoints.sp_entity_id,
        acs_url: endpoints.acs_url,
        metadata_url: endpoints.metadata_url,
        create_time: Some(timestamp(connection.created_at)),
        update_time: Some(timestamp(connection.updated_at)),
    }
}

/// The draft a CreateSsoConnection request describes.
pub fn create_draft(request: pb::CreateSsoConnectionRequest) -> ConnectionDraft {
    let protocol = match pb::SsoProtocol::try_from(request.protocol) {
        Ok(pb::SsoProtocol::Saml) => Some(Protocol::Saml),
        Ok(pb::SsoProtocol::Oidc) => Some(Protocol::Oidc),
        _ => None,
    };
    ConnectionDraft {
        name: request.name,
        protocol,
        domains: request.domains,
        jit_provisioning: request.jit_provisioning,
        default_role: request.default_role,
        enabled: request.enabled,
        attribute_mapping: mapping_from_proto(request.attribute_mapping.unwrap_or_default()),
        saml: request.saml.map(saml_from_proto),
        oidc: request.oidc.map(|oidc| OidcSettings {
            issuer: oidc.issuer.trim().to_owned(),
            client_id: oidc.client_id.trim().to_owned(),
            client_secret: SecretString::from(oidc.client_secret),
            scopes: oidc.scopes,
        }),
    }
}

/// The draft of `current` with the fields `paths` names taken from `given`.
pub fn update_draft(
    current: &Connection,
    given: pb::SsoConnection,
    paths: &[String],
) -> ConnectionDraft {
    let mut draft = ConnectionDraft {
        name: current.name.clone(),
        protocol: Some(current.protocol),
        domains: current.domains.clone(),
        jit_provisioning: current.jit_provisioning,
        default_role: current.default_role.clone(),
        enabled: current.enabled,
        attribute_mapping: current.attribute_mapping.clone(),
        saml: current.saml.clone(),
        oidc: current.oidc.clone(),
    };
    let mapping = mapping_from_proto(given.attribute_mapping.clone().unwrap_or_default());
    let saml = saml_from_proto(given.saml.clone().unwrap_or_default());
    let oidc = given.oidc.clone().unwrap_or_default();
    for path in paths {
        match path.as_str() {
            "name" => draft.name = given.name.clone(),
            "domains" => draft.domains = given.domains.clone(),
            "jit_provisioning" => draft.jit_provisioning = given.jit_provisioning,
            "default_role" => draft.default_role = given.default_role.clone(),
            "enabled" => draft.enabled = given.enabled,
            "attribute_mapping" => draft.attribute_mapping = mapping.clone(),
            "attribute_mapping.email" => draft.attribute_mapping.email = mapping.email.clone(),
            "attribute_mapping.first_name" => {
                draft.attribute_mapping.first_name = mapping.first_name.clone();
            }
            "attribute_mapping.last_name" => {
                draft.attribute_mapping.last_name = mapping.last_name.clone();
            }
            "attribute_mapping.display_name" => {
                draft.attribute_mapping.display_name = mapping.display_name.clone();
            }
            "attribute_mapping.groups" => draft.attribute_mapping.groups = mapping.groups.clone(),
            "attribute_mapping.group_roles" => {
                draft.attribute_mapping.group_roles = mapping.group_roles.clone();
            }
            path if path == "saml" || path.starts_with("saml.") => {
                update_saml(&mut draft, path, &saml);
            }
            path => update_oidc(&mut draft, path, &oidc),
        }
    }
    draft
}

/// SAML paths only touch a SAML connection's settings; on an OIDC connection they leave
/// `saml` set, which validation then refuses.
fn update_saml(draft: &mut ConnectionDraft, path: &str, given: &SamlSettings) {
    let settings = draft.saml.get_or_insert_with(SamlSettings::default);
    match path {
        "saml" => *settings = given.clone(),
        "saml.idp_metadata_xml" => settings.idp_metadata_xml = given.idp_metadata_xml.clone(),
        "saml.idp_metadata_url" => settings.idp_metadata_url = given.idp_metadata_url.clone(),
        "saml.allow_idp_initiated" => settings.allow_idp_initiated = given.allow_idp_initiated,
        _ => settings.sign_requests = given.sign_requests,
    }
}

/// `oidc` replaces the settings but keeps the stored secret unless a new one is sent.
fn update_oidc(draft: &mut ConnectionDraft, path: &str, given: &pb::OidcConfig) {
    let settings = draft.oidc.get_or_insert_with(|| OidcSettings {
        issuer: String::new(),
        client_id: String::new(),
        client_secret: SecretString::from(String::new()),
        scopes: Vec::new(),
    });
    let secret_given = !given.client_secret.is_empty();
    match path {
        "oidc" => {
            settings.issuer = given.issuer.trim().to_owned();
            settings.client_id = given.client_id.trim().to_owned();
            settings.scopes = given.scopes.clone();
            if secret_given {
                settings.client_secret = SecretString::from(given.client_secret.clone());
            }
        }
        "oidc.issuer" => settings.issuer = given.issuer.trim().to_owned(),
        "oidc.client_id" => settings.client_id = given.client_id.trim().to_owned(),
        "oidc.client_secret" => {
            settings.client_secret = SecretString::from(given.client_secret.clone());
        }
        _ => settings.scopes = given.scopes.clone(),
    }
}

fn mapping_from_proto(mapping: pb::AttributeMapping) -> AttributeMapping {
    AttributeMapping {
        email: mapping.email.trim().to_owned(),
        first_name: mapping.first_name.trim().to_owned(),
        last_name: mapping.last_name.trim().to_owned(),
        display_name: mapping.display_name.trim().to_owned(),
        groups: mapping.groups.trim().to_owned(),
        group_roles: mapping.group_roles.into_iter().collect(),
    }
}

fn saml_from_proto(saml: pb::SamlConfig) -> SamlSettings {
    let present = |text: String| Some(text).filter(|t| !t.trim().is_empty());
    SamlSettings {
        idp_metadata_xml: present(saml.idp_metadata_xml),
        idp_metadata_url: present(saml.idp_metadata_url.trim().to_owned()),
        allow_idp_initiated: saml.allow_idp_initiated,
        sign_requests: saml.sign_requests,
    }
}

/// A claimed domain as the contract shows it, with the TXT record that proves it.
pub fn domain_to_proto(domain: &organization_domain::Model) -> pb::Domain {
    let (record_name, record_value) = super::domains::verification_record(domain);
    pb::Domain {
        id: domain.id.clone(),
        organization_id: domain.organization_id.clone(),
        domain: domain.domain.clone(),
        verified: domain.verified_at.is_some(),
        verified_by: domain.verified_by.clone().unwrap_or_default(),
        verify_time: domain.verified_at.map(timestamp),
        verification_record_name: record_name,
        verification_record_value: record_value,
        create_time: Some(timestamp(domain.created_at)),
    }
}
