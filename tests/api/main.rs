//! Integration tests: each starts the real server on a free loopback port with its own
//! database (a fresh SQLite file, or a fresh PostgreSQL database when `DATABASE_URL_PG` is
//! set) and cache (in-process, or a Redis key prefix when `REDIS_URL` is set), and calls it
//! as clients do. One binary, so the suite builds once.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod audit;
mod auth;
mod clients;
mod config;
mod domains;
mod enumeration;
mod expiry;
mod faults;
mod fixtures;
mod gateway;
mod helpers;
mod hosted_pages;
mod import;
mod import_rpc;
mod jwks;
mod mail;
mod mfa;
mod module_graph;
mod oauth_clients;
mod oauth_flow;
mod oauth_token;
mod oidc_peers;
mod openapi;
mod operations;
mod orgs;
mod otp_codes;
mod otp_logs;
mod passkeys;
mod probes;
mod reachability;
mod role_bases;
mod security_limits;
mod sms_webhook;
mod smtp;
mod sso;
mod sso_oidc;
mod sso_oidc_flow;
mod sso_saml;
mod ssrf;
mod store;
mod takeover;
mod transport;
mod twilio;
mod users;
mod webhooks;
