//! Janua's schema migrations. One set that runs on SQLite and PostgreSQL alike, so only
//! portable column types (text ids, timestamps with time zone, blobs, json) are used here.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_signing_keys_and_audit;
mod m20261121_000002_accounts;
mod m20261122_000003_directory;
mod m20261122_000004_mfa;
mod m20261122_000005_sso;
mod m20261206_000006_account_linking;
mod m20261207_000007_role_base;
mod m20261208_000008_sms_outbox;
mod m20261209_000009_oauth_clients;
mod m20261210_000010_oauth_revoked_tokens;
mod m20261211_000011_oauth_grants;
mod m20261212_000020_webhooks;
mod m20261213_000030_import;
mod m20261214_000031_import_uploads;
mod m20261214_000032_user_migration;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_signing_keys_and_audit::Migration),
            Box::new(m20261121_000002_accounts::Migration),
            Box::new(m20261122_000003_directory::Migration),
            Box::new(m20261122_000004_mfa::Migration),
            Box::new(m20261122_000005_sso::Migration),
            Box::new(m20261206_000006_account_linking::Migration),
            Box::new(m20261207_000007_role_base::Migration),
            Box::new(m20261208_000008_sms_outbox::Migration),
            Box::new(m20261209_000009_oauth_clients::Migration),
            Box::new(m20261210_000010_oauth_revoked_tokens::Migration),
            Box::new(m20261211_000011_oauth_grants::Migration),
            Box::new(m20261212_000020_webhooks::Migration),
            Box::new(m20261213_000030_import::Migration),
            Box::new(m20261214_000031_import_uploads::Migration),
            Box::new(m20261214_000032_user_migration::Migration),
        ]
    }
}
