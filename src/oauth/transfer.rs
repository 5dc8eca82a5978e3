//! Clients as `janua export` and `janua import` move them: every client in id order for an
//! export (a confidential client's secret only as the SHA-256 Janua keeps, so the same
//! secret keeps working after the import and nothing in the file opens it), and a client
//! inserted as it was, its settings checked by the same rules as CreateOAuthClient. Nothing
//! here reads a file.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    client,
    settings::{self, ClientChanges, ClientSettings, ReservedAudience},
    store,
};
use crate::{
    credentials::tokens,
    error::Error,
    store::{
        entities::oauth_client::{self, ClientType, Column, Entity as OauthClient},
        organizations,
    },
};

/// Every client in id order after `after`.
pub async fn clients_page(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<oauth_client::Model>, Error> {
    let mut select = OauthClient::find();
    if let Some(after) = after {
        select = select.filter(Column::Id.gt(after));
    }
    Ok(select.order_by_asc(Column::Id).limit(limit).all(db).await?)
}

/// Inserts an exported client as it was (client_id, settings, secret digest, times);
/// false when a client with this id exists. Settings the rules refuse, an organization
/// that does not exist, or a secret digest that does not fit the client type are
/// validation errors and write nothing. `issuer` is this server's (no client may take it
/// as its audience).
pub async fn insert_client(
    db: &impl ConnectionTrait,
    row: oauth_client::Model,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    if row.id.trim().is_empty() || row.id.len() > 64 {
        return Err(Error::invalid("id", "must be 1 to 64 characters"));
    }
    if store::find(db, &row.id).await?.is_some() {
        return Ok(false);
    }
    if organizations::find_organization(db, &row.organization_id)
        .await?
        .is_none()
    {
        return Err(Error::invalid(
            "organization_id",
            "names no organization of this import or of the database",
        ));
    }
    let strings = |field: &str, value: &serde_json::Value| -> Result<Vec<String>, Error> {
        serde_json::from_value(value.clone())
            .map_err(|_| Error::invalid(field, "must be a list of strings"))
    };
    let changes = ClientChanges {
        name: Some(row.name.clone()),
        redirect_uris: Some(strings("redirect_uris", &row.redirect_uris)?),
        post_logout_redirect_uris: Some(strings(
            "post_logout_redirect_uris",
            &row.post_logout_redirect_uris,
        )?),
        grant_types: Some(strings("grant_types", &row.grant_types)?),
        allowed_scopes: Some(strings("allowed_scopes", &row.allowed_scopes)?),
        skip_consent: Some(row.skip_consent),
        access_token_audience: Some(row.access_token_audience.clone().unwrap_or_default()),
        disabled: Some(row.disabled),
    };
    let checked = settings::changed_settings(
        row.client_type,
        ClientSettings::default(),
        changes,
        ReservedAudience(issuer),
    )?;
    for (field, digest) in [
        ("secret_hash", row.secret_hash.as_deref()),
        ("previous_secret_hash", row.previous_secret_hash.as_deref()),
    ] {
        if digest.is_some_and(|d| !tokens::is_digest(d)) {
            return Err(Error::invalid(field, "must be a SHA-256 in lower-case hex"));
        }
    }
    match (row.client_type, row.secret_hash.is_some()) {
        (ClientType::Confidential, false) => {
            return Err(Error::invalid(
                "secret_hash",
                "a confidential client needs its secret's digest",
            ));
        }
        (ClientType::Public, true) => {
            return Err(Error::invalid(
                "secret_hash",
                "a public client has no secret",
            ));
        }
        _ => {}
    }
    let created_by = match &row.created_by {
        Some(user)
            if crate::store::accounts::find_by_id(db, user)
                .await?
                .is_some() =>
        {
            Some(user.clone())
        }
        _ => None,
    };
    let updated_at = row.updated_at;
    let mut imported = client::with_settings(row, checked, now);
    imported.created_by = created_by;
    imported.updated_at = updated_at;
    store::insert(db, imported).await?;
    Ok(true)
}
