//! Bringing users in from elsewhere (`janua import plan|run|verify`) and taking them out
//! (`janua export`): one engine behind the CLI and the admin ImportService/ExportService
//! (`transfer`).
//!
//! - `sources`: the formats (csv and JSON lines, auth0, keycloak, janua-v2), streamed;
//!   `archive` the encrypted export archive; `record` what a source yields;
//! - `validate`: the rules one record must pass, without the database;
//! - `engine`: the run — read through once, then batches, one transaction each with the
//!   run's cursor (`store`); `writes` what a record writes; `outcome` how it is counted;
//!   `organizations` a janua-v2 export's organizations, roles and members, with their
//!   domains and SSO connections (`sso_connections`); `fields` reads a record's fields;
//! - `report`: counts, `errors.ndjson`, `ids.csv`; `verify` checks a finished run;
//! - `links`: a janua-v2 export's passkeys and linked identities, after its organizations;
//!   `config_file` its webhooks, API keys and OAuth clients;
//! - `export`: the janua-v2 files (`export_orgs`, `export_config`); `cli`: the commands'
//!   arguments and output.
//!
//! Imported password hashes are kept as they came (`crypto::ImportedHash`) and re-hashed at
//! the first sign-in; TOTP secrets become confirmed factors (`mfa::insert_imported_totp`).
//! External ids are unique per source, so importing the same input twice changes nothing.
//! A plan decides everything and writes nothing (a janua-v2 plan writes its organizations,
//! links and config into one transaction that it rolls back). Secrets Janua can open (OIDC
//! client secrets, webhook signing secrets) leave only in the encrypted archive, and no
//! report line holds one. Nothing here serves requests.

mod archive;
pub mod cli;
mod config_file;
mod engine;
pub mod export;
mod export_config;
mod export_orgs;
mod fields;
mod links;
mod organizations;
mod outcome;
pub mod record;
pub mod report;
pub mod sources;
mod sso_connections;
mod store;
mod validate;
mod verify;
mod writes;

use std::{path::PathBuf, sync::Arc};

pub use archive::{PrivateDir, is_archive};
pub use engine::RunReport;
pub use report::{Counts, RunCounts};
pub use sources::{SourceKind, SourceOptions};
pub use verify::Verification;

use crate::{clock::Clock, crypto::FieldCipher, store::Db};

/// What `--on-conflict` does with a record whose email belongs to a Janua user already (a
/// record imported before, by its source id, is skipped or updated; never a conflict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Leave the existing user as it is (the default).
    Skip,
    /// Overwrite its profile fields (and password hash, when the record has one) and link
    /// the source id to it.
    Update,
    /// Count the record as failed (code `conflict`).
    Fail,
}

/// One `janua import plan|run`.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub source: SourceOptions,
    pub on_conflict: OnConflict,
    pub batch_size: usize,
    /// Continue the unfinished run of the same input after its last committed batch.
    pub resume: bool,
    /// `plan`: decide everything, write nothing to the database.
    pub dry_run: bool,
    /// Stop (as a killed run would) after this many committed batches: for tests of resume.
    pub stop_after_batches: Option<u64>,
    pub report_dir: PathBuf,
    /// Told (records done, records in the input) after each batch; the CLI draws a
    /// progress bar with it on a terminal.
    pub progress: Option<Progress>,
    /// The run's id when the caller made it already (ImportService's runs); None: a new one.
    pub run_id: Option<String>,
}

/// A progress callback: (records done, records in the input).
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// The import and export engine, wired once.
pub struct Importer {
    db: Db,
    cipher: FieldCipher,
    clock: Arc<dyn Clock>,
    /// The server's SMS settings: an imported phone factor is kept only when SMS codes are
    /// on and its country is allowed, as an enrolment would require.
    sms: Option<crate::config::SmsSettings>,
    rules: ServerRules,
}

/// What the server's settings say about imported records beyond users (`Importer::with_rules`).
#[derive(Debug, Clone)]
pub struct ServerRules {
    /// `WEBAUTHN_RP_ID`: a passkey imports only when it was registered for this RP id (and
    /// an export names it as the passkeys' RP id). None: passkeys are off, none imports.
    pub webauthn_rp_id: Option<String>,
    /// Where webhook URLs may point (`WEBHOOK_*`), as CreateWebhookEndpoint checks them.
    pub webhooks: Option<crate::webhooks::transfer::ImportRules>,
    /// Which IdP addresses SSO connections may name (`OUTBOUND_ALLOW_*`).
    pub outbound: crate::config::OutboundPolicy,
    /// `JANUA_ISSUER`, which no OAuth client may take as its audience.
    pub issuer: String,
}

impl Default for ServerRules {
    /// The strictest: no passkeys, no webhooks, no private or loopback IdP addresses.
    fn default() -> Self {
        Self {
            webauthn_rp_id: None,
            webhooks: None,
            outbound: crate::config::OutboundPolicy {
                allow_loopback: false,
                allow_private: false,
            },
            issuer: String::new(),
        }
    }
}

impl ServerRules {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            webauthn_rp_id: config.webauthn.as_ref().map(|w| w.rp_id.clone()),
            webhooks: Some(crate::webhooks::transfer::ImportRules {
                require_https: config.webhooks.require_https,
                outbound: config.webhooks.outbound,
            }),
            outbound: config.outbound,
            issuer: config.issuer.as_str().to_owned(),
        }
    }
}

impl Importer {
    pub fn new(
        db: Db,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        sms: Option<crate::config::SmsSettings>,
    ) -> Self {
        Self {
            db,
            cipher,
            clock,
            sms,
            rules: ServerRules::default(),
        }
    }

    /// The server's rules for passkeys, webhooks, SSO connections and OAuth clients; without
    /// them no passkey imports and webhooks are refused.
    pub fn with_rules(mut self, rules: ServerRules) -> Self {
        self.rules = rules;
        self
    }
}
