//! `janua export --format janua-v2 --out DIR`: writes `janua_users_export.json` and
//! `janua_organizations_export.json`, what `janua import --source janua-v2 DIR` reads,
//! streaming users and organizations in id order page by page (no file is held in memory). Password hashes go out as stored (argon2id, or an imported
//! hash not yet re-hashed), TOTP secrets in base32: the files are secrets, created private
//! (0600) in a directory the operator chose. Deleted users are left out.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use anyhow::Context;
use serde_json::{Value, json};

use super::{
    Importer,
    sources::janua_v2::{ORGANIZATIONS_FILE, USERS_FILE},
};
use crate::orgs::transfer;
use crate::store::{
    accounts::{self, UserQuery, UserStatus},
    entities::user,
    memberships, organizations,
};

const PAGE: u64 = 500;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub users: u64,
    pub organizations: u64,
}

impl Importer {
    pub async fn export_janua_v2(&self, out: &Path) -> anyhow::Result<Exported> {
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
        let organizations = self.export_organizations(out).await?;
        Ok(Exported {
            users: count,
            organizations,
        })
    }

    /// `janua_organizations_export.json`: each organization with its custom roles and
    /// members (SSO connections are not exported yet).
    async fn export_organizations(&self, out: &Path) -> anyhow::Result<u64> {
        let path = out.join(ORGANIZATIONS_FILE);
        let mut file = BufWriter::new(private_file(&path)?);
        file.write_all(b"{\"organizations\": [")?;
        let mut after: Option<String> = None;
        let mut count = 0u64;
        loop {
            let page = transfer::organizations_page(&self.db, after.as_deref(), PAGE)
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
                    "sso_connections": [],
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
            let page = transfer::members_page(&self.db, organization_id, after.as_deref(), PAGE)
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

    /// The export as one encrypted archive in `out` (the plain files never touch `out`).
    pub async fn export_encrypted(
        &self,
        out: &Path,
        passphrase: &secrecy::SecretString,
    ) -> anyhow::Result<Exported> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let staging = super::archive::PrivateDir::create()?;
        let exported = self.export_janua_v2(staging.path()).await?;
        let archive = out.join(super::archive::ARCHIVE_FILE);
        let passphrase = passphrase.clone();
        tokio::task::spawn_blocking(move || {
            super::archive::create(
                staging.path(),
                &[USERS_FILE, ORGANIZATIONS_FILE],
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
        Ok(json!({
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
                "passkeys": [],
            },
            "organizations": orgs,
            "created_at": account.created_at.to_rfc3339(),
        }))
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
