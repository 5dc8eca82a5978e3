//! `janua import verify --run-id ID`: what a run left behind, checked against its own
//! record. Every user the run linked to a source id must exist; the run's counts must agree
//! with what it linked; and for a sample of its users, the stored password hash must be one
//! a sign-in can check (bounded, of a known kind) and a TOTP secret must open with this
//! node's field key. Read-only.

use serde::Serialize;

use super::{Importer, report::RunCounts, store};
use crate::{crypto::ImportedHash, store::accounts};

/// How many users the sign-in sample checks.
const SAMPLE: usize = 25;
const PAGE: u64 = 500;

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub status: String,
    pub counts: RunCounts,
    /// Source ids the run linked, and how many of their users exist.
    pub linked: u64,
    pub present: u64,
    /// Sampled users whose stored hash a sign-in can check / who have no password.
    pub sampled: u64,
    pub sample_checkable: u64,
    pub sample_without_password: u64,
    pub sample_totp_readable: u64,
    pub problems: Vec<String>,
}

impl Verification {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("status {}", self.status)];
        lines.extend(self.counts.lines());
        lines.push(format!("linked {} present {}", self.linked, self.present));
        lines.push(format!(
            "sample {} checkable {} without_password {} totp_readable {}",
            self.sampled,
            self.sample_checkable,
            self.sample_without_password,
            self.sample_totp_readable
        ));
        lines.extend(self.problems.iter().map(|p| format!("problem: {p}")));
        lines
    }
}

impl Importer {
    pub async fn verify_run(&self, run_id: &str) -> anyhow::Result<Verification> {
        let run = store::find_run(&self.db, run_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("there is no import run {run_id}"))?;
        let mut found = Verification {
            status: run.status.clone(),
            counts: serde_json::from_value(run.counts.clone()).unwrap_or_default(),
            ..Verification::default()
        };
        if run.status != store::COMPLETED {
            found
                .problems
                .push("the run did not finish; continue it with --resume".into());
        }
        let mut after: Option<String> = None;
        loop {
            let page = store::linked_by_run(&self.db, run_id, after.as_deref(), PAGE).await?;
            for link in &page {
                found.linked += 1;
                let Some(user) = accounts::find_by_id(&self.db, &link.user_id).await? else {
                    found.problems.push(format!(
                        "source id {} names a missing user",
                        link.external_id
                    ));
                    continue;
                };
                found.present += 1;
                if (found.sampled as usize) < SAMPLE {
                    self.sample(&user, &mut found).await?;
                }
            }
            match page.last() {
                Some(last) if page.len() as u64 == PAGE => after = Some(last.external_id.clone()),
                _ => break,
            }
        }
        if found.linked < found.counts.users.imported {
            found.problems.push(format!(
                "the run counted {} imported users but linked {}",
                found.counts.users.imported, found.linked
            ));
        }
        Ok(found)
    }

    async fn sample(
        &self,
        user: &crate::store::entities::user::Model,
        found: &mut Verification,
    ) -> anyhow::Result<()> {
        found.sampled += 1;
        match user.password_hash.as_deref() {
            None => found.sample_without_password += 1,
            Some(hash) if ImportedHash::parse(hash).is_ok() || hash.starts_with("$argon2id$") => {
                found.sample_checkable += 1;
            }
            Some(_) => found
                .problems
                .push(format!("user {} has a hash no sign-in can check", user.id)),
        }
        match crate::mfa::active_totp_secret(&self.db, &self.cipher, &user.id).await {
            Ok(Some(_)) => found.sample_totp_readable += 1,
            Ok(None) => {}
            Err(_) => found.problems.push(format!(
                "user {}'s TOTP secret does not open with this FIELD_ENCRYPTION_KEY",
                user.id
            )),
        }
        Ok(())
    }
}
