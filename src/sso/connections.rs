//! Managing an organization's SSO connections (permission "sso:write", checked by the
//! `OrgScope`). A connection is validated whole before it is stored: name, unique routed
//! domains, roles the caller may hand out (the escalation rule of `orgs::roles`), and the
//! protocol's settings (checked by the protocol module).

use crate::ids::ConnectionId;
use serde_json::json;

use super::{
    Sso,
    connection::{Connection, OidcSettings, Protocol, SamlSettings},
    oidc, saml, store,
};
use crate::{audit, error::Error, orgs::OrgScope, store::Page};

/// Most domains one connection routes.
const MAX_DOMAINS: usize = 100;

/// A connection's editable fields, as a create request or an update (the stored connection
/// with the masked fields replaced) gives them.
#[derive(Debug, Clone)]
pub struct ConnectionDraft {
    pub name: String,
    pub protocol: Option<Protocol>,
    pub domains: Vec<String>,
    pub jit_provisioning: bool,
    pub default_role: String,
    pub enabled: bool,
    pub attribute_mapping: super::AttributeMapping,
    pub saml: Option<SamlSettings>,
    pub oidc: Option<OidcSettings>,
}

impl Sso {
    pub async fn create_connection(
        &self,
        scope: &OrgScope,
        draft: ConnectionDraft,
    ) -> Result<Connection, Error> {
        let now = self.clock.now();
        let connection = Connection {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: scope.organization_id().to_owned(),
            created_at: now,
            updated_at: now,
            ..self.validated(scope, draft).await?
        };
        self.store(scope, &connection, false, "sso.connection_created")
            .await?;
        Ok(connection)
    }

    pub async fn get_connection(
        &self,
        scope: &OrgScope,
        id: &ConnectionId,
    ) -> Result<Connection, Error> {
        if id.trim().is_empty() {
            return Err(Error::invalid("connection_id", "is required"));
        }
        let not_found = || Error::NotFound("SSO connection");
        let (row, domains) = store::find_connection(&self.db, id)
            .await?
            .filter(|(row, _)| row.organization_id == scope.organization_id())
            .ok_or_else(not_found)?;
        Connection::from_row(row, domains, &self.cipher)
    }

    pub async fn list_connections(
        &self,
        scope: &OrgScope,
        page: Page,
    ) -> Result<(Vec<Connection>, String), Error> {
        let mut rows = store::list_connections(
            &self.db,
            scope.organization_id(),
            page.offset,
            page.size + 1,
        )
        .await?;
        let next = page.next_token(&mut rows);
        let connections = rows
            .into_iter()
            .map(|(row, domains)| Connection::from_row(row, domains, &self.cipher))
            .collect::<Result<_, _>>()?;
        Ok((connections, next))
    }

    /// Replaces a connection's fields with `draft` (built from the stored connection and the
    /// update mask).
    pub async fn update_connection(
        &self,
        scope: &OrgScope,
        current: Connection,
        draft: ConnectionDraft,
    ) -> Result<Connection, Error> {
        let connection = Connection {
            id: current.id,
            organization_id: current.organization_id,
            created_at: current.created_at,
            updated_at: self.clock.now(),
            ..self.validated(scope, draft).await?
        };
        self.store(scope, &connection, true, "sso.connection_updated")
            .await?;
        Ok(connection)
    }

    pub async fn delete_connection(
        &self,
        scope: &OrgScope,
        id: &ConnectionId,
    ) -> Result<(), Error> {
        let connection = self.get_connection(scope, id).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        store::delete_connection(&txn, &connection.id).await?;
        let event = scope
            .event("sso.connection_deleted")
            .target("sso_connection", &connection.id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn store(
        &self,
        scope: &OrgScope,
        connection: &Connection,
        exists: bool,
        action: &'static str,
    ) -> Result<(), Error> {
        let row = connection.to_row(&self.cipher)?;
        // Declaring a domain claims nothing (several organizations may declare one); it
        // counts once the organization verifies it (`domains`).
        let txn = crate::store::begin_write(&self.db).await?;
        store::save_connection(&txn, row, &connection.domains, exists).await?;
        let event = scope
            .event(action)
            .target("sso_connection", &connection.id)
            .metadata(json!({
                "protocol": connection.protocol.as_str(),
                "domains": connection.domains,
                "enabled": connection.enabled,
            }));
        audit::record(&txn, connection.updated_at, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The connection `draft` describes, once every field is valid (id and times unset).
    async fn validated(
        &self,
        scope: &OrgScope,
        draft: ConnectionDraft,
    ) -> Result<Connection, Error> {
        let name = draft.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid("name", "must be 1 to 200 characters"));
        }
        let protocol = draft.protocol.ok_or_else(|| {
            Error::invalid("protocol", "must be SSO_PROTOCOL_SAML or SSO_PROTOCOL_OIDC")
        })?;
        let domains = parse_domains(&draft.domains)?;
        let default_role = match draft.default_role.trim() {
            "" => "member".to_owned(),
            role => role.to_owned(),
        };
        self.check_grantable(scope, "default_role", &default_role)
            .await?;
        for (group, role) in &draft.attribute_mapping.group_roles {
            if group.trim().is_empty() {
                return Err(Error::invalid(
                    "attribute_mapping.group_roles",
                    "group names must not be empty",
                ));
            }
            self.check_grantable(scope, "attribute_mapping.group_roles", role)
                .await?;
        }
        match (protocol, draft.saml.is_some(), draft.oidc.is_some()) {
            (Protocol::Saml, _, true) => {
                return Err(Error::invalid(
                    "oidc",
                    "is only for SSO_PROTOCOL_OIDC connections",
                ));
            }
            (Protocol::Oidc, true, _) => {
                return Err(Error::invalid(
                    "saml",
                    "is only for SSO_PROTOCOL_SAML connections",
                ));
            }
            _ => {}
        }
        let (saml, oidc) = match protocol {
            Protocol::Saml => {
                let settings = draft.saml.ok_or_else(|| {
                    Error::invalid("saml", "is required for an SSO_PROTOCOL_SAML connection")
                })?;
                refuse_guarded_address(
                    "saml.idp_metadata_url",
                    settings.idp_metadata_url.as_deref(),
                    self.settings.outbound,
                )?;
                saml::check_settings(self, &settings).await?;
                (Some(settings), None)
            }
            Protocol::Oidc => {
                let settings = draft.oidc.ok_or_else(|| {
                    Error::invalid("oidc", "is required for an SSO_PROTOCOL_OIDC connection")
                })?;
                refuse_guarded_address(
                    "oidc.issuer",
                    Some(&settings.issuer),
                    self.settings.outbound,
                )?;
                oidc::check_settings(self, &settings).await?;
                (None, Some(settings))
            }
        };
        Ok(Connection {
            id: String::new(),
            organization_id: String::new(),
            name: name.to_owned(),
            protocol,
            domains,
            jit_provisioning: draft.jit_provisioning,
            default_role,
            enabled: draft.enabled,
            attribute_mapping: draft.attribute_mapping,
            saml,
            oidc,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        })
    }

    /// A connection hands out roles on the caller's behalf, so the caller must be able to
    /// grant each one (no escalation through SSO).
    async fn check_grantable(
        &self,
        scope: &OrgScope,
        field: &str,
        role: &str,
    ) -> Result<(), Error> {
        self.orgs
            .grantable_role(scope, role)
            .await
            .map_err(|err| match err {
                Error::Validation { .. } => Error::invalid(
                    field,
                    format!("\"{role}\" is not a role of this organization"),
                ),
                other => other,
            })?;
        Ok(())
    }
}

/// Refuses an IdP URL whose host is an IP address the outbound policy refuses, when the
/// connection is saved rather than at its first sign-in. (Host names are judged after
/// resolution, on every call: `crate::outbound`.) A URL that does not parse is left to the
/// protocol's own check.
pub(super) fn refuse_guarded_address(
    field: &str,
    url: Option<&str>,
    policy: crate::config::OutboundPolicy,
) -> Result<(), Error> {
    let Some(url) = url.and_then(|url| url::Url::parse(url.trim()).ok()) else {
        return Ok(());
    };
    match crate::outbound::refused_literal(&url, policy) {
        None => Ok(()),
        Some(ip) => Err(Error::sso(
            crate::error::SsoFailure::Configuration,
            format!(
                "{field} names the address {ip}, which this server may not call \
                 (loopback, private, link-local and metadata addresses are refused unless the operator allows them)"
            ),
        )),
    }
}

/// Lower-cased, de-duplicated, claimable domain names (`email_domain::parse`).
pub(super) fn parse_domains(given: &[String]) -> Result<Vec<String>, Error> {
    if given.len() > MAX_DOMAINS {
        return Err(Error::invalid("domains", "at most 100 domains"));
    }
    let mut domains = Vec::with_capacity(given.len());
    for (index, raw) in given.iter().enumerate() {
        let domain = super::email_domain::parse(format!("domains[{index}]"), raw)?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    domains.sort();
    Ok(domains)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn domains_are_normalized_deduplicated_and_sorted() {
        let given = [
            "Example.COM.".to_owned(),
            "example.com".to_owned(),
            "a.io".to_owned(),
        ];
        assert_eq!(parse_domains(&given).unwrap(), ["a.io", "example.com"]);
        assert!(parse_domains(&["gmail.com".to_owned()]).is_err());
    }
}
