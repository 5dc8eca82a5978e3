//! A janua-v2 export's passkeys and linked identities, read from the users file once the
//! users and organizations (with their SSO connections) are in, one transaction per user
//! (a plan only checks). They attach only to a user this source imported (its source id is
//! linked), never to an account that merely shares an email. A link names a connection of
//! the import or of the database, else it fails (`unknown_connection`); sign-ins through it
//! still pass every linking rule (domains, no administrators). A passkey imports only when
//! its RP id is the server's `WEBAUTHN_RP_ID`; otherwise it is skipped
//! (`passkey_rp_id_mismatch`) and the user keeps its other factors.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use super::{
    Importer,
    fields::{items, strings, text, time},
    organizations::{self, Stage},
    record::Position,
    report::{Problem, ReportFiles, RunCounts},
    sources::janua_v2::USERS_FILE,
    store,
};
use crate::{
    error::Error,
    mfa::passkey_transfer::{self, TransferredPasskey},
    sso::{
        self,
        transfer::{Imported, TransferredLink},
    },
};

const SOURCE: &str = "janua-v2";

/// One user's record, where it is, and what to write through.
struct UserLinks<'a> {
    position: Position,
    source_id: &'a str,
    user_id: &'a str,
    write: bool,
}

impl Importer {
    /// The passkeys and identities of every user of the stage's users file; a plan finds
    /// the users in `stage.user_ids`, a run in the database.
    pub(super) async fn import_links(&self, stage: &mut Stage<'_>) -> anyhow::Result<()> {
        let (dry_run, user_ids, plan) = (stage.dry_run, stage.user_ids, stage.plan);
        let (counts, report) = (&mut *stage.counts, &mut *stage.report);
        let (mut records, reader) = organizations::read(stage.dir.join(USERS_FILE), "users");
        while let Some((index, value)) = records.recv().await {
            let auth = &value["auth"];
            let (passkeys, identities) = (items(auth, "passkeys"), items(auth, "identities"));
            if passkeys.is_empty() && identities.is_empty() {
                continue;
            }
            let source_id = value["id"].as_str().unwrap_or_default();
            let user_id = if dry_run {
                user_ids.get(source_id).cloned()
            } else {
                store::find_external(&self.db, SOURCE, source_id)
                    .await?
                    .map(|known| known.user_id)
            };
            let Some(user_id) = user_id else {
                // Not this source's user (failed, or an account with the same email that
                // was left as it was): nothing of it attaches.
                counts.passkeys.seen += passkeys.len() as u64;
                counts.passkeys.skipped += passkeys.len() as u64;
                counts.identities.seen += identities.len() as u64;
                counts.identities.skipped += identities.len() as u64;
                continue;
            };
            let user = UserLinks {
                position: Position {
                    file: USERS_FILE.to_owned(),
                    line: index,
                },
                source_id,
                user_id: &user_id,
                write: !dry_run,
            };
            let txn = organizations::begin_step(plan, &self.db).await?;
            let done = self
                .user_links(&txn, &user, identities, passkeys, counts, report)
                .await;
            match done {
                Ok(()) => txn.commit().await?,
                Err(err) => {
                    txn.rollback().await?;
                    return Err(err);
                }
            }
        }
        reader.await.context("reading the users again")??;
        Ok(())
    }

    /// Audits an identity or a passkey attached to the user (a plan writes no event).
    async fn audit_attached(
        &self,
        db: &impl ConnectionTrait,
        user: &UserLinks<'_>,
        action: &'static str,
    ) -> anyhow::Result<()> {
        if user.write {
            self.audit_imported(db, action, ("user", user.user_id), None)
                .await?;
        }
        Ok(())
    }

    async fn user_links(
        &self,
        db: &impl ConnectionTrait,
        user: &UserLinks<'_>,
        identities: &[Value],
        passkeys: &[Value],
        counts: &mut RunCounts,
        report: &mut ReportFiles,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let problem = |code, field, message: String| {
            Problem::new(&user.position, user.source_id, code, field, message)
        };
        for identity in identities {
            counts.identities.seen += 1;
            let outcome = match link_of(identity, now) {
                Some(link) => sso::transfer::insert_link(db, user.user_id, link, user.write).await,
                None => Err(Error::invalid(
                    "identities",
                    "an identity needs a provider (and connection_id for sso) and a subject",
                )),
            };
            match outcome {
                Ok(Imported::Exists) => counts.identities.skipped += 1,
                Ok(_) => {
                    counts.identities.imported += 1;
                    self.audit_attached(db, user, "sso.identity_imported")
                        .await?;
                }
                Err(err) => {
                    let (code, field) = match err {
                        Error::NotFound(_) => ("unknown_connection", "identities.connection_id"),
                        Error::Conflict(_) => ("identity_taken", "identities.subject"),
                        Error::Validation { .. } => ("invalid_identity", "identities"),
                        other => return Err(anyhow::anyhow!("{other}")),
                    };
                    counts.identities.failed += 1;
                    let connection = identity["connection_id"].as_str().unwrap_or_default();
                    let message = match code {
                        "unknown_connection" => format!(
                            "the SSO connection {connection} is neither in the import nor in the database"
                        ),
                        _ => err.to_string(),
                    };
                    report.problem(&problem(code, field, message))?;
                }
            }
        }
        for record in passkeys {
            counts.passkeys.seen += 1;
            let rp_id = record["rp_id"].as_str().unwrap_or_default();
            if self.rules.webauthn_rp_id.as_deref() != Some(rp_id) {
                counts.passkeys.skipped += 1;
                counts.warnings += 1;
                let server = self
                    .rules
                    .webauthn_rp_id
                    .as_deref()
                    .unwrap_or("none: passkeys are off");
                report.problem(&problem(
                    "passkey_rp_id_mismatch",
                    "passkeys.rp_id",
                    format!(
                        "the passkey was registered for the RP id {rp_id:?}; this server's is {server}: skipped"
                    ),
                ))?;
                continue;
            }
            let passkey = passkey_of(record, now);
            match passkey_transfer::insert_imported_passkey(
                db,
                user.user_id,
                &passkey,
                now,
                user.write,
            )
            .await
            {
                Ok(true) => {
                    counts.passkeys.imported += 1;
                    self.audit_attached(db, user, "mfa.passkey_imported")
                        .await?;
                }
                Ok(false) => counts.passkeys.skipped += 1,
                Err(err @ (Error::Validation { .. } | Error::Conflict(_))) => {
                    counts.passkeys.failed += 1;
                    let code = if matches!(err, Error::Conflict(_)) {
                        "passkey_taken"
                    } else {
                        "invalid_passkey"
                    };
                    report.problem(&problem(code, "passkeys", err.to_string()))?;
                }
                Err(other) => return Err(anyhow::anyhow!("{other}")),
            }
        }
        Ok(())
    }
}

fn link_of(identity: &Value, now: DateTime<Utc>) -> Option<TransferredLink> {
    let provider = match identity["provider"].as_str()? {
        "sso" => format!("sso:{}", identity["connection_id"].as_str()?),
        social => social.to_owned(),
    };
    let created_at = time(&identity["created_at"]).unwrap_or(now);
    Some(TransferredLink {
        provider,
        subject: identity["subject"].as_str()?.to_owned(),
        email_proven: identity["email_proven"].as_bool().unwrap_or(false),
        created_at,
        last_used_at: time(&identity["last_used_at"]).unwrap_or(created_at),
    })
}

fn passkey_of(record: &Value, now: DateTime<Utc>) -> TransferredPasskey {
    let flag = |key: &str| record[key].as_bool().unwrap_or(false);
    TransferredPasskey {
        credential_id: text(record, "credential_id"),
        public_key: text(record, "public_key"),
        algorithm: record["algorithm"].as_i64().unwrap_or_default(),
        sign_count: record["sign_count"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_default(),
        transports: strings(record, "transports"),
        user_verified: flag("user_verified"),
        backup_eligible: flag("backup_eligible"),
        backup_state: flag("backup_state"),
        name: text(record, "name"),
        created_at: time(&record["created_at"]).unwrap_or(now),
    }
}
