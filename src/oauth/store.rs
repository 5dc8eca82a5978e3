//! Queries on `oauth_clients`, the capability's own table. Management reads are scoped by
//! organization; `find` by client_id alone is for the authorization server, which learns
//! the client before anyone is signed in.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::store::entities::oauth_client::{self, Column, Entity as OauthClient};

/// Inserts a row; returns it as stored (PostgreSQL keeps times to the microsecond).
pub async fn insert(
    db: &impl ConnectionTrait,
    row: oauth_client::Model,
) -> Result<oauth_client::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

/// Writes every column of an existing row; returns it as stored.
pub async fn save(
    db: &impl ConnectionTrait,
    row: oauth_client::Model,
) -> Result<oauth_client::Model, DbErr> {
    row.into_active_model().reset_all().update(db).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<oauth_client::Model>, DbErr> {
    OauthClient::find_by_id(client_id.to_owned()).one(db).await
}

/// A client of the organization; None for another organization's.
pub async fn find_in(
    db: &impl ConnectionTrait,
    organization_id: &str,
    client_id: &str,
) -> Result<Option<oauth_client::Model>, DbErr> {
    OauthClient::find_by_id(client_id.to_owned())
        .filter(Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

/// Up to `limit` of the organization's clients in id (creation) order, after `after`.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<oauth_client::Model>, DbErr> {
    let mut select = OauthClient::find().filter(Column::OrganizationId.eq(organization_id));
    if let Some(after) = after {
        select = select.filter(Column::Id.gt(after));
    }
    select.order_by_asc(Column::Id).limit(limit).all(db).await
}

pub async fn delete(db: &impl ConnectionTrait, client_id: &str) -> Result<(), DbErr> {
    OauthClient::delete_by_id(client_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// The redirect URIs (JSON arrays) of every enabled client, for the CORS preflight.
pub async fn enabled_redirect_uris(
    db: &impl ConnectionTrait,
) -> Result<Vec<serde_json::Value>, DbErr> {
    OauthClient::find()
        .select_only()
        .column(Column::RedirectUris)
        .filter(Column::Disabled.eq(false))
        .into_tuple()
        .all(db)
        .await
}
