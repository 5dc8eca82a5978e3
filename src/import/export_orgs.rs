//! The organizations file of a janua-v2 export: each organization with its custom roles,
//! members, the email domains it claims (with their verification state) and its SSO
//! connections. An OIDC connection's client secret goes out only when `secrets` (the
//! encrypted archive); SAML connections hold no secret of their own (requests are signed
//! with Janua's keys).

use std::{
    io::{BufWriter, Write},
    path::Path,
};

use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::{
    Importer,
    export::{PAGE, private_file},
    sources::janua_v2::ORGANIZATIONS_FILE,
};
use crate::{orgs, sso};

impl Importer {
    /// `janua_organizations_export.json`: each organization with its custom roles,
    /// members, claimed domains and SSO connections.
    pub(super) async fn export_organizations(
        &self,
        out: &Path,
        secrets: bool,
    ) -> anyhow::Result<u64> {
        let path = out.join(ORGANIZATIONS_FILE);
        let mut file = BufWriter::new(private_file(&path)?);
        file.write_all(b"{\"organizations\": [")?;
        let mut after: Option<String> = None;
        let mut count = 0u64;
        loop {
            let page = orgs::transfer::organizations_page(&self.db, after.as_deref(), PAGE)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            for (org, roles) in &page {
                if count > 0 {
                    file.write_all(b",")?;
                }
                file.write_all(b"\n  ")?;
                let members = self.members(&org.id).await?;
                let roles: Vec<Value> = roles
                    .iter()
                    .map(|role| {
                        json!({
                            "name": role.name,
                            "description": role.description,
                            "base_role": role.base_role,
                            "permissions": role.permissions,
                        })
                    })
                    .collect();
                let record = json!({
                    "id": org.id,
                    "name": org.name,
                    "slug": org.slug,
                    "metadata": org.metadata,
                    "created_at": org.created_at.to_rfc3339(),
                    "roles": roles,
                    "members": members,
                    "domains": self.domains(&org.id).await?,
                    "sso_connections": self.connections(&org.id, secrets).await?,
                });
                serde_json::to_writer(&mut file, &record)?;
                count += 1;
            }
            match page.last() {
                Some((last, _)) if page.len() as u64 == PAGE => after = Some(last.id.clone()),
                _ => break,
            }
        }
        let metadata = json!({
            "export_version": "2.0",
            "export_date": self.clock.now().to_rfc3339(),
            "total_organizations": count,
        });
        write!(file, "\n],\n\"metadata\": {metadata}}}\n")?;
        file.flush()?;
        Ok(count)
    }

    async fn members(&self, organization_id: &str) -> anyhow::Result<Vec<Value>> {
        let mut members = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page =
                orgs::transfer::members_page(&self.db, organization_id, after.as_deref(), PAGE)
                    .await
                    .map_err(|err| anyhow::anyhow!("{err}"))?;
            for (membership, user) in &page {
                members.push(json!({
                    "user_id": membership.user_id,
                    "email": user.email,
                    "role": membership.role,
                    "joined_at": membership.created_at.to_rfc3339(),
                }));
            }
            match page.last() {
                Some((last, _)) if page.len() as u64 == PAGE => after = Some(last.user_id.clone()),
                _ => break,
            }
        }
        Ok(members)
    }

    async fn domains(&self, organization_id: &str) -> anyhow::Result<Vec<Value>> {
        let domains = sso::transfer::domains_of(&self.db, organization_id)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        Ok(domains
            .into_iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "domain": d.domain,
                    "verified": d.verified_at.is_some(),
                    "verified_by": d.verified_by,
                    "verified_at": d.verified_at.map(|t| t.to_rfc3339()),
                    "verification_token": d.verification_token,
                    "created_at": d.created_at.to_rfc3339(),
                })
            })
            .collect())
    }

    async fn connections(
        &self,
        organization_id: &str,
        secrets: bool,
    ) -> anyhow::Result<Vec<Value>> {
        let connections = sso::transfer::connections_of(&self.db, &self.cipher, organization_id)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        Ok(connections
            .into_iter()
            .map(|c| {
                let saml = c.saml.map(|s| {
                    json!({
                        "idp_metadata_xml": s.idp_metadata_xml,
                        "idp_metadata_url": s.idp_metadata_url,
                        "allow_idp_initiated": s.allow_idp_initiated,
                        "sign_requests": s.sign_requests,
                    })
                });
                let oidc = c.oidc.map(|o| {
                    let mut oidc = json!({
                        "issuer": o.issuer,
                        "client_id": o.client_id,
                        "scopes": o.scopes,
                    });
                    let secret = o.client_secret.expose_secret();
                    if secrets && !secret.is_empty() {
                        oidc["client_secret"] = json!(secret);
                    }
                    oidc
                });
                json!({
                    "id": c.id,
                    "name": c.name,
                    "protocol": c.protocol.as_str(),
                    "enabled": c.enabled,
                    "domains": c.domains,
                    "jit_provisioning": c.jit_provisioning,
                    "default_role": c.default_role,
                    "attribute_mapping": c.attribute_mapping,
                    "saml": saml,
                    "oidc": oidc,
                    "created_at": c.created_at.to_rfc3339(),
                    "updated_at": c.updated_at.to_rfc3339(),
                })
            })
            .collect())
    }
}
