//! Managing an organization's OAuth clients (permission "oauth_clients:write", checked by
//! the `OrgScope`): each change is one transaction with its audit event, whose metadata
//! describes the client's settings and never its secret.

use chrono::Duration;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};

use super::{
    OAuthClients, RegisteredClient,
    client::{new_row, with_settings},
    secret,
    settings::{self, ClientChanges, ClientSettings},
    store,
};
use crate::{
    audit,
    error::Error,
    ids::OAuthClientId,
    orgs::OrgScope,
    store::{
        Cursor,
        entities::oauth_client::{self, ClientType},
    },
};

/// A client with a secret just issued (created confidential, or rotated): the secret is
/// never available again.
#[derive(Debug, Clone)]
pub struct IssuedClient {
    pub client: RegisteredClient,
    /// None for a public client.
    pub secret: Option<String>,
}

fn not_found() -> Error {
    Error::NotFound("OAuth client")
}

impl OAuthClients {
    /// Registers a client of the scope's organization; a confidential one gets a secret.
    pub async fn create_client(
        &self,
        scope: &OrgScope,
        client_type: ClientType,
        request: ClientChanges,
    ) -> Result<IssuedClient, Error> {
        let settings = settings::new_settings(client_type, request, self.reserved_audience())?;
        let now = self.clock.now();
        let issued = (client_type == ClientType::Confidential).then(secret::issue);
        let created_by = scope.caller.user().map(|u| u.user_id.to_string());
        let row = oauth_client::Model {
            secret_hash: issued.as_ref().map(|s| s.digest.clone()),
            secret_hint: issued.as_ref().map(|s| s.hint.clone()),
            ..new_row(
                scope.organization_id(),
                client_type,
                settings,
                created_by,
                now,
            )
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::insert(&txn, row).await?;
        let client = RegisteredClient::from_row(row);
        let event = scope
            .event("oauth_client.created")
            .target("oauth_client", client.client_id.as_str())
            .metadata(described(&client));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(IssuedClient {
            client,
            secret: issued.map(|s| s.secret),
        })
    }

    pub async fn get_client(
        &self,
        scope: &OrgScope,
        client_id: &OAuthClientId,
    ) -> Result<RegisteredClient, Error> {
        store::find_in(&self.db, scope.organization_id(), client_id)
            .await?
            .map(RegisteredClient::from_row)
            .ok_or_else(not_found)
    }

    /// The organization's clients, oldest first.
    pub async fn list_clients(
        &self,
        scope: &OrgScope,
        cursor: &Cursor,
    ) -> Result<(Vec<RegisteredClient>, String), Error> {
        let mut rows = store::list(
            &self.db,
            scope.organization_id(),
            cursor.after.as_deref(),
            cursor.limit(),
        )
        .await?;
        let next = cursor.next_token(&mut rows, |row| row.id.clone());
        Ok((
            rows.into_iter().map(RegisteredClient::from_row).collect(),
            next,
        ))
    }

    /// Applies `changes`; the client as changed must pass every rule of a new one.
    pub async fn update_client(
        &self,
        scope: &OrgScope,
        client_id: &OAuthClientId,
        changes: ClientChanges,
    ) -> Result<RegisteredClient, Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::find_in(&txn, scope.organization_id(), client_id)
            .await?
            .ok_or_else(not_found)?;
        let before = RegisteredClient::from_row(row.clone());
        let settings = settings::changed_settings(
            row.client_type,
            before.settings.clone(),
            changes,
            self.reserved_audience(),
        )?;
        let row = with_settings(row, settings, now);
        let row = store::save(&txn, row).await?;
        let client = RegisteredClient::from_row(row);
        let mut metadata = described(&client);
        metadata["changed"] = json!(changed_fields(&before.settings, &client.settings));
        let event = scope
            .event("oauth_client.updated")
            .target("oauth_client", client.client_id.as_str())
            .metadata(metadata);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(client)
    }

    pub async fn delete_client(
        &self,
        scope: &OrgScope,
        client_id: &OAuthClientId,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::find_in(&txn, scope.organization_id(), client_id)
            .await?
            .ok_or_else(not_found)?;
        store::delete(&txn, &row.id).await?;
        let event = scope
            .event("oauth_client.deleted")
            .target("oauth_client", &row.id)
            .metadata(json!({ "name": row.name }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Gives a confidential client a new secret; the current one keeps working for
    /// `previous_secret_ttl` (default a day), any older one stops at once.
    pub async fn rotate_secret(
        &self,
        scope: &OrgScope,
        client_id: &OAuthClientId,
        previous_secret_ttl: Option<Duration>,
    ) -> Result<IssuedClient, Error> {
        let ttl = secret::previous_secret_ttl(previous_secret_ttl)?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let row = store::find_in(&txn, scope.organization_id(), client_id)
            .await?
            .ok_or_else(not_found)?;
        if row.client_type != ClientType::Confidential {
            return Err(Error::invalid(
                "client_id",
                "is a public client, which has no secret",
            ));
        }
        let issued = secret::issue();
        let row = oauth_client::Model {
            previous_secret_hash: row.secret_hash.clone(),
            previous_secret_expires_at: Some(now + ttl),
            secret_hash: Some(issued.digest),
            secret_hint: Some(issued.hint),
            secret_rotated_at: Some(now),
            updated_at: now,
            ..row
        };
        let row = store::save(&txn, row).await?;
        let client = RegisteredClient::from_row(row);
        let event = scope
            .event("oauth_client.secret_rotated")
            .target("oauth_client", client.client_id.as_str())
            .metadata(json!({ "previous_secret_expire_time": now + ttl }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(IssuedClient {
            client,
            secret: Some(issued.secret),
        })
    }
}

/// A client's settings for its audit events (no secret, no digest).
fn described(client: &RegisteredClient) -> Value {
    let settings = &client.settings;
    json!({
        "name": settings.name,
        "client_type": client.client_type.to_value(),
        "redirect_uris": settings.redirect_uris,
        "post_logout_redirect_uris": settings.post_logout_redirect_uris,
        "grant_types": settings.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "allowed_scopes": settings.allowed_scopes,
        "skip_consent": settings.skip_consent,
        "access_token_audience": settings.access_token_audience,
        "disabled": settings.disabled,
    })
}

/// The names of the settings an update changed.
fn changed_fields(before: &ClientSettings, after: &ClientSettings) -> Vec<&'static str> {
    [
        ("name", before.name != after.name),
        ("redirect_uris", before.redirect_uris != after.redirect_uris),
        (
            "post_logout_redirect_uris",
            before.post_logout_redirect_uris != after.post_logout_redirect_uris,
        ),
        ("grant_types", before.grant_types != after.grant_types),
        (
            "allowed_scopes",
            before.allowed_scopes != after.allowed_scopes,
        ),
        ("skip_consent", before.skip_consent != after.skip_consent),
        (
            "access_token_audience",
            before.access_token_audience != after.access_token_audience,
        ),
        ("disabled", before.disabled != after.disabled),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}
