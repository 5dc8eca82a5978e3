//! An organization's claimed email domains and SSO connections from a janua-v2
//! organizations file, in the organization's transaction. A domain verified in the export
//! stays verified (the operator's import vouches for the source's proof, SECURITY.md) unless
//! another organization here verified it first (`domain_verified_elsewhere`, imported
//! unverified). An OIDC connection whose client secret a plain export left out comes in
//! disabled, without a secret (`sso_secret_missing`), until an administrator sets one. A
//! record the rules refuse is reported and leaves the rest of the organization as it is.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::Value;

use super::{
    Importer,
    fields::{items, strings, text, time},
    record::Position,
    report::{Counts, Problem, ReportFiles, RunCounts},
};
use crate::{
    sso::{
        Connection,
        connection::{OidcSettings, Protocol, SamlSettings},
        transfer::{self, Imported},
    },
    store::entities::organization_domain,
};

/// Counts one record's fate; a warning or failure goes to `errors.ndjson`.
struct Tally<'a> {
    report: &'a mut ReportFiles,
    position: &'a Position,
    organization_id: &'a str,
}

impl Tally<'_> {
    fn outcome(
        &mut self,
        counts: &mut Counts,
        warnings: &mut u64,
        outcome: Result<Imported, crate::error::Error>,
        failure: &'static str,
        degraded: (&'static str, &str),
    ) -> anyhow::Result<()> {
        counts.seen += 1;
        match outcome {
            Ok(Imported::AsItWas) => counts.imported += 1,
            Ok(Imported::Exists) => counts.skipped += 1,
            Ok(Imported::Degraded) => {
                counts.imported += 1;
                *warnings += 1;
                self.problem(degraded.0, degraded.1.to_owned())?;
            }
            Err(
                err @ (crate::error::Error::Validation { .. } | crate::error::Error::Conflict(_)),
            ) => {
                counts.failed += 1;
                self.problem(failure, err.to_string())?;
            }
            Err(err) => return Err(anyhow::anyhow!("{err}")),
        }
        Ok(())
    }

    fn problem(&mut self, code: &'static str, message: String) -> anyhow::Result<()> {
        self.report.problem(&Problem::new(
            self.position,
            self.organization_id,
            code,
            "",
            message,
        ))
    }
}

impl Importer {
    /// The domains, then the connections, of the organization `value` describes.
    pub(super) async fn organization_sso(
        &self,
        db: &impl ConnectionTrait,
        organization_id: &str,
        value: &Value,
        position: &Position,
        counts: &mut RunCounts,
        report: &mut ReportFiles,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut tally = Tally {
            report,
            position,
            organization_id,
        };
        for domain in items(value, "domains") {
            let verified = domain["verified"].as_bool().unwrap_or(false);
            let name = text(domain, "domain");
            let model = organization_domain::Model {
                id: text(domain, "id"),
                organization_id: organization_id.to_owned(),
                domain: name.clone(),
                verification_token: text(domain, "verification_token"),
                verified_at: verified.then(|| time(&domain["verified_at"]).unwrap_or(now)),
                verified_by: verified.then(|| {
                    domain["verified_by"]
                        .as_str()
                        .unwrap_or("operator")
                        .to_owned()
                }),
                created_at: time(&domain["created_at"]).unwrap_or(now),
            };
            let id = model.id.clone();
            let outcome = if id.is_empty() {
                Err(crate::error::Error::invalid("domains.id", "is required"))
            } else {
                transfer::insert_domain(db, model).await
            };
            if matches!(outcome, Ok(Imported::AsItWas | Imported::Degraded)) {
                self.audit_imported(
                    db,
                    "sso.domain_imported",
                    ("organization_domain", &id),
                    Some(organization_id),
                )
                .await?;
            }
            let why = format!(
                "the domain {name} is verified by another organization here: imported unverified"
            );
            tally.outcome(
                &mut counts.domains,
                &mut counts.warnings,
                outcome,
                "invalid_domain",
                ("domain_verified_elsewhere", &why),
            )?;
        }
        for record in items(value, "sso_connections") {
            let id = text(record, "id");
            let outcome = match connection_of(organization_id, record, now) {
                Ok((connection, secret_missing)) => {
                    transfer::insert_connection(
                        db,
                        &self.cipher,
                        self.rules.outbound,
                        connection,
                        secret_missing,
                    )
                    .await
                }
                Err(err) => Err(err),
            };
            if matches!(outcome, Ok(Imported::AsItWas | Imported::Degraded)) {
                self.audit_imported(
                    db,
                    "sso.connection_imported",
                    ("sso_connection", &id),
                    Some(organization_id),
                )
                .await?;
            }
            let why = format!(
                "the SSO connection {id} came without its client secret (a plain export leaves it out): imported disabled; set the secret and enable it"
            );
            tally.outcome(
                &mut counts.sso_connections,
                &mut counts.warnings,
                outcome,
                "invalid_sso_connection",
                ("sso_secret_missing", &why),
            )?;
        }
        Ok(())
    }
}

/// The connection a record describes, and whether its OIDC client secret is missing.
fn connection_of(
    organization_id: &str,
    record: &Value,
    now: DateTime<Utc>,
) -> Result<(Connection, bool), crate::error::Error> {
    let invalid = |field: &str, why: &str| crate::error::Error::invalid(field, why);
    let protocol = match record["protocol"].as_str() {
        Some("saml") => Protocol::Saml,
        Some("oidc") => Protocol::Oidc,
        _ => return Err(invalid("sso_connections.protocol", "must be saml or oidc")),
    };
    let attribute_mapping = match record.get("attribute_mapping") {
        None | Some(Value::Null) => crate::sso::AttributeMapping::default(),
        Some(mapping) => serde_json::from_value(mapping.clone()).map_err(|_| {
            invalid(
                "sso_connections.attribute_mapping",
                "is not an attribute mapping",
            )
        })?,
    };
    let saml = record["saml"].as_object().map(|saml| SamlSettings {
        idp_metadata_xml: saml
            .get("idp_metadata_xml")
            .and_then(Value::as_str)
            .map(str::to_owned),
        idp_metadata_url: saml
            .get("idp_metadata_url")
            .and_then(Value::as_str)
            .map(str::to_owned),
        allow_idp_initiated: saml
            .get("allow_idp_initiated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        sign_requests: saml
            .get("sign_requests")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    });
    let oidc = &record["oidc"];
    let secret = oidc["client_secret"].as_str().unwrap_or_default();
    let secret_missing = oidc.is_object() && secret.is_empty();
    let oidc = oidc.is_object().then(|| OidcSettings {
        issuer: text(oidc, "issuer"),
        client_id: text(oidc, "client_id"),
        client_secret: SecretString::from(secret.to_owned()),
        scopes: strings(oidc, "scopes"),
    });
    let connection = Connection {
        id: text(record, "id"),
        organization_id: organization_id.to_owned(),
        name: text(record, "name"),
        protocol,
        domains: strings(record, "domains"),
        jit_provisioning: record["jit_provisioning"].as_bool().unwrap_or(false),
        default_role: match text(record, "default_role").trim() {
            "" => "member".to_owned(),
            role => role.to_owned(),
        },
        enabled: record["enabled"].as_bool().unwrap_or(false),
        attribute_mapping,
        saml,
        oidc,
        created_at: time(&record["created_at"]).unwrap_or(now),
        updated_at: time(&record["updated_at"]).unwrap_or(now),
    };
    Ok((connection, secret_missing))
}
