//! Typed settings, read from the environment and validated once at start-up. A bad value
//! stops start-up with an error that names the variable. The names match Janua's earlier
//! Python service so an existing `.env` carries over. Nothing else reads the environment.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use secrecy::SecretString;
use url::Url;

use crate::{
    client_address::TrustedProxies,
    crypto::{FieldKey, SigningAlgorithm},
};

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
}

/// A setting that could not be used; the message names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// The variables, with empty values treated as unset.
struct Vars(HashMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| problem(name, format!("expected {expected}, got {raw:?}"))),
        }
    }

    fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        let value = self.parsed(name, default, "a positive whole number")?;
        if value == 0 {
            return Err(problem(name, "must be greater than zero"));
        }
        Ok(value)
    }

    fn url(&self, name: &'static str) -> Result<Option<Url>, ConfigError> {
        self.get(name).map(|raw| parse_url(name, raw)).transpose()
    }

    fn url_list(&self, name: &'static str) -> Result<Vec<Url>, ConfigError> {
        list(self.get(name))
            .map(|raw| parse_url(name, raw))
            .collect()
    }

    fn oauth_client(&self, prefix: &'static str) -> Result<Option<OAuthClient>, ConfigError> {
        let (id_var, secret_var): (&'static str, &'static str) = match prefix {
            "GOOGLE" => ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
            "GITHUB" => ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
            _ => ("MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET"),
        };
        match (self.get(id_var), self.get(secret_var)) {
            (None, None) => Ok(None),
            (Some(id), Some(secret)) => Ok(Some(OAuthClient {
                client_id: id.to_owned(),
                client_secret: SecretString::from(secret.to_owned()),
            })),
            (None, Some(_)) => Err(problem(
                id_var,
                format!("required when {secret_var} is set"),
            )),
            (Some(_), None) => Err(problem(
                secret_var,
                format!("required when {id_var} is set"),
            )),
        }
    }
}

fn list(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// HTTPS, or HTTP to this machine (127.0.0.0/8, ::1, localhost).
pub fn is_secure_or_loopback(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

fn parse_url(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| problem(name, format!("{raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem(name, format!("{raw:?} must be an http(s) URL")));
    }
    Ok(url)
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Reads the given variables (the process environment, or a test's own set).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars = Vars(vars.into_iter().collect());
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
        let webauthn = webauthn(&vars, &issuer)?;
        Ok(Self {
            database_url: database_url(&vars)?,
            redis_url: redis_url(&vars)?,
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
            admin_bootstrap: admin_bootstrap(&vars)?,
            smtp: smtp(&vars)?,
            app_url,
            login_limits: login_limits(&vars)?,
            cors_allowed_origins: cors_origins(&vars)?,
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
                endpoints: social_endpoints(&vars)?,
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
            signup_existing_email: signup_existing_email(&vars)?,
            metrics: metrics_settings(&vars)?,
        })
    }
}

fn signup_existing_email(vars: &Vars) -> Result<SignupExistingEmail, ConfigError> {
    match vars
        .get("SIGNUP_EXISTING_EMAIL")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("conflict") => Ok(SignupExistingEmail::Conflict),
        Some("notify") => Ok(SignupExistingEmail::Notify),
        Some(other) => Err(problem(
            "SIGNUP_EXISTING_EMAIL",
            format!("expected conflict or notify, got {other:?}"),
        )),
    }
}

fn metrics_settings(vars: &Vars) -> Result<MetricsSettings, ConfigError> {
    let bearer_token = vars.get("METRICS_BEARER_TOKEN").map(|token| {
        if token.len() < 16 {
            return Err(problem(
                "METRICS_BEARER_TOKEN",
                "must be at least 16 characters",
            ));
        }
        Ok(SecretString::from(token.to_owned()))
    });
    Ok(MetricsSettings {
        bearer_token: bearer_token.transpose()?,
        address: vars
            .get("METRICS_ADDRESS")
            .map(|raw| {
                raw.parse().map_err(|_| {
                    problem(
                        "METRICS_ADDRESS",
                        format!("expected host:port such as 127.0.0.1:9100, got {raw:?}"),
                    )
                })
            })
            .transpose()?,
    })
}

fn social_endpoints(vars: &Vars) -> Result<SocialEndpoints, ConfigError> {
    // Sign-in answers from these must not cross the network in clear.
    let url = |name: &'static str, default: &str| -> Result<Url, ConfigError> {
        let url = parse_url(name, vars.get(name).unwrap_or(default))?;
        if !is_secure_or_loopback(&url) {
            return Err(problem(
                name,
                "must be https (http only for loopback hosts)",
            ));
        }
        Ok(url)
    };
    let issuer = |name: &'static str, default: &str| -> Result<String, ConfigError> {
        url(name, default)?;
        Ok(vars.get(name).unwrap_or(default).to_owned())
    };
    Ok(SocialEndpoints {
        google_issuer: issuer("GOOGLE_ISSUER", "https://accounts.google.com")?,
        microsoft_issuer: issuer(
            "MICROSOFT_ISSUER",
            "https://login.microsoftonline.com/common/v2.0",
        )?,
        github_oauth_url: url("GITHUB_OAUTH_URL", "https://github.com/login/oauth")?,
        github_api_url: url("GITHUB_API_URL", "https://api.github.com")?,
    })
}

fn database_url(vars: &Vars) -> Result<String, ConfigError> {
    let url = vars
        .get("DATABASE_URL")
        .unwrap_or("sqlite://janua.db?mode=rwc");
    if ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        Ok(url.to_owned())
    } else {
        Err(problem(
            "DATABASE_URL",
            "expected a sqlite: or postgres:// URL",
        ))
    }
}

fn redis_url(vars: &Vars) -> Result<Option<String>, ConfigError> {
    let Some(url) = vars.get("REDIS_URL") else {
        return Ok(None);
    };
    let schemes = [
        "redis://",
        "rediss://",
        "redis-cluster://",
        "redis-sentinel://",
    ];
    if schemes.iter().any(|s| url.starts_with(s)) {
        Ok(Some(url.to_owned()))
    } else {
        Err(problem(
            "REDIS_URL",
            format!("expected one of {}", schemes.join(", ")),
        ))
    }
}

fn admin_bootstrap(vars: &Vars) -> Result<Option<AdminBootstrap>, ConfigError> {
    match (
        vars.get("ADMIN_BOOTSTRAP_EMAIL"),
        vars.get("ADMIN_BOOTSTRAP_PASSWORD"),
    ) {
        (None, None) => Ok(None),
        (Some(email), Some(password)) => {
            if !email.contains('@') {
                return Err(problem("ADMIN_BOOTSTRAP_EMAIL", "is not an email address"));
            }
            Ok(Some(AdminBootstrap {
                email: email.to_owned(),
                password: SecretString::from(password.to_owned()),
            }))
        }
        (Some(_), None) => Err(problem(
            "ADMIN_BOOTSTRAP_PASSWORD",
            "required with ADMIN_BOOTSTRAP_EMAIL",
        )),
        (None, Some(_)) => Err(problem(
            "ADMIN_BOOTSTRAP_EMAIL",
            "required with ADMIN_BOOTSTRAP_PASSWORD",
        )),
    }
}

fn smtp(vars: &Vars) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(host) = vars.get("SMTP_HOST") else {
        return Ok(None);
    };
    let from = vars
        .get("SMTP_FROM")
        .unwrap_or("Janua <no-reply@localhost>");
    if !from.contains('@') {
        return Err(problem("SMTP_FROM", "is not an email address"));
    }
    let credentials = match (vars.get("SMTP_USERNAME"), vars.get("SMTP_PASSWORD")) {
        (None, None) => None,
        (Some(user), Some(password)) => {
            Some((user.to_owned(), SecretString::from(password.to_owned())))
        }
        (Some(_), None) => return Err(problem("SMTP_PASSWORD", "required with SMTP_USERNAME")),
        (None, Some(_)) => return Err(problem("SMTP_USERNAME", "required with SMTP_PASSWORD")),
    };
    Ok(Some(SmtpConfig {
        host: host.to_owned(),
        port: vars.parsed("SMTP_PORT", 587, "a port number")?,
        from: from.to_owned(),
        credentials,
    }))
}

fn login_limits(vars: &Vars) -> Result<LoginLimits, ConfigError> {
    let count = |name: &'static str, default: u64| -> Result<u32, ConfigError> {
        u32::try_from(vars.positive(name, default)?).map_err(|_| problem(name, "too large"))
    };
    let limits = LoginLimits {
        account_delay_after: count("LOGIN_DELAY_AFTER_FAILURES", 5)?,
        account_lock_after: count("LOGIN_LOCK_AFTER_FAILURES", 10)?,
        account_lock_duration: Duration::from_secs(vars.positive("LOGIN_LOCK_SECONDS", 15 * 60)?),
        ip_max_failures: count("LOGIN_IP_MAX_FAILURES", 100)?,
        ip_window: Duration::from_secs(vars.positive("LOGIN_IP_WINDOW_SECONDS", 10 * 60)?),
        signups_per_hour: count("SIGNUPS_PER_HOUR_PER_IP", 30)?,
    };
    if limits.account_delay_after > limits.account_lock_after {
        return Err(problem(
            "LOGIN_DELAY_AFTER_FAILURES",
            "must not exceed LOGIN_LOCK_AFTER_FAILURES",
        ));
    }
    Ok(limits)
}

/// The relying party from `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGINS`, each defaulting to the
/// issuer's host and origin. Explicit values must fit together: every origin is the relying
/// party id or a subdomain of it, over https (http only for localhost, as browsers allow).
fn webauthn(vars: &Vars, issuer: &Url) -> Result<Option<WebauthnSettings>, ConfigError> {
    let explicit_id = vars.get("WEBAUTHN_RP_ID");
    let explicit_origins = vars.url_list("WEBAUTHN_ORIGINS")?;
    let issuer_host = issuer.domain().map(str::to_ascii_lowercase);
    if explicit_id.is_none() && explicit_origins.is_empty() {
        return Ok(issuer_host.map(|rp_id| WebauthnSettings {
            rp_id,
            origins: vec![origin_of(issuer)],
        }));
    }
    let rp_id = match explicit_id {
        Some(raw) => parse_rp_id(raw)?,
        None => issuer_host.ok_or_else(|| {
            problem(
                "WEBAUTHN_RP_ID",
                format!(
                    "required: the issuer's host ({issuer}) is not a domain name, so it cannot be the default"
                ),
            )
        })?,
    };
    let (variable, origins) = if explicit_origins.is_empty() {
        ("WEBAUTHN_RP_ID", vec![origin_of(issuer)])
    } else {
        (
            "WEBAUTHN_ORIGINS",
            explicit_origins.iter().map(origin_of).collect(),
        )
    };
    for origin in &origins {
        let host = origin.domain().unwrap_or_default();
        if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
            return Err(problem(
                variable,
                format!(
                    "the origin {} is not the relying party id {rp_id:?} nor a subdomain of it (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS)",
                    origin.origin().ascii_serialization()
                ),
            ));
        }
        let local = host == "localhost" || host.ends_with(".localhost");
        if origin.scheme() != "https" && !local {
            return Err(problem(
                variable,
                format!(
                    "the origin {} must use https (browsers allow http only for localhost)",
                    origin.origin().ascii_serialization()
                ),
            ));
        }
    }
    Ok(Some(WebauthnSettings { rp_id, origins }))
}

/// A relying party id: a domain name such as `example.com`, without scheme, port or path.
fn parse_rp_id(raw: &str) -> Result<String, ConfigError> {
    let id = raw.trim().to_ascii_lowercase();
    let labels_ok = id.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !labels_ok || id.len() > 253 || id.parse::<IpAddr>().is_ok() {
        return Err(problem(
            "WEBAUTHN_RP_ID",
            format!(
                "expected a domain name such as example.com (no scheme, port or path), got {raw:?}"
            ),
        ));
    }
    Ok(id)
}

/// `scheme://host[:port]` of a URL, as a URL.
fn origin_of(url: &Url) -> Url {
    let origin = url.origin().ascii_serialization();
    Url::parse(&origin).unwrap_or_else(|_| url.clone())
}

fn cors_origins(vars: &Vars) -> Result<Vec<String>, ConfigError> {
    list(vars.get("CORS_ALLOWED_ORIGINS"))
        .map(|origin| {
            if origin == "*" {
                return Ok(origin.to_owned());
            }
            let url = parse_url("CORS_ALLOWED_ORIGINS", origin)?;
            // An origin is scheme://host[:port], nothing more.
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn empty_environment_gives_the_embedded_defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite://janua.db?mode=rwc");
        assert_eq!(config.redis_url, None);
        assert_eq!(config.port, 4100);
        assert_eq!(config.issuer.as_str(), "http://localhost:4100/");
        assert_eq!(config.access_token_ttl, Duration::from_secs(900));
        assert_eq!(config.refresh_token_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(config.jwt_algorithm, SigningAlgorithm::Rs256);
        assert_eq!(config.environment, Environment::Development);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("PORT", "http"),
            ("PORT", "70000"),
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "memcached://x"),
            ("JANUA_ISSUER", "not a url"),
            ("JWT_ALGORITHM", "HS256"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "-5"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("REFRESH_TOKEN_EXPIRE_DAYS", "a week"),
            ("FIELD_ENCRYPTION_KEY", "too-short"),
            ("SMTP_PORT", "x"),
            ("ENVIRONMENT", "staging"),
            ("LOG_FORMAT", "xml"),
            ("CORS_ALLOWED_ORIGINS", "ftp://x"),
            ("WEBAUTHN_ORIGINS", "nope"),
            ("GOOGLE_ISSUER", "http://accounts.example.com"),
            ("MICROSOFT_ISSUER", "login"),
            ("GITHUB_OAUTH_URL", "ftp://github.example.com"),
            ("GITHUB_API_URL", "http://10.1.2.3"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("TRUSTED_PROXIES", "10.0.0.0/40"),
            ("JANUA_HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("MAX_CONNECTIONS_PER_IP", "many"),
            ("SIGNUP_EXISTING_EMAIL", "ignore"),
            ("METRICS_BEARER_TOKEN", "short"),
            ("METRICS_ADDRESS", "localhost"),
        ] {
            let mut vars = vec![(name, value)];
            if name == "SMTP_PORT" {
                vars.push(("SMTP_HOST", "localhost"));
            }
            let err = config(&vars).unwrap_err();
            assert_eq!(err.variable, name, "{name}={value}");
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn production_refuses_to_start_without_an_encryption_key() {
        let err = config(&[("ENVIRONMENT", "production")]).unwrap_err();
        assert_eq!(err.variable, "FIELD_ENCRYPTION_KEY");
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(config(&[("ENVIRONMENT", "production"), ("FIELD_ENCRYPTION_KEY", key)]).is_ok());
    }

    #[test]
    fn half_configured_pairs_are_refused() {
        assert_eq!(
            config(&[("GITHUB_CLIENT_ID", "x")]).unwrap_err().variable,
            "GITHUB_CLIENT_SECRET"
        );
        assert_eq!(
            config(&[("ADMIN_BOOTSTRAP_EMAIL", "a@b.c")])
                .unwrap_err()
                .variable,
            "ADMIN_BOOTSTRAP_PASSWORD"
        );
    }

    #[test]
    fn webauthn_defaults_to_the_issuer_host_and_origin() {
        let webauthn = config(&[("JANUA_ISSUER", "https://id.example.com/base")])
            .unwrap()
            .webauthn
            .unwrap();
        assert_eq!(webauthn.rp_id, "id.example.com");
        assert_eq!(
            webauthn.origins,
            [Url::parse("https://id.example.com").unwrap()]
        );
        // An issuer on an IP address has no domain to bind passkeys to: they are off.
        let on_ip = config(&[("JANUA_ISSUER", "http://127.0.0.1:4100")]).unwrap();
        assert_eq!(on_ip.webauthn, None);
    }

    #[test]
    fn webauthn_origins_may_be_subdomains_of_the_relying_party() {
        let webauthn = config(&[
            ("WEBAUTHN_RP_ID", "Example.com"),
            (
                "WEBAUTHN_ORIGINS",
                "https://example.com, https://app.example.com:8443/login",
            ),
        ])
        .unwrap()
        .webauthn
        .unwrap();
        assert_eq!(webauthn.rp_id, "example.com");
        assert_eq!(
            webauthn.origins,
            [
                Url::parse("https://example.com").unwrap(),
                Url::parse("https://app.example.com:8443").unwrap()
            ]
        );
    }

    #[test]
    fn webauthn_mismatches_name_their_variable() {
        for (vars, variable) in [
            // The default origin (the issuer, localhost) is not under example.com.
            (vec![("WEBAUTHN_RP_ID", "example.com")], "WEBAUTHN_RP_ID"),
            (
                vec![
                    ("WEBAUTHN_RP_ID", "example.com"),
                    ("WEBAUTHN_ORIGINS", "https://badexample.com"),
                ],
                "WEBAUTHN_ORIGINS",
            ),
            (
                vec![
                    ("WEBAUTHN_RP_ID", "example.com"),
                    ("WEBAUTHN_ORIGINS", "http://example.com"),
                ],
                "WEBAUTHN_ORIGINS",
            ),
            (
                vec![("WEBAUTHN_RP_ID", "https://example.com")],
                "WEBAUTHN_RP_ID",
            ),
            (vec![("WEBAUTHN_RP_ID", "10.0.0.1")], "WEBAUTHN_RP_ID"),
            (
                vec![
                    ("JANUA_ISSUER", "http://127.0.0.1:4100"),
                    ("WEBAUTHN_ORIGINS", "https://localhost:8443"),
                ],
                "WEBAUTHN_RP_ID",
            ),
        ] {
            let err = config(&vars).unwrap_err();
            assert_eq!(err.variable, variable, "{vars:?}: {err}");
        }
    }

    #[test]
    fn cors_origins_are_normalised() {
        let config = config(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com/, http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            config.cors_allowed_origins,
            ["https://app.example.com", "http://localhost:3000"]
        );
    }

    #[test]
    fn edge_settings_default_to_trusting_no_proxy_and_bounded_connections() {
        let defaults = config(&[]).unwrap();
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.max_connections_per_ip, 256);
        assert_eq!(
            defaults.signup_existing_email,
            SignupExistingEmail::Conflict
        );
        assert!(defaults.metrics.bearer_token.is_none() && defaults.metrics.address.is_none());
        let set = config(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("SIGNUP_EXISTING_EMAIL", "Notify"),
            ("METRICS_ADDRESS", "127.0.0.1:9100"),
        ])
        .unwrap();
        assert!(set.trusted_proxies.contains("::1".parse().unwrap()));
        assert_eq!(set.signup_existing_email, SignupExistingEmail::Notify);
        assert_eq!(set.metrics.address, Some("127.0.0.1:9100".parse().unwrap()));
    }
}
