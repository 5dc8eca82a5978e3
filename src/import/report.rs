//! What an import tells its operator: counts per kind (`users N seen N imported N updated N
//! skipped N failed`), `errors.ndjson` (one `{file, line, source_id, code, field, message}`
//! per failed record or warning; never a secret) and `ids.csv` (source id → Janua id, and
//! what became of the record).

use std::{
    fs::{File, OpenOptions},
    io::{BufWriter, Write},
    path::Path,
};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::record::Position;

/// One kind's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub seen: u64,
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// A run's counts, kept in its row so a resumed run reports the whole input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    pub users: Counts,
    pub totp_factors: Counts,
    /// janua-v2 only.
    #[serde(default)]
    pub organizations: Counts,
    #[serde(default)]
    pub memberships: Counts,
    /// janua-v2: the organizations' claimed email domains and SSO connections.
    #[serde(default)]
    pub domains: Counts,
    #[serde(default)]
    pub sso_connections: Counts,
    /// janua-v2: the users' linked identities and passkeys.
    #[serde(default)]
    pub identities: Counts,
    #[serde(default)]
    pub passkeys: Counts,
    /// janua-v2: the config file's records.
    #[serde(default)]
    pub webhooks: Counts,
    #[serde(default)]
    pub api_keys: Counts,
    #[serde(default)]
    pub oauth_clients: Counts,
    /// Users imported without a password (unknown, malformed or out-of-bounds hash):
    /// they set one through a password reset.
    pub passwords_reset: u64,
    pub warnings: u64,
}

impl RunCounts {
    /// The summary table, one line per kind, as the CLI prints it.
    pub fn lines(&self) -> Vec<String> {
        let line = |kind: &str, c: &Counts| {
            format!(
                "{kind} {} seen {} imported {} updated {} skipped {} failed",
                c.seen, c.imported, c.updated, c.skipped, c.failed
            )
        };
        vec![
            line("users", &self.users),
            line("totp_factors", &self.totp_factors),
            line("organizations", &self.organizations),
            line("memberships", &self.memberships),
            line("domains", &self.domains),
            line("sso_connections", &self.sso_connections),
            line("identities", &self.identities),
            line("passkeys", &self.passkeys),
            line("webhooks", &self.webhooks),
            line("api_keys", &self.api_keys),
            line("oauth_clients", &self.oauth_clients),
            format!("passwords_reset {}", self.passwords_reset),
            format!("warnings {}", self.warnings),
        ]
    }

    /// Whether any record failed (exit code 2).
    pub fn any_failed(&self) -> bool {
        [
            self.users,
            self.totp_factors,
            self.organizations,
            self.memberships,
            self.domains,
            self.sso_connections,
            self.identities,
            self.passkeys,
            self.webhooks,
            self.api_keys,
            self.oauth_clients,
        ]
        .iter()
        .any(|counts| counts.failed > 0)
    }
}

/// One line of `errors.ndjson`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub source_id: String,
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl Problem {
    pub fn new(
        position: &Position,
        source_id: &str,
        code: &'static str,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: position.file.clone(),
            line: position.line,
            source_id: source_id.to_owned(),
            code,
            field,
            message: message.into(),
        }
    }
}

/// What became of a record, in `ids.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    Updated,
    Skipped,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Self::Imported => "imported",
            Self::Updated => "updated",
            Self::Skipped => "skipped",
        }
    }
}

/// The two report files in `--report-dir`, appended to when a run resumes.
pub struct ReportFiles {
    errors: BufWriter<File>,
    ids: BufWriter<File>,
}

impl ReportFiles {
    pub fn create(dir: &Path, resume: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let open = |name: &str| -> anyhow::Result<(File, bool)> {
            let path = dir.join(name);
            let existed = path.is_file() && resume;
            let file = OpenOptions::new()
                .create(true)
                .write(true)
                .append(resume)
                .truncate(!resume)
                .open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            Ok((file, existed))
        };
        let (errors, _) = open("errors.ndjson")?;
        let (ids, existed) = open("ids.csv")?;
        let mut ids = BufWriter::new(ids);
        if !existed {
            writeln!(ids, "source_id,janua_id,outcome")?;
        }
        Ok(Self {
            errors: BufWriter::new(errors),
            ids,
        })
    }

    pub fn problem(&mut self, problem: &Problem) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.errors, problem)?;
        self.errors.write_all(b"\n")?;
        Ok(())
    }

    pub fn id(&mut self, source_id: &str, janua_id: &str, outcome: Outcome) -> anyhow::Result<()> {
        let mut row = ::csv::Writer::from_writer(Vec::new());
        row.write_record([source_id, janua_id, outcome.name()])?;
        self.ids
            .write_all(&row.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
        Ok(())
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.errors.flush()?;
        self.ids.flush()?;
        Ok(())
    }
}
