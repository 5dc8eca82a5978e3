//! One reader per group of related variables (database, cache, mail, limits, passkeys,
//! CORS, social endpoints, metrics, sign-up), each checking its variables together.

use std::{net::IpAddr, time::Duration};

use secrecy::SecretString;
use url::Url;

use super::{
    settings::*,
    vars::{ConfigError, Vars, is_secure_or_loopback, list, parse_url, problem},
};

pub(super) fn signup_existing_email(vars: &Vars) -> Result<SignupExistingEmail, ConfigError> {
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

pub(super) fn metrics_settings(vars: &Vars) -> Result<MetricsSettings, ConfigError> {
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

pub(super) fn social_endpoints(vars: &Vars) -> Result<SocialEndpoints, ConfigError> {
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

pub(super) fn database_url(vars: &Vars) -> Result<String, ConfigError> {
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

pub(super) fn redis_url(vars: &Vars) -> Result<Option<String>, ConfigError> {
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

pub(super) fn admin_bootstrap(vars: &Vars) -> Result<Option<AdminBootstrap>, ConfigError> {
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

pub(super) fn smtp(vars: &Vars) -> Result<Option<SmtpConfig>, ConfigError> {
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

pub(super) fn login_limits(vars: &Vars) -> Result<LoginLimits, ConfigError> {
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
pub(super) fn webauthn(vars: &Vars, issuer: &Url) -> Result<Option<WebauthnSettings>, ConfigError> {
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
pub(super) fn parse_rp_id(raw: &str) -> Result<String, ConfigError> {
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
pub(super) fn origin_of(url: &Url) -> Url {
    let origin = url.origin().ascii_serialization();
    Url::parse(&origin).unwrap_or_else(|_| url.clone())
}

pub(super) fn cors_origins(vars: &Vars) -> Result<Vec<String>, ConfigError> {
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

pub(super) fn log_filter(vars: &Vars) -> Result<String, ConfigError> {
    let filter = vars.get("RUST_LOG").unwrap_or("info");
    tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| problem("RUST_LOG", format!("{filter:?} is not a log filter ({e})")))?;
    Ok(filter.to_owned())
}
