//! The organizations of a janua-v2 export (`janua_organizations_export.json`), after its
//! users: each organization with its custom roles and members in one transaction (a plan
//! rolls it back). An organization already there (by id) is skipped and only its missing
//! members, domains and SSO connections are added (`sso_connections`), so running the
//! import again changes nothing. A member naming a user the import does not know, or a role
//! the organization does not have, is an error.

use std::{collections::HashMap, path::Path};

use anyhow::Context;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{
    Importer,
    fields::{items, strings, time},
    record::Position,
    report::{Problem, ReportFiles, RunCounts},
    sources::{janua_v2::ORGANIZATIONS_FILE, json_stream},
    store,
};
use crate::{
    orgs::{
        self,
        transfer::{TransferredOrganization, TransferredRole},
    },
    store::WriteTxn,
};

const SOURCE: &str = "janua-v2";

/// What the janua-v2 stages after the users file (organizations, links, config) share.
pub(super) struct Stage<'a> {
    /// The export's directory.
    pub dir: &'a Path,
    /// A plan: decide, write nothing.
    pub dry_run: bool,
    /// A plan's transaction, rolled back when the plan ends: each step writes into a
    /// savepoint of it, so later steps see what earlier ones decided (a link its
    /// connection, an API key its organization) and nothing stays.
    pub plan: Option<&'a WriteTxn>,
    pub batch_size: usize,
    /// The export's user ids → Janua's, for the users this run decided.
    pub user_ids: &'a HashMap<String, String>,
    pub counts: &'a mut RunCounts,
    pub report: &'a mut ReportFiles,
}

/// The transaction of one step: in a run, the database's; in a plan, a savepoint of the
/// plan's transaction. Either way the step commits it when it succeeds.
pub(super) async fn begin_step(
    plan: Option<&WriteTxn>,
    db: &crate::store::Db,
) -> anyhow::Result<WriteTxn> {
    Ok(match plan {
        Some(plan) => plan.savepoint().await?,
        None => crate::store::begin_write(db).await?,
    })
}

impl Importer {
    /// Imports the organizations file of the stage's directory, if there is one.
    pub(super) async fn import_organizations(&self, stage: &mut Stage<'_>) -> anyhow::Result<()> {
        let (dry_run, user_ids, plan) = (stage.dry_run, stage.user_ids, stage.plan);
        let (counts, report) = (&mut *stage.counts, &mut *stage.report);
        let path = stage.dir.join(ORGANIZATIONS_FILE);
        if !path.is_file() {
            return Ok(());
        }
        let (mut records, reader) = read(path, "organizations");
        while let Some((index, value)) = records.recv().await {
            let position = Position {
                file: ORGANIZATIONS_FILE.to_owned(),
                line: index,
            };
            let source_id = value["id"].as_str().unwrap_or_default().to_owned();
            counts.organizations.seen += 1;
            let Some(org) = organization_of(&value) else {
                counts.organizations.failed += 1;
                report.problem(&Problem::new(
                    &position,
                    &source_id,
                    "invalid_organization",
                    "",
                    "an organization needs an id, a name and a slug",
                ))?;
                continue;
            };
            let txn = begin_step(plan, &self.db).await?;
            let outcome = self
                .organization(
                    &txn, &org, &value, &position, dry_run, user_ids, counts, report,
                )
                .await;
            match outcome {
                Ok(true) => txn.commit().await?,
                Ok(false) => txn.rollback().await?,
                Err(err) => {
                    txn.rollback().await?;
                    return Err(err);
                }
            }
        }
        reader.await.context("reading the organizations")??;
        Ok(())
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one organization's whole context"
    )]
    async fn organization(
        &self,
        db: &impl ConnectionTrait,
        org: &TransferredOrganization,
        value: &Value,
        position: &Position,
        dry_run: bool,
        user_ids: &HashMap<String, String>,
        counts: &mut RunCounts,
        report: &mut ReportFiles,
    ) -> anyhow::Result<bool> {
        let now = self.clock.now();
        if orgs::transfer::organization_exists(db, &org.id).await? {
            counts.organizations.skipped += 1;
        } else if let Err(err) = orgs::transfer::insert_organization(db, org, now).await {
            counts.organizations.failed += 1;
            // Nothing of it is kept: its members, domains and connections are skipped.
            for (key, kind) in [
                ("members", &mut counts.memberships),
                ("domains", &mut counts.domains),
                ("sso_connections", &mut counts.sso_connections),
            ] {
                let listed = items(value, key).len() as u64;
                kind.seen += listed;
                kind.skipped += listed;
            }
            report.problem(&Problem::new(
                position,
                &org.id,
                "invalid_organization",
                "",
                err.to_string(),
            ))?;
            return Ok(false);
        } else {
            counts.organizations.imported += 1;
        }
        for member in items(value, "members") {
            counts.memberships.seen += 1;
            let source_user = member["user_id"].as_str().unwrap_or_default();
            let role = member["role"].as_str().unwrap_or_default();
            let user_id = match user_ids.get(source_user) {
                Some(id) => Some(id.clone()),
                None => store::find_external(db, SOURCE, source_user)
                    .await?
                    .map(|known| known.user_id),
            };
            let Some(user_id) = user_id else {
                counts.memberships.failed += 1;
                report.problem(&Problem::new(
                    position,
                    &org.id,
                    "unknown_member",
                    "members.user_id",
                    format!("the member {source_user} is no user of this import"),
                ))?;
                continue;
            };
            if !orgs::transfer::role_known(db, &org.id, role).await? {
                counts.memberships.failed += 1;
                report.problem(&Problem::new(
                    position,
                    &org.id,
                    "unknown_role",
                    "members.role",
                    format!(
                        "the member {source_user}'s role {role:?} is no role of the organization"
                    ),
                ))?;
                continue;
            }
            let joined = time(&member["joined_at"]).unwrap_or(now);
            let added = if dry_run {
                !orgs::transfer::is_member(db, &org.id, &user_id).await?
            } else {
                orgs::transfer::add_member(db, &org.id, &user_id, role, joined).await?
            };
            if added {
                counts.memberships.imported += 1;
            } else {
                counts.memberships.skipped += 1;
            }
        }
        self.organization_sso(db, &org.id, value, position, counts, report)
            .await?;
        Ok(true)
    }
}

fn organization_of(value: &Value) -> Option<TransferredOrganization> {
    let text = |key: &str| value[key].as_str().map(str::to_owned);
    let roles = items(value, "roles")
        .iter()
        .map(|role| TransferredRole {
            name: role["name"].as_str().unwrap_or_default().to_owned(),
            description: role["description"].as_str().unwrap_or_default().to_owned(),
            base_role: role["base_role"].as_str().unwrap_or_default().to_owned(),
            permissions: strings(role, "permissions"),
        })
        .collect();
    Some(TransferredOrganization {
        id: text("id").filter(|id| !id.is_empty())?,
        name: text("name")?,
        slug: text("slug")?,
        metadata: value.get("metadata").filter(|m| m.is_object()).cloned(),
        created_at: time(&value["created_at"]).unwrap_or_else(Utc::now),
        roles,
    })
}

/// Streams the array under `member` (the organizations, or the users) on a blocking thread.
pub(super) fn read(
    path: std::path::PathBuf,
    member: &'static str,
) -> (
    mpsc::Receiver<(u64, Value)>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (sender, receiver) = mpsc::channel(16);
    let handle = tokio::task::spawn_blocking(move || {
        let file =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        json_stream::each_in_member(
            std::io::BufReader::new(file),
            member,
            "",
            &mut |index, value| sender.blocking_send((index, value)).is_ok(),
        )?;
        Ok(())
    });
    (receiver, handle)
}
