//! An authorization a user gave an OAuth client: its code (SHA-256, spent once), what the
//! code is bound to (redirect URI, PKCE challenge, nonce) and the sign-in behind it. Every
//! refresh and access token issued from the code names the grant; revoking it ends them all.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    /// The Janua (browser) session the user signed in with.
    pub session_id: String,
    /// Space-separated granted scopes.
    pub scope: String,
    pub redirect_uri: String,
    #[sea_orm(unique)]
    pub code_hash: String,
    /// The PKCE S256 challenge, when the request carried one.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: DateTimeUtc,
    /// Space-separated authentication methods of the session (`pwd otp`...).
    pub amr: String,
    pub created_at: DateTimeUtc,
    pub code_expires_at: DateTimeUtc,
    pub code_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
