//! An application registered with Janua as an OpenID Provider; the row's id is its
//! `client_id`. `client_type` is `public` or `confidential`; the list-valued settings are
//! JSON arrays of strings. A confidential client's secret is kept only as its SHA-256
//! (`secret_hash`, with `secret_hint` its last characters); after a rotation,
//! `previous_secret_hash` stays accepted until `previous_secret_expires_at`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Json,
    pub post_logout_redirect_uris: Json,
    pub grant_types: Json,
    pub allowed_scopes: Json,
    pub skip_consent: bool,
    pub access_token_audience: Option<String>,
    pub disabled: bool,
    pub secret_hash: Option<String>,
    pub secret_hint: Option<String>,
    pub secret_rotated_at: Option<DateTimeUtc>,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Whether a client can keep a secret (RFC 6749 section 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClientType {
    /// A browser or mobile app: no secret, PKCE alone.
    #[sea_orm(string_value = "public")]
    Public,
    /// A server-side app holding a secret.
    #[sea_orm(string_value = "confidential")]
    Confidential,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
