//! The roles SSO connections hand out, as `orgs` asks about them (`RoleReferences`): a
//! connection names a role as its default and in its group mapping (`group_roles` in the
//! attribute mapping JSON). Renaming a custom role follows it here; a role named here is in
//! use and cannot be deleted.

use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, IntoActiveModel};

use super::store;
use crate::orgs::RoleReferences;

/// SSO's answer to `orgs`; holds nothing, reads the connections in the caller's transaction.
pub struct ConnectionRoles;

#[async_trait::async_trait]
impl RoleReferences for ConnectionRoles {
    async fn role_in_use(
        &self,
        txn: &DatabaseTransaction,
        organization_id: &str,
        name: &str,
    ) -> Result<bool, DbErr> {
        Ok(store::connection_rows_of(txn, organization_id)
            .await?
            .iter()
            .any(|row| {
                row.default_role == name
                    || row
                        .attribute_mapping
                        .get("group_roles")
                        .and_then(serde_json::Value::as_object)
                        .is_some_and(|groups| groups.values().any(|r| r.as_str() == Some(name)))
            }))
    }

    async fn rename_role(
        &self,
        txn: &DatabaseTransaction,
        organization_id: &str,
        from: &str,
        to: &str,
    ) -> Result<(), DbErr> {
        for row in store::connection_rows_of(txn, organization_id).await? {
            let mut changed = row.clone();
            if changed.default_role == from {
                changed.default_role = to.to_owned();
            }
            if let Some(groups) = changed
                .attribute_mapping
                .get_mut("group_roles")
                .and_then(serde_json::Value::as_object_mut)
            {
                for role in groups.values_mut() {
                    if role.as_str() == Some(from) {
                        *role = serde_json::Value::from(to);
                    }
                }
            }
            if changed != row {
                changed.into_active_model().reset_all().update(txn).await?;
            }
        }
        Ok(())
    }
}
