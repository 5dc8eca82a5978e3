//! Typed settings, read from the environment (over `./.env`) and validated once at start-up.
//! A bad value stops start-up with an error that names the variable. The names match
//! Janua's earlier Python service so an existing `.env` carries over. Every variable read is
//! in `table::VARIABLES`. Nothing else reads the environment.

mod input;
mod otp;
mod report;
mod sections;
mod settings;
mod table;
#[cfg(test)]
mod tests;
mod ui;
mod vars;
mod webhooks;

use std::{net::IpAddr, time::Duration};

use url::Url;

use crate::{
    client_address::TrustedProxies,
    crypto::{FieldKey, SigningAlgorithm},
};
pub use input::{ConfigInput, Origin};
pub use otp::{OtpSettings, SmsProviderSettings, SmsSettings, TwilioSender};
pub use report::{effective_variables, summary};
use sections::*;
pub use settings::*;
pub use table::{Shown, VARIABLES, Variable, help_text};
pub use ui::UiTheme;
pub use vars::{ConfigError, is_secure_or_loopback};
use vars::{Vars, list, parse_url, problem};
pub use webhooks::{DEFAULT_RETRY_SCHEDULE, WebhookSettings};

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub redis_key_prefix: String,
    pub bind_address: IpAddr,
    pub port: u16,
    pub issuer: Url,
    pub jwt_algorithm: SigningAlgorithm,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub field_encryption_key: Option<FieldKey>,
    pub admin_bootstrap: Option<AdminBootstrap>,
    pub smtp: Option<SmtpConfig>,
    /// Base URL of the app that receives links from mail (reset, verification, magic link,
    /// invitation): `JANUA_APP_URL`, default the issuer.
    pub app_url: Url,
    pub login_limits: LoginLimits,
    pub cors_allowed_origins: Vec<String>,
    pub environment: Environment,
    pub log_format: LogFormat,
    /// `RUST_LOG` (default `info`): which log lines are written, in tracing's EnvFilter
    /// syntax; checked here so a typo stops start-up like any other bad value.
    pub log_filter: String,
    /// Passkeys' relying party; None (passkeys off) only when neither `WEBAUTHN_RP_ID` nor
    /// `WEBAUTHN_ORIGINS` is set and the issuer's host is not a domain (an IP address).
    pub webauthn: Option<WebauthnSettings>,
    /// Issuer shown by authenticator apps for TOTP (`TOTP_ISSUER`, default "Janua").
    pub totp_issuer: String,
    pub sso_allowed_redirect_uris: Vec<Url>,
    /// `SSO_MFA_TRUSTED_CONNECTIONS`: ids of connections whose IdP the platform trusts for
    /// the second factor (none by default: SSO sign-ins of MFA users are challenged).
    pub sso_mfa_trusted_connections: Vec<String>,
    /// `PASSWORD_RESET_REVOKES_CREDENTIALS` (false): a password reset also removes the
    /// account's passkeys and linked external identities.
    pub password_reset_revokes_credentials: bool,
    /// `JANUA_DNS_SERVER` (ip:port): the name server for domain verification; unset = the
    /// system's resolver.
    pub dns_server: Option<std::net::SocketAddr>,
    /// Which addresses outbound calls to tenant-supplied URLs (IdP discovery, metadata) may
    /// reach (`OUTBOUND_ALLOW_LOOPBACK`, `OUTBOUND_ALLOW_PRIVATE`).
    pub outbound: OutboundPolicy,
    pub social: SocialProviders,
    pub request_timeout: Duration,
    pub max_request_bytes: usize,
    /// `TRUSTED_PROXIES`: the peers whose `Forwarded` / `X-Forwarded-For` say who the
    /// client is; empty (the default) ignores those headers.
    pub trusted_proxies: TrustedProxies,
    /// `JANUA_HEADER_READ_TIMEOUT_SECONDS` (10): a connection that has not sent a complete
    /// request head within this time (or stays idle that long between requests) is closed.
    pub header_read_timeout: Duration,
    /// `MAX_CONNECTIONS_PER_IP` (256): open connections one client IP (an IPv6 /64) may
    /// hold; further ones are closed at once. Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    pub signup_existing_email: SignupExistingEmail,
    pub metrics: MetricsSettings,
    /// `JANUA_UI_*`: how the hosted pages (`pages`) present themselves.
    pub ui: UiTheme,
    /// One-time codes sent by SMS or email as second factors (`config::otp`).
    pub otp: OtpSettings,
    /// Webhook delivery (`config::webhooks`).
    pub webhooks: WebhookSettings,
}

impl Config {
    /// Reads the given variables (a `ConfigInput`'s pairs, or a test's own set).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        Self::read(&Vars::new(vars.into_iter().collect()))
    }

    fn read(vars: &Vars) -> Result<Self, ConfigError> {
        let port: u16 = vars.parsed("PORT", 4100, "a port number (0-65535)")?;
        let issuer = match vars.url("JANUA_ISSUER")? {
            Some(url) => url,
            None => parse_url("JANUA_ISSUER", &format!("http://localhost:{port}"))?,
        };
        let environment = match vars
            .get("ENVIRONMENT")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(problem(
                    "ENVIRONMENT",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let field_encryption_key = vars
            .get("FIELD_ENCRYPTION_KEY")
            .map(|raw| {
                FieldKey::parse(raw).map_err(|e| problem("FIELD_ENCRYPTION_KEY", e.to_string()))
            })
            .transpose()?;
        if field_encryption_key.is_none() && environment == Environment::Production {
            return Err(problem(
                "FIELD_ENCRYPTION_KEY",
                "required when ENVIRONMENT=production (32 random bytes, base64: `openssl rand -base64 32`)",
            ));
        }
        let app_url = vars.url("JANUA_APP_URL")?.unwrap_or_else(|| issuer.clone());
        let webauthn = webauthn(vars, &issuer)?;
        let smtp = smtp(vars)?;
        let otp = otp::otp_settings(vars, smtp.is_some())?;
        let webhooks = webhooks::webhook_settings(vars, environment)?;
        Ok(Self {
            database_url: database_url(vars)?,
            redis_url: redis_url(vars)?,
            redis_key_prefix: vars.get("REDIS_KEY_PREFIX").unwrap_or("janua:").to_owned(),
            bind_address: vars.parsed(
                "JANUA_BIND_ADDRESS",
                IpAddr::from([0, 0, 0, 0]),
                "an IP address",
            )?,
            port,
            issuer,
            jwt_algorithm: vars.parsed(
                "JWT_ALGORITHM",
                SigningAlgorithm::Rs256,
                "RS256, ES256 or EdDSA",
            )?,
            access_token_ttl: Duration::from_secs(
                60 * vars.positive("ACCESS_TOKEN_EXPIRE_MINUTES", 15)?,
            ),
            refresh_token_ttl: Duration::from_secs(
                86_400 * vars.positive("REFRESH_TOKEN_EXPIRE_DAYS", 7)?,
            ),
            field_encryption_key,
            admin_bootstrap: admin_bootstrap(vars)?,
            smtp,
            app_url,
            login_limits: login_limits(vars)?,
            cors_allowed_origins: cors_origins(vars)?,
            environment,
            log_format: match vars
                .get("LOG_FORMAT")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(problem(
                        "LOG_FORMAT",
                        format!("expected text or json, got {other:?}"),
                    ));
                }
            },
            log_filter: log_filter(vars)?,
            webauthn,
            totp_issuer: match vars.get("TOTP_ISSUER").map(str::trim) {
                None | Some("") => "Janua".to_owned(),
                Some(issuer) if issuer.contains(':') || issuer.len() > 64 => {
                    return Err(problem(
                        "TOTP_ISSUER",
                        "must be at most 64 characters, without ':'",
                    ));
                }
                Some(issuer) => issuer.to_owned(),
            },
            sso_allowed_redirect_uris: vars.url_list("SSO_ALLOWED_REDIRECT_URIS")?,
            sso_mfa_trusted_connections: list(vars.get("SSO_MFA_TRUSTED_CONNECTIONS"))
                .map(str::to_owned)
                .collect(),
            password_reset_revokes_credentials: vars.parsed(
                "PASSWORD_RESET_REVOKES_CREDENTIALS",
                false,
                "true or false",
            )?,
            dns_server: vars
                .get("JANUA_DNS_SERVER")
                .map(|raw| {
                    raw.parse().map_err(|_| {
                        problem("JANUA_DNS_SERVER", format!("expected ip:port, got {raw:?}"))
                    })
                })
                .transpose()?,
            outbound: OutboundPolicy {
                allow_loopback: vars.parsed(
                    "OUTBOUND_ALLOW_LOOPBACK",
                    environment == Environment::Development,
                    "true or false",
                )?,
                allow_private: vars.parsed("OUTBOUND_ALLOW_PRIVATE", false, "true or false")?,
            },
            social: SocialProviders {
                google: vars.oauth_client("GOOGLE")?,
                github: vars.oauth_client("GITHUB")?,
                microsoft: vars.oauth_client("MICROSOFT")?,
                endpoints: social_endpoints(vars)?,
            },
            request_timeout: Duration::from_secs(
                vars.positive("JANUA_REQUEST_TIMEOUT_SECONDS", 30)?,
            ),
            max_request_bytes: usize::try_from(vars.positive("JANUA_MAX_REQUEST_BYTES", 1 << 20)?)
                .map_err(|_| problem("JANUA_MAX_REQUEST_BYTES", "too large"))?,
            trusted_proxies: TrustedProxies::parse(vars.get("TRUSTED_PROXIES").unwrap_or(""))
                .map_err(|e| problem("TRUSTED_PROXIES", e))?,
            header_read_timeout: Duration::from_secs(
                vars.positive("JANUA_HEADER_READ_TIMEOUT_SECONDS", 10)?,
            ),
            max_connections_per_ip: usize::try_from(vars.positive("MAX_CONNECTIONS_PER_IP", 256)?)
                .map_err(|_| problem("MAX_CONNECTIONS_PER_IP", "too large"))?,
            signup_existing_email: signup_existing_email(vars)?,
            metrics: metrics_settings(vars)?,
            ui: ui::ui_theme(vars)?,
            otp,
            webhooks,
        })
    }
}
