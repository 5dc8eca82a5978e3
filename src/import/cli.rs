//! The command-line side of `janua import plan|run` and `janua export`: the arguments as the
//! issue names them, turned into `ImportOptions`, and the report printed as scripts expect
//! (`run id: ID`, then one `users N seen N imported …` line per kind). Exit codes: 0 clean,
//! 2 some records failed, 1 fatal (nothing of the failing batch written).

use std::{
    io::{IsTerminal as _, Write as _},
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::{ImportOptions, Importer, OnConflict, Progress, SourceKind, SourceOptions};
use secrecy::SecretString;

use crate::crypto::FirebaseProject;

/// `janua import plan|run` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// csv, auth0, keycloak or janua-v2.
    #[arg(long, value_parser = parse_source)]
    pub source: SourceKind,
    /// The input: a file, or for janua-v2 the directory `janua export --out` wrote.
    pub path: PathBuf,
    /// CSV: which column holds which field, `source_column=field,...` (fields: id, email,
    /// email_verified, password_hash, display_name, totp_secret, password_salt, auth_method).
    #[arg(long, value_parser = parse_map)]
    pub map: Option<ColumnMap>,
    /// What to do with a record whose email a Janua user has already.
    #[arg(long, default_value = "skip", value_parser = parse_on_conflict)]
    pub on_conflict: OnConflict,
    /// Records per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
    /// Continue the unfinished run of this same input after its last committed batch.
    #[arg(long)]
    pub resume: bool,
    /// Where errors.ndjson and ids.csv go.
    #[arg(long, default_value = ".")]
    pub report_dir: PathBuf,
    /// Firebase scrypt: the project's base64 signer key (with the three below).
    #[arg(long)]
    pub firebase_signer_key: Option<String>,
    /// Firebase scrypt: the base64 salt separator.
    #[arg(long)]
    pub firebase_salt_separator: Option<String>,
    /// Firebase scrypt: rounds.
    #[arg(long)]
    pub firebase_rounds: Option<u32>,
    /// Firebase scrypt: memory cost.
    #[arg(long)]
    pub firebase_mem_cost: Option<u8>,
    /// auth0: the password-hash export (NDJSON: `_id.$oid` or `user_id`, `email`,
    /// `passwordHash`) to join to the users.
    #[arg(long)]
    pub auth0_password_hashes: Option<PathBuf>,
    /// auth0: the MFA-secret export (NDJSON: `user_id` or `_id.$oid`, `email`, and
    /// `mfa_factors` or `totp_secret`) to join to the users.
    #[arg(long)]
    pub auth0_mfa_secrets: Option<PathBuf>,
    /// janua-v2 archive: the environment variable holding its passphrase.
    #[arg(long, conflicts_with = "passphrase_file")]
    pub passphrase_env: Option<String>,
    /// janua-v2 archive: a file whose first line is its passphrase.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Stop after this many committed batches, as a killed run would (tests of --resume).
    #[arg(long, hide = true)]
    pub stop_after_batches: Option<u64>,
}

/// `--map`'s pairs.
#[derive(Debug, Clone)]
pub struct ColumnMap(pub Vec<(String, String)>);

fn parse_source(text: &str) -> Result<SourceKind, String> {
    SourceKind::parse(text).ok_or_else(|| "one of csv, auth0, keycloak, janua-v2".to_owned())
}

fn parse_on_conflict(text: &str) -> Result<OnConflict, String> {
    match text {
        "skip" => Ok(OnConflict::Skip),
        "update" => Ok(OnConflict::Update),
        "fail" => Ok(OnConflict::Fail),
        _ => Err("one of skip, update, fail".into()),
    }
}

fn parse_map(text: &str) -> Result<ColumnMap, String> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((column, field)) if !column.trim().is_empty() => {
                Ok((column.trim().to_owned(), field.trim().to_owned()))
            }
            _ => Err(format!("`{pair}` is not source_column=field")),
        })
        .collect::<Result<_, _>>()
        .map(ColumnMap)
}

impl ImportArgs {
    pub fn options(&self, dry_run: bool) -> anyhow::Result<ImportOptions> {
        Ok(ImportOptions {
            source: SourceOptions {
                kind: self.source,
                path: self.path.clone(),
                column_map: self.map.clone().map(|m| m.0).unwrap_or_default(),
                firebase: self.firebase()?,
                auth0_password_hashes: self.auth0_password_hashes.clone(),
                auth0_mfa_secrets: self.auth0_mfa_secrets.clone(),
                passphrase: passphrase(
                    self.passphrase_env.as_deref(),
                    self.passphrase_file.as_deref(),
                )?,
            },
            on_conflict: self.on_conflict,
            batch_size: self.batch_size,
            resume: self.resume,
            dry_run,
            stop_after_batches: self.stop_after_batches,
            report_dir: self.report_dir.clone(),
            progress: std::io::stderr().is_terminal().then(progress_bar),
            run_id: None,
        })
    }

    fn firebase(&self) -> anyhow::Result<Option<FirebaseProject>> {
        match (
            &self.firebase_signer_key,
            &self.firebase_salt_separator,
            self.firebase_rounds,
            self.firebase_mem_cost,
        ) {
            (None, None, None, None) => Ok(None),
            (Some(key), Some(separator), Some(rounds), Some(mem_cost)) => {
                let decode = |name: &str, text: &str| {
                    STANDARD
                        .decode(text.trim())
                        .map_err(|_| anyhow::anyhow!("{name} is not base64"))
                };
                Ok(Some(FirebaseProject {
                    signer_key: decode("--firebase-signer-key", key)?,
                    salt_separator: decode("--firebase-salt-separator", separator)?,
                    rounds,
                    mem_cost,
                }))
            }
            _ => anyhow::bail!(
                "Firebase scrypt needs all of --firebase-signer-key, --firebase-salt-separator, --firebase-rounds and --firebase-mem-cost"
            ),
        }
    }
}

/// A bar on standard error: `[#####     ] 5000/10000 records`, ended by a newline.
fn progress_bar() -> Progress {
    Progress(Arc::new(|done, total| {
        const WIDTH: u64 = 30;
        let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '#' } else { ' ' })
            .collect();
        let end = if done >= total { "\n" } else { "" };
        let mut err = std::io::stderr();
        let _ = write!(err, "\r[{bar}] {done}/{total} records{end}");
        let _ = err.flush();
    }))
}

/// Runs the import and prints its report; the exit code says how it went.
pub async fn import(importer: &Importer, args: &ImportArgs, dry_run: bool) -> ExitCode {
    let result = match args.options(dry_run) {
        Ok(options) => importer.import(&options).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(report) => {
            let mut out = format!("run id: {}\n", report.run_id);
            for line in report.counts.lines() {
                out.push_str(&line);
                out.push('\n');
            }
            if report.planned {
                out.push_str("plan only: nothing was written to the database\n");
            }
            print!("{out}");
            if report.counts.any_failed() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("janua: import failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--passphrase-env VAR` or `--passphrase-file FILE` (its first line).
fn passphrase(env: Option<&str>, file: Option<&Path>) -> anyhow::Result<Option<SecretString>> {
    let text = match (env, file) {
        (Some(var), _) => {
            std::env::var(var).map_err(|_| anyhow::anyhow!("--passphrase-env: {var} is not set"))?
        }
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("--passphrase-file {}: {e}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        (None, None) => return Ok(None),
    };
    anyhow::ensure!(!text.is_empty(), "the passphrase is empty");
    Ok(Some(SecretString::from(text)))
}

/// `janua export` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// Only janua-v2 so far.
    #[arg(long, default_value = "janua-v2")]
    pub format: String,
    /// The directory to write (created; files are private to their owner).
    #[arg(long)]
    pub out: PathBuf,
    /// Write one encrypted archive (`janua_export.tar.gz.enc`, what `tar czf … | openssl
    /// enc -aes-256-cbc -pbkdf2` makes, with a SHA-256 manifest) instead of the files.
    #[arg(long, requires = "passphrase")]
    pub encrypt: bool,
    /// The environment variable holding the archive's passphrase.
    #[arg(long, group = "passphrase")]
    pub passphrase_env: Option<String>,
    /// A file whose first line is the archive's passphrase.
    #[arg(long, group = "passphrase")]
    pub passphrase_file: Option<PathBuf>,
}

/// `janua export`: prints what it wrote.
pub async fn export(importer: &Importer, args: &ExportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.format == "janua-v2",
        "unknown export format `{}` (janua-v2)",
        args.format
    );
    let passphrase = passphrase(
        args.passphrase_env.as_deref(),
        args.passphrase_file.as_deref(),
    )?;
    let exported = match (args.encrypt, passphrase) {
        (true, Some(passphrase)) => importer.export_encrypted(&args.out, &passphrase).await?,
        _ => importer.export_janua_v2(&args.out).await?,
    };
    println!(
        "exported {} users, {} organizations and {} webhooks, API keys and OAuth clients to {}",
        exported.users,
        exported.organizations,
        exported.config_records,
        args.out.display()
    );
    Ok(())
}

/// `janua import verify --run-id ID`: prints what it checked; 2 when something is wrong.
pub async fn verify(importer: &Importer, run_id: &str) -> ExitCode {
    match importer.verify_run(run_id).await {
        Ok(found) => {
            let mut out = format!("run id: {run_id}\n");
            for line in found.lines() {
                out.push_str(&line);
                out.push('\n');
            }
            print!("{out}");
            if found.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(err) => {
            eprintln!("janua: {err:#}");
            ExitCode::FAILURE
        }
    }
}
