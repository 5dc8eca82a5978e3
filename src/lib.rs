//! Janua: a self-hosted identity service, gRPC-first. See DESIGN.md for the architecture;
//! each capability lives in its own module, shared pieces once.

pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod cache;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod crypto;
pub mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod ids;
pub mod import;
pub mod mail;
pub mod metadata;
pub mod mfa;
pub mod oauth;
pub mod orgs;
pub mod outbound;
pub mod outbox;
pub mod pages;
pub mod principal;
pub mod proto;
pub mod revocation;
pub mod rpc;
pub mod server;
pub mod sms;
pub mod sso;
pub mod store;
pub mod telemetry;
pub mod update_mask;
pub mod user_message;
pub mod users;
pub mod webhook_events;
pub mod webhooks;
