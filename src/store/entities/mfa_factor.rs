//! A second factor of a user: `totp` (its seed sealed by the field cipher, bound to the
//! factor id; `last_used_step` guards against replay) or `passkey` (the webauthn-rs
//! credential as JSON; `credential_id` base64url for discoverable sign-in, unique;
//! `last_used_step` the last signature counter accepted, so a clone's stale counter is
//! caught atomically), `sms` or `email` (the phone number or address codes go to, sealed by
//! the field cipher and bound to the factor id, in `secret_sealed`). `status` is `pending`
//! until a TOTP, SMS or email factor is confirmed, then `active`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub kind: FactorKind,
    pub status: FactorStatus,
    pub name: String,
    pub secret_sealed: Option<Vec<u8>>,
    pub credential_id: Option<String>,
    pub credential: Option<Json>,
    pub last_used_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FactorKind {
    #[sea_orm(string_value = "totp")]
    Totp,
    #[sea_orm(string_value = "passkey")]
    Passkey,
    #[sea_orm(string_value = "sms")]
    Sms,
    #[sea_orm(string_value = "email")]
    Email,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FactorStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "active")]
    Active,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
