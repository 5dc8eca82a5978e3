//! Roles named outside this capability. Another capability may hand an organization's roles
//! out by name (SSO connections do: a default role and a group-to-role mapping), so renaming
//! a custom role must follow it there, and deleting one must wait until nothing there names
//! it. That capability answers through this trait, given to `Organizations` at start-up, so
//! `orgs` never reads another capability's tables.

use sea_orm::{DatabaseTransaction, DbErr};

/// What names an organization's roles outside `orgs`. Both methods run in the caller's
/// transaction, beside the changes to memberships, invitations and API keys.
#[async_trait::async_trait]
pub trait RoleReferences: Send + Sync {
    /// Whether anything here hands out the role `name` in the organization.
    async fn role_in_use(
        &self,
        txn: &DatabaseTransaction,
        organization_id: &str,
        name: &str,
    ) -> Result<bool, DbErr>;

    /// Renames the role `from` to `to` wherever it is named here.
    async fn rename_role(
        &self,
        txn: &DatabaseTransaction,
        organization_id: &str,
        from: &str,
        to: &str,
    ) -> Result<(), DbErr>;
}
