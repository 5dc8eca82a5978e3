//! SeaORM entities, one module per table.

pub mod audit_event;
pub mod mail_message;
pub mod one_time_token;
pub mod refresh_token;
pub mod session;
pub mod signing_key;
pub mod user;
