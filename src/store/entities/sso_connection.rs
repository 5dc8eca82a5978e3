//! An organization's SSO connection. `protocol` is `saml` or `oidc`; the `saml_*` columns
//! are set for SAML, the `oidc_*` ones for OIDC. `attribute_mapping` is the JSON form of
//! `sso::AttributeMapping`; the OIDC client secret is sealed by the field cipher, bound to
//! the connection id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub protocol: String,
    pub jit_provisioning: bool,
    pub default_role: String,
    pub enabled: bool,
    pub attribute_mapping: Json,
    pub saml_idp_metadata_xml: Option<String>,
    pub saml_idp_metadata_url: Option<String>,
    pub saml_allow_idp_initiated: bool,
    pub saml_sign_requests: bool,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret_sealed: Option<Vec<u8>>,
    pub oidc_scopes: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
