//! SeaORM entities, one module per table.

pub mod api_key;
pub mod audit_event;
pub mod import_external_id;
pub mod import_run;
pub mod invitation;
pub mod linked_identity;
pub mod mail_message;
pub mod membership;
pub mod mfa_factor;
pub mod oauth_client;
pub mod oauth_revoked_token;
pub mod one_time_token;
pub mod organization;
pub mod organization_domain;
pub mod recovery_code;
pub mod refresh_token;
pub mod role;
pub mod session;
pub mod signing_key;
pub mod sms_message;
pub mod sso_connection;
pub mod sso_domain;
pub mod user;
