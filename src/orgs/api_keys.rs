//! API keys for backend services: created with a role of the organization, shown once as
//! `janua_sk_…` and stored as SHA-256, listed by prefix only, revoked at once. A key
//! authenticates any RPC its role allows, as a service principal of its organization.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use super::{scope::OrgScope, service::Organizations, store};
use crate::{
    audit,
    credentials::tokens,
    error::Error,
    ids::ApiKeyId,
    principal::ApiKeyPrincipal,
    store::{
        Cursor,
        entities::api_key::{self, Column, Entity as ApiKey},
    },
};

/// Every secret starts with this, so a credential is recognized as an API key.
pub const API_KEY_PREFIX: &str = "janua_sk_";
/// How much of the secret lists show: the prefix and 6 random characters.
const SHOWN_LENGTH: usize = API_KEY_PREFIX.len() + 6;
/// `last_used_at` is written at most this often per key.
const LAST_USED_PRECISION: Duration = Duration::seconds(60);

/// A key just created, with its secret (never available again).
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub key: api_key::Model,
    pub secret: String,
}

impl Organizations {
    pub async fn create_api_key(
        &self,
        scope: &OrgScope,
        name: &str,
        role: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<NewApiKey, Error> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid("name", "must be 1 to 200 characters"));
        }
        let role = self.grantable_role(scope, role).await?;
        let now = self.clock.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(Error::invalid("expire_time", "must be in the future"));
        }
        let secret = format!("{API_KEY_PREFIX}{}", tokens::new_opaque_token());
        let key = api_key::Model {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: scope.organization_id().to_owned(),
            name: name.to_owned(),
            prefix: secret.chars().take(SHOWN_LENGTH).collect(),
            secret_hash: tokens::digest(&secret),
            role,
            created_by: scope.caller.user().map(|u| u.user_id.to_string()),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let key = key.into_active_model().reset_all().insert(&txn).await?;
        let event = scope
            .event("api_key.created")
            .target("api_key", &key.id)
            .metadata(json!({ "name": key.name, "role": key.role }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(NewApiKey { key, secret })
    }

    /// The organization's keys (revoked ones included), oldest first.
    pub async fn list_api_keys(
        &self,
        scope: &OrgScope,
        cursor: &Cursor,
    ) -> Result<(Vec<api_key::Model>, String), Error> {
        let mut select = ApiKey::find().filter(Column::OrganizationId.eq(scope.organization_id()));
        if let Some(after) = &cursor.after {
            select = select.filter(Column::Id.gt(after.as_str()));
        }
        let mut rows = select
            .order_by_asc(Column::Id)
            .limit(cursor.limit())
            .all(&self.db)
            .await?;
        let next = cursor.next_token(&mut rows, |k| k.id.clone());
        Ok((rows, next))
    }

    /// Revokes a key of the organization; it is refused from the next request on.
    pub async fn revoke_api_key(
        &self,
        scope: &OrgScope,
        api_key_id: &ApiKeyId,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let key = ApiKey::find_by_id(api_key_id.to_owned())
            .filter(Column::OrganizationId.eq(scope.organization_id()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("api key"))?;
        if key.revoked_at.is_none() {
            ApiKey::update_many()
                .col_expr(Column::RevokedAt, Expr::value(now))
                .filter(Column::Id.eq(&key.id))
                .exec(&txn)
                .await?;
            let event = scope.event("api_key.revoked").target("api_key", &key.id);
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// The service principal of a live key (not revoked, not expired).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<ApiKeyPrincipal, Error> {
    let key = store::find_live_api_key(db, &tokens::digest(secret), now)
        .await?
        .ok_or_else(|| Error::Token("invalid, revoked or expired API key".into()))?;
    // The row just read tells whether the write is due, so most calls skip the statement
    // (on SQLite even an UPDATE that matches nothing takes the database's write lock).
    let stale = now - LAST_USED_PRECISION;
    if key.last_used_at.is_none_or(|at| at < stale)
        && let Err(err) = store::record_api_key_use(db, &key.id, now, stale).await
    {
        tracing::warn!(error = %err, api_key.id = %key.id, "could not record an API key's use");
    }
    Ok(ApiKeyPrincipal {
        api_key_id: ApiKeyId::from_trusted(key.id),
        organization: Arc::new(key.organization),
        role: key.role,
    })
}
