//! `janua export --format janua-v2 --out DIR`: writes `janua_users_export.json`,
//! `janua_organizations_export.json` (`export_orgs`) and `janua_config_export.json`
//! (`export_config`), what `janua import --source janua-v2 DIR` reads, streaming users and
//! organizations in id order page by page. Password hashes go out as stored (argon2id, or an
//! imported hash not yet re-hashed), TOTP secrets in base32, passkeys in a neutral shape
//! with the server's RP id, linked identities by provider and subject: the files are
//! secrets, created private (0600) in a directory the operator chose. Secrets Janua can
//! open (OIDC client secrets, webhook signing secrets) go out only into an encrypted
//! archive (`--encrypt`). Deleted users are left out.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use anyhow::Context;
use sea_orm::ActiveEnum as _;
use serde_json::{Value, json};

use super::{
    Importer,
    sources::janua_v2::{CONFIG_FILE, ORGANIZATIONS_FILE, USERS_FILE},
};
use crate::store::{
    accounts::{self, UserQuery, UserStatus},
    entities::user,
    memberships, organizations,
};

pub(super) const PAGE: u64 = 500;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub users: u64,
    pub organizations: u64,
    /// Webhooks, API keys and OAuth clients.
    pub config_records: u64,
}

impl Importer {
    /// The plain export: no secret Janua could open goes into it (OIDC client secrets and
    /// webhook signing secrets are left out, and an import reports them missing).
    pub async fn export_janua_v2(&self, out: &Path) -> anyhow::Result<Exported> {
        self.export_files(out, false).await
    }

    /// The three files in `out`; `secrets`: with the secrets Janua can open (only ever for
    /// the encrypted archive).
    async fn export_files(&self, out: &Path, secrets: bool) -> anyhow::Result<Exported> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join(USERS_FILE);
        let mut file = BufWriter::new(private_file(&path)?);
        file.write_all(b"{\"users\": [")?;
        let statuses = [UserStatus::Active, UserStatus::Suspended];
        let query = UserQuery {
            statuses: &statuses,
            ..UserQuery::default()
        };
        let mut after: Option<String> = None;
        let mut count = 0u64;
        loop {
            let page = accounts::list(&self.db, &query, after.as_deref(), PAGE).await?;
            for account in &page {
                if count > 0 {
                    file.write_all(b",")?;
                }
                file.write_all(b"\n  ")?;
                serde_json::to_writer(&mut file, &self.user_record(account).await?)?;
                count += 1;
            }
            match page.last() {
                Some(last) if page.len() as u64 == PAGE => after = Some(last.id.clone()),
                _ => break,
            }
        }
        let metadata = json!({
            "export_version": "2.0",
            "export_date": self.clock.now().to_rfc3339(),
            "total_users": count,
        });
        write!(file, "\n],\n\"metadata\": {metadata}}}\n")?;
        file.flush()?;
        let organizations = self.export_organizations(out, secrets).await?;
        let config_records = self.export_config(out, secrets).await?;
        Ok(Exported {
            users: count,
            organizations,
            config_records,
        })
    }

    /// The export as one encrypted archive in `out` (the plain files never touch `out`).
    pub async fn export_encrypted(
        &self,
        out: &Path,
        passphrase: &secrecy::SecretString,
    ) -> anyhow::Result<Exported> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let staging = super::archive::PrivateDir::create()?;
        let exported = self.export_files(staging.path(), true).await?;
        let archive = out.join(super::archive::ARCHIVE_FILE);
        let passphrase = passphrase.clone();
        tokio::task::spawn_blocking(move || {
            super::archive::create(
                staging.path(),
                &[USERS_FILE, ORGANIZATIONS_FILE, CONFIG_FILE],
                &passphrase,
                &archive,
            )
        })
        .await
        .context("writing the archive")??;
        Ok(exported)
    }

    async fn user_record(&self, account: &user::Model) -> anyhow::Result<Value> {
        let secret = crate::mfa::active_totp_secret(&self.db, &self.cipher, &account.id)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        let mut orgs = Vec::new();
        for membership in memberships::memberships_of(&self.db, &account.id).await? {
            if let Some(org) =
                organizations::find_organization(&self.db, &membership.organization_id).await?
            {
                orgs.push(json!({"id": org.id, "name": org.name, "slug": org.slug, "role": membership.role}));
            }
        }
        let status = match account.status {
            UserStatus::Suspended => "suspended",
            _ => "active",
        };
        let mut record = json!({
            "id": account.id,
            "email": account.email,
            "email_verified": account.email_verified,
            "status": status,
            "profile": {
                "display_name": account.display_name,
                "metadata": account.metadata,
            },
            "auth": {
                "password_hash": account.password_hash,
                "mfa_enabled": account.mfa_enabled,
                "mfa_secret": secret.map(|s| totp_rs::Secret::from(s).to_base32()),
                "passkeys": self.passkeys(&account.id).await?,
                "identities": self.identities(&account.id).await?,
            },
            "organizations": orgs,
            "created_at": account.created_at.to_rfc3339(),
        });
        if let Some(migration) = migration_of(account) {
            record["migration"] = migration;
        }
        Ok(record)
    }
}

impl Importer {
    /// The user's passkeys in the neutral shape, each with the RP id it works under.
    async fn passkeys(&self, user_id: &str) -> anyhow::Result<Vec<Value>> {
        let passkeys = crate::mfa::passkey_transfer::passkeys_of(&self.db, user_id)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        Ok(passkeys
            .into_iter()
            .map(|p| {
                json!({
                    "credential_id": p.credential_id,
                    "public_key": p.public_key,
                    "algorithm": p.algorithm,
                    "sign_count": p.sign_count,
                    "transports": p.transports,
                    "user_verified": p.user_verified,
                    "backup_eligible": p.backup_eligible,
                    "backup_state": p.backup_state,
                    "name": p.name,
                    "rp_id": self.rules.webauthn_rp_id,
                    "created_at": p.created_at.to_rfc3339(),
                })
            })
            .collect())
    }

    /// The user's linked identities: `sso` with the connection's id, or a social provider.
    async fn identities(&self, user_id: &str) -> anyhow::Result<Vec<Value>> {
        let links = crate::sso::transfer::links_of(&self.db, user_id)
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
        Ok(links
            .into_iter()
            .map(|link| {
                let (provider, connection_id) = match link.provider.strip_prefix("sso:") {
                    Some(id) => ("sso".to_owned(), Some(id.to_owned())),
                    None => (link.provider.clone(), None),
                };
                json!({
                    "provider": provider,
                    "connection_id": connection_id,
                    "subject": link.subject,
                    "email_proven": link.email_proven,
                    "created_at": link.created_at.to_rfc3339(),
                    "last_used_at": link.last_used_at.to_rfc3339(),
                })
            })
            .collect())
    }
}

/// A new file only its owner may read.
pub(super) fn private_file(path: &Path) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// A user's dual sign-in state, when it has any (users never imported have none).
fn migration_of(account: &user::Model) -> Option<Value> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let any = account.auth_method.is_some()
        || account.external_id.is_some()
        || account.migration_invited_at.is_some()
        || account.migration_completed_at.is_some();
    any.then(|| {
        json!({
            "auth_method": account.auth_method.map(|m| m.to_value()),
            "external_id": account.external_id,
            "invited_at": time(account.migration_invited_at),
            "completed_at": time(account.migration_completed_at),
        })
    })
}
