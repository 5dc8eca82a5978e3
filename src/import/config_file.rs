//! The config file of a janua-v2 export (`janua_config_export.json`), after the
//! organizations: webhook endpoints, API keys and OAuth clients, each kind in batches of
//! `--batch-size`, one transaction per batch (a plan rolls it back). Every record passes
//! the rules its API would apply (a webhook URL the same SSRF check, an OAuth client's
//! settings the same checks, an API key a role of its organization); a refused record is
//! reported and writes nothing; a record whose id exists is skipped, so importing again
//! changes nothing. A webhook without its signing secret (a plain export) gets a new one
//! nobody has seen (`webhook_secret_generated`: rotate it to learn it). The file is small
//! (a deployment's configuration) and read whole; its counts must match its metadata.

use anyhow::Context;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use super::{
    Importer,
    fields::{optional_text, strings, text, time},
    organizations::{self, Stage},
    record::Position,
    report::{Counts, Problem, RunCounts},
    sources::janua_v2::CONFIG_FILE,
};
use crate::{
    error::Error,
    oauth,
    store::entities::{api_key, oauth_client},
    webhooks::transfer::{self as webhooks, EndpointImported, TransferredEndpoint},
};

/// The config file's kinds, in the order they import.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Webhooks,
    ApiKeys,
    OauthClients,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Webhooks, Kind::ApiKeys, Kind::OauthClients];

    fn key(self) -> &'static str {
        match self {
            Self::Webhooks => "webhooks",
            Self::ApiKeys => "api_keys",
            Self::OauthClients => "oauth_clients",
        }
    }

    /// The audit action of an imported record, and its target kind.
    fn audited(self) -> &'static str {
        match self {
            Self::Webhooks => "webhook_endpoint.imported",
            Self::ApiKeys => "api_key.imported",
            Self::OauthClients => "oauth_client.imported",
        }
    }

    fn target(self) -> &'static str {
        match self {
            Self::Webhooks => "webhook_endpoint",
            Self::ApiKeys => "api_key",
            Self::OauthClients => "oauth_client",
        }
    }

    fn counts(self, counts: &mut RunCounts) -> &mut Counts {
        match self {
            Self::Webhooks => &mut counts.webhooks,
            Self::ApiKeys => &mut counts.api_keys,
            Self::OauthClients => &mut counts.oauth_clients,
        }
    }
}

/// What became of one record.
enum Fate {
    Imported,
    /// Imported, with a warning for the report.
    Warned(&'static str, String),
    Skipped,
}

impl Importer {
    /// Imports the config file of the stage's directory, if there is one.
    pub(super) async fn import_config(&self, stage: &mut Stage<'_>) -> anyhow::Result<()> {
        let batch_size = stage.batch_size.max(1);
        let path = stage.dir.join(CONFIG_FILE);
        if !path.is_file() {
            return Ok(());
        }
        let document: Value = serde_json::from_slice(
            &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{CONFIG_FILE} is not JSON"))?;
        // The archive has no MAC: counts that differ from the metadata stop the import
        // before this file writes anything.
        for kind in Kind::ALL {
            let found = document[kind.key()].as_array().map_or(0, Vec::len) as u64;
            if let Some(total) = document["metadata"].get(format!("total_{}", kind.key())) {
                anyhow::ensure!(
                    total.as_u64() == Some(found),
                    "{CONFIG_FILE} holds {found} {} but its metadata says {total}",
                    kind.key()
                );
            }
        }
        for kind in Kind::ALL {
            let records = document[kind.key()]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (batch_index, batch) in records.chunks(batch_size).enumerate() {
                let first = batch_index * batch_size;
                let txn = organizations::begin_step(stage.plan, &self.db).await?;
                let mut draft = *stage.counts;
                let mut problems = Vec::new();
                for (offset, record) in batch.iter().enumerate() {
                    let position = Position {
                        file: CONFIG_FILE.to_owned(),
                        line: (first + offset + 1) as u64,
                    };
                    let id = optional_text(record, "id")
                        .or_else(|| optional_text(record, "client_id"))
                        .unwrap_or_default();
                    let tally = kind.counts(&mut draft);
                    tally.seen += 1;
                    let outcome = self.config_record(&txn, kind, record).await;
                    if let Ok(Fate::Imported | Fate::Warned(..)) = outcome {
                        let organization = optional_text(record, "organization_id");
                        self.audit_imported(
                            &txn,
                            kind.audited(),
                            (kind.target(), &id),
                            organization.as_deref(),
                        )
                        .await?;
                    }
                    match outcome {
                        Ok(Fate::Imported) => tally.imported += 1,
                        Ok(Fate::Skipped) => tally.skipped += 1,
                        Ok(Fate::Warned(code, message)) => {
                            tally.imported += 1;
                            draft.warnings += 1;
                            problems.push(Problem::new(&position, &id, code, "", message));
                        }
                        Err(err @ (Error::Validation { .. } | Error::Conflict(_))) => {
                            tally.failed += 1;
                            let code = match kind {
                                Kind::Webhooks => "invalid_webhook",
                                Kind::ApiKeys => "invalid_api_key",
                                Kind::OauthClients => "invalid_oauth_client",
                            };
                            problems.push(Problem::new(&position, &id, code, "", err.to_string()));
                        }
                        Err(other) => {
                            txn.rollback().await?;
                            return Err(anyhow::anyhow!("{other}"));
                        }
                    }
                }
                txn.commit().await?;
                *stage.counts = draft;
                for problem in &problems {
                    stage.report.problem(problem)?;
                }
            }
        }
        Ok(())
    }

    async fn config_record(
        &self,
        db: &impl ConnectionTrait,
        kind: Kind,
        record: &Value,
    ) -> Result<Fate, Error> {
        let now = self.clock.now();
        let created_at = time(&record["created_at"]).unwrap_or(now);
        match kind {
            Kind::Webhooks => {
                let rules = self.rules.webhooks.ok_or_else(|| {
                    Error::invalid("url", "webhooks import only with the server's settings")
                })?;
                let endpoint = TransferredEndpoint {
                    id: text(record, "id"),
                    organization_id: optional_text(record, "organization_id"),
                    url: text(record, "url"),
                    description: text(record, "description"),
                    event_types: strings(record, "event_types"),
                    enabled: record["enabled"].as_bool().unwrap_or(true),
                    state: text(record, "state"),
                    created_at,
                    secret: optional_text(record, "signing_secret"),
                };
                Ok(
                    match webhooks::insert_imported(db, &self.cipher, rules, endpoint, now).await? {
                        EndpointImported::WithSecret => Fate::Imported,
                        EndpointImported::Exists => Fate::Skipped,
                        EndpointImported::NewSecret => Fate::Warned(
                            "webhook_secret_generated",
                            "the endpoint came without its signing secret (a plain export leaves it out): it has a new one; rotate it to learn it and give it to the receiver".into(),
                        ),
                    },
                )
            }
            Kind::ApiKeys => {
                let key = api_key::Model {
                    id: text(record, "id"),
                    organization_id: text(record, "organization_id"),
                    name: text(record, "name"),
                    prefix: text(record, "prefix"),
                    secret_hash: text(record, "secret_hash"),
                    role: text(record, "role"),
                    created_by: optional_text(record, "created_by"),
                    created_at,
                    expires_at: time(&record["expires_at"]),
                    last_used_at: time(&record["last_used_at"]),
                    revoked_at: time(&record["revoked_at"]),
                };
                Ok(fate(crate::orgs::transfer::insert_api_key(db, key).await?))
            }
            Kind::OauthClients => {
                let client_type = match record["client_type"].as_str() {
                    Some("public") => oauth::ClientType::Public,
                    Some("confidential") => oauth::ClientType::Confidential,
                    _ => {
                        return Err(Error::invalid(
                            "client_type",
                            "must be public or confidential",
                        ));
                    }
                };
                let row = oauth_client::Model {
                    id: text(record, "client_id"),
                    organization_id: text(record, "organization_id"),
                    name: text(record, "name"),
                    client_type,
                    redirect_uris: record["redirect_uris"].clone(),
                    post_logout_redirect_uris: record["post_logout_redirect_uris"].clone(),
                    grant_types: record["grant_types"].clone(),
                    allowed_scopes: record["allowed_scopes"].clone(),
                    skip_consent: record["skip_consent"].as_bool().unwrap_or(false),
                    access_token_audience: optional_text(record, "access_token_audience"),
                    disabled: record["disabled"].as_bool().unwrap_or(false),
                    secret_hash: optional_text(record, "secret_hash"),
                    secret_hint: optional_text(record, "secret_hint"),
                    secret_rotated_at: time(&record["secret_rotated_at"]),
                    previous_secret_hash: optional_text(record, "previous_secret_hash"),
                    previous_secret_expires_at: time(&record["previous_secret_expires_at"]),
                    created_by: optional_text(record, "created_by"),
                    created_at,
                    updated_at: time(&record["updated_at"]).unwrap_or(created_at),
                };
                Ok(fate(
                    oauth::transfer::insert_client(db, row, &self.rules.issuer, now).await?,
                ))
            }
        }
    }
}

fn fate(inserted: bool) -> Fate {
    if inserted {
        Fate::Imported
    } else {
        Fate::Skipped
    }
}
