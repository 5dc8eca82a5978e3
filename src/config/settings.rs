//! The typed settings the configuration is made of, one type per concern.

use std::{net::SocketAddr, time::Duration};

use secrecy::SecretString;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// What Register does with an address that already has an account
/// (`SIGNUP_EXISTING_EMAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupExistingEmail {
    /// `conflict` (default): answer CONFLICT_ERROR, which tells the caller the address is
    /// registered.
    Conflict,
    /// `notify`: answer exactly as for a new address (no user, no tokens) and mail the
    /// address's owner that someone tried to sign up with it.
    Notify,
}

/// Where and for whom `/metrics` is served.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// `METRICS_BEARER_TOKEN`: when set, `/metrics` needs `authorization: Bearer <it>`.
    pub bearer_token: Option<SecretString>,
    /// `METRICS_ADDRESS` (`host:port`): when set, `/metrics` is served there only, not on
    /// the API port.
    pub address: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub from: String,
    /// `SMTP_USERNAME` / `SMTP_PASSWORD`, when the relay wants a login.
    pub credentials: Option<(String, SecretString)>,
}

/// Brute-force and sign-up limits (DESIGN.md "Brute force"); all configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures on one account before each further attempt must wait (growing delays).
    pub account_delay_after: u32,
    /// Failures on one account that lock it for `account_lock_duration`.
    pub account_lock_after: u32,
    pub account_lock_duration: Duration,
    /// Failures from one IP within `ip_window` before it is refused.
    pub ip_max_failures: u32,
    pub ip_window: Duration,
    /// Sign-ups per IP per hour.
    pub signups_per_hour: u32,
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug, Clone)]
pub struct SocialProviders {
    pub google: Option<OAuthClient>,
    pub github: Option<OAuthClient>,
    pub microsoft: Option<OAuthClient>,
    pub endpoints: SocialEndpoints,
}

/// Where the social providers live. The defaults are the real ones; the variables exist so
/// tests (and air-gapped stand-ins) can point them at local servers.
#[derive(Debug, Clone)]
pub struct SocialEndpoints {
    /// `GOOGLE_ISSUER`, default `https://accounts.google.com` (kept as written: an OIDC
    /// issuer is compared as a string).
    pub google_issuer: String,
    /// `MICROSOFT_ISSUER`, default `https://login.microsoftonline.com/common/v2.0`.
    pub microsoft_issuer: String,
    /// `GITHUB_OAUTH_URL`, default `https://github.com/login/oauth`.
    pub github_oauth_url: Url,
    /// `GITHUB_API_URL`, default `https://api.github.com`.
    pub github_api_url: Url,
}

/// The WebAuthn relying party of passkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnSettings {
    /// `WEBAUTHN_RP_ID`, default the issuer's host: the domain every passkey is bound to. It
    /// cannot change later without orphaning the passkeys registered under it.
    pub rp_id: String,
    /// `WEBAUTHN_ORIGINS`, default the issuer's origin: the web origins (scheme, host, port)
    /// allowed to run ceremonies; each is the relying party id or a subdomain of it.
    pub origins: Vec<Url>,
}

/// Which addresses outbound requests to tenant-supplied URLs may reach, after DNS
/// resolution (SECURITY.md "Outbound requests"). Link-local and metadata addresses never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Loopback (127.0.0.0/8, ::1): allowed by default in development only.
    pub allow_loopback: bool,
    /// Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10): off by default.
    pub allow_private: bool,
}

#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: SecretString,
}
