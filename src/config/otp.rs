//! One-time codes sent as second factors (`MFA_SMS_*`, `MFA_EMAIL_ENABLED`, `SMS_*`,
//! `TWILIO_*`, `MFA_CODE_*`): whether SMS and emailed codes are on, the SMS provider and its
//! credentials, and the budgets that keep a toll-fraud attacker from texting the world.
//! SMS is off unless turned on, and turning it on without a complete provider is refused here.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::vars::{ConfigError, Vars, is_secure_or_loopback, list, parse_url, problem};

/// How sign-in codes are sent.
#[derive(Debug, Clone)]
pub struct OtpSettings {
    /// `MFA_SMS_ENABLED` (false): None when SMS is off.
    pub sms: Option<SmsSettings>,
    /// `MFA_EMAIL_ENABLED`: default true when SMTP is configured.
    pub email_enabled: bool,
    /// `MFA_CODE_RESEND_SECONDS` (30): the wait before another code goes to the same factor.
    pub resend_cooldown: Duration,
    /// `MFA_CODE_MAX_PER_HOUR` (10): codes sent per factor, and per destination, per hour.
    pub max_per_hour: u32,
}

/// SMS delivery, when on.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    pub provider: SmsProviderSettings,
    /// `SMS_ALLOWED_COUNTRIES` (required): ISO 3166 alpha-2 codes numbers may belong to.
    pub allowed_countries: Vec<String>,
    /// `SMS_MAX_PER_HOUR` (1000): text messages the whole deployment sends per hour.
    pub max_per_hour: u32,
    /// `MFA_SMS_ALLOWED_FOR_ADMINS` (false): whether a platform administrator may have SMS
    /// without an authenticator app or passkey.
    pub allowed_for_admins: bool,
}

/// `SMS_PROVIDER`: where text messages go.
#[derive(Debug, Clone)]
pub enum SmsProviderSettings {
    /// Twilio's Messages API.
    Twilio {
        /// `TWILIO_API_BASE_URL` (`https://api.twilio.com`).
        api_base_url: Url,
        /// `TWILIO_ACCOUNT_SID`.
        account_sid: String,
        /// `TWILIO_AUTH_TOKEN`.
        auth_token: SecretString,
        sender: TwilioSender,
    },
    /// A gateway of the operator's: JSON POSTed to `SMS_WEBHOOK_URL`, signed with
    /// HMAC-SHA256 under `SMS_WEBHOOK_SECRET`.
    Webhook { url: Url, secret: SecretString },
}

/// Who a Twilio message is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// `TWILIO_FROM_NUMBER`.
    From(String),
    /// `TWILIO_MESSAGING_SERVICE_SID`.
    MessagingService(String),
}

pub(super) fn otp_settings(vars: &Vars, smtp_configured: bool) -> Result<OtpSettings, ConfigError> {
    let sms_enabled = vars.parsed("MFA_SMS_ENABLED", false, "true or false")?;
    let per_hour = |name: &'static str, default: u64| -> Result<u32, ConfigError> {
        u32::try_from(vars.positive(name, default)?).map_err(|_| problem(name, "too large"))
    };
    // Every SMS variable is read, so `config check` lists them all; they count only with
    // SMS on.
    let provider = sms_provider(vars);
    let allowed_countries = allowed_countries(vars);
    let max_per_hour = per_hour("SMS_MAX_PER_HOUR", 1000);
    let allowed_for_admins = vars.parsed("MFA_SMS_ALLOWED_FOR_ADMINS", false, "true or false");
    let sms = if sms_enabled {
        Some(SmsSettings {
            provider: provider?,
            allowed_countries: allowed_countries?,
            max_per_hour: max_per_hour?,
            allowed_for_admins: allowed_for_admins?,
        })
    } else {
        None
    };
    Ok(OtpSettings {
        sms,
        email_enabled: vars.parsed("MFA_EMAIL_ENABLED", smtp_configured, "true or false")?,
        resend_cooldown: Duration::from_secs(vars.positive("MFA_CODE_RESEND_SECONDS", 30)?),
        max_per_hour: per_hour("MFA_CODE_MAX_PER_HOUR", 10)?,
    })
}

fn required<'a>(
    value: Option<&'a str>,
    name: &'static str,
    why: &str,
) -> Result<&'a str, ConfigError> {
    value.ok_or_else(|| problem(name, format!("required {why}")))
}

/// An operator's endpoint: https, or http to this machine (a local gateway, a test stand-in).
fn endpoint(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = parse_url(name, raw)?;
    if !is_secure_or_loopback(&url) {
        return Err(problem(
            name,
            "must be https (http only for loopback hosts)",
        ));
    }
    Ok(url)
}

fn sms_provider(vars: &Vars) -> Result<SmsProviderSettings, ConfigError> {
    let why = |provider: &str| format!("with SMS_PROVIDER={provider}");
    let provider = vars.get("SMS_PROVIDER").map(str::to_ascii_lowercase);
    let api_base_url = vars
        .get("TWILIO_API_BASE_URL")
        .unwrap_or("https://api.twilio.com");
    let account_sid = vars.get("TWILIO_ACCOUNT_SID");
    let auth_token = vars.get("TWILIO_AUTH_TOKEN");
    let from = vars.get("TWILIO_FROM_NUMBER");
    let messaging_service = vars.get("TWILIO_MESSAGING_SERVICE_SID");
    let webhook_url = vars.get("SMS_WEBHOOK_URL");
    let webhook_secret = vars.get("SMS_WEBHOOK_SECRET");
    match provider.as_deref() {
        Some("twilio") => {
            let sender = match (from, messaging_service) {
                (Some(from), None) => TwilioSender::From(from.to_owned()),
                (None, Some(service)) => TwilioSender::MessagingService(service.to_owned()),
                _ => {
                    return Err(problem(
                        "TWILIO_FROM_NUMBER",
                        "set exactly one of TWILIO_FROM_NUMBER and TWILIO_MESSAGING_SERVICE_SID",
                    ));
                }
            };
            Ok(SmsProviderSettings::Twilio {
                api_base_url: endpoint("TWILIO_API_BASE_URL", api_base_url)?,
                account_sid: required(account_sid, "TWILIO_ACCOUNT_SID", &why("twilio"))?
                    .to_owned(),
                auth_token: SecretString::from(
                    required(auth_token, "TWILIO_AUTH_TOKEN", &why("twilio"))?.to_owned(),
                ),
                sender,
            })
        }
        Some("webhook") => {
            let secret = required(webhook_secret, "SMS_WEBHOOK_SECRET", &why("webhook"))?;
            if secret.len() < 16 {
                return Err(problem(
                    "SMS_WEBHOOK_SECRET",
                    "must be at least 16 characters",
                ));
            }
            Ok(SmsProviderSettings::Webhook {
                url: endpoint(
                    "SMS_WEBHOOK_URL",
                    required(webhook_url, "SMS_WEBHOOK_URL", &why("webhook"))?,
                )?,
                secret: SecretString::from(secret.to_owned()),
            })
        }
        None => Err(problem(
            "SMS_PROVIDER",
            "required with MFA_SMS_ENABLED=true: twilio or webhook",
        )),
        Some(other) => Err(problem(
            "SMS_PROVIDER",
            format!("expected twilio or webhook, got {other:?}"),
        )),
    }
}

/// The allow-list, upper-cased; required, so turning SMS on never opens every country.
fn allowed_countries(vars: &Vars) -> Result<Vec<String>, ConfigError> {
    let countries: Vec<String> = list(vars.get("SMS_ALLOWED_COUNTRIES"))
        .map(str::to_ascii_uppercase)
        .collect();
    if countries.is_empty() {
        return Err(problem(
            "SMS_ALLOWED_COUNTRIES",
            "required with MFA_SMS_ENABLED=true: the ISO 3166 alpha-2 codes of the countries numbers may belong to, such as US,CA,DE",
        ));
    }
    if let Some(bad) = countries
        .iter()
        .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(problem(
            "SMS_ALLOWED_COUNTRIES",
            format!("expected two-letter country codes such as US,CA,DE, got {bad:?}"),
        ));
    }
    Ok(countries)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]
    use super::*;

    fn settings(pairs: &[(&str, &str)], smtp: bool) -> Result<OtpSettings, ConfigError> {
        let vars = Vars::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        otp_settings(&vars, smtp)
    }

    const TWILIO: [(&str, &str); 5] = [
        ("MFA_SMS_ENABLED", "true"),
        ("SMS_PROVIDER", "twilio"),
        ("TWILIO_ACCOUNT_SID", "AC1"),
        ("TWILIO_AUTH_TOKEN", "token"),
        ("SMS_ALLOWED_COUNTRIES", "us, ca"),
    ];

    #[test]
    fn sms_is_off_and_email_follows_smtp_by_default() {
        let off = settings(&[], false).unwrap();
        assert!(off.sms.is_none() && !off.email_enabled);
        assert_eq!(off.resend_cooldown, Duration::from_secs(30));
        assert!(settings(&[], true).unwrap().email_enabled);
    }

    #[test]
    fn a_complete_twilio_setup_is_read() {
        let mut vars = TWILIO.to_vec();
        vars.push(("TWILIO_MESSAGING_SERVICE_SID", "MG1"));
        let sms = settings(&vars, false).unwrap().sms.unwrap();
        assert_eq!(sms.allowed_countries, ["US", "CA"]);
        assert!(!sms.allowed_for_admins);
        let SmsProviderSettings::Twilio {
            api_base_url,
            sender,
            ..
        } = sms.provider
        else {
            panic!("twilio expected");
        };
        assert_eq!(api_base_url.as_str(), "https://api.twilio.com/");
        assert_eq!(sender, TwilioSender::MessagingService("MG1".into()));
    }

    #[test]
    fn sms_on_without_a_complete_provider_names_the_missing_variable() {
        let without = |name: &str, extra: &[(&'static str, &'static str)]| {
            let mut vars: Vec<_> = TWILIO.iter().copied().filter(|(k, _)| *k != name).collect();
            vars.extend_from_slice(extra);
            settings(&vars, false).unwrap_err().variable
        };
        let from = [("TWILIO_FROM_NUMBER", "+15005550006")];
        assert_eq!(without("SMS_PROVIDER", &from), "SMS_PROVIDER");
        assert_eq!(without("TWILIO_AUTH_TOKEN", &from), "TWILIO_AUTH_TOKEN");
        assert_eq!(
            without("SMS_ALLOWED_COUNTRIES", &from),
            "SMS_ALLOWED_COUNTRIES"
        );
        assert_eq!(without("", &[]), "TWILIO_FROM_NUMBER");
        let webhook = [
            ("MFA_SMS_ENABLED", "true"),
            ("SMS_PROVIDER", "webhook"),
            ("SMS_WEBHOOK_URL", "http://gateway.example.com/sms"),
            ("SMS_WEBHOOK_SECRET", "a secret of sixteen+"),
            ("SMS_ALLOWED_COUNTRIES", "DE"),
        ];
        assert_eq!(
            settings(&webhook, false).unwrap_err().variable,
            "SMS_WEBHOOK_URL"
        );
        let mut countries = TWILIO.to_vec();
        countries.extend([
            ("TWILIO_FROM_NUMBER", "+1"),
            ("SMS_ALLOWED_COUNTRIES", "USA"),
        ]);
        countries.retain(|(k, v)| *k != "SMS_ALLOWED_COUNTRIES" || *v == "USA");
        assert_eq!(
            settings(&countries, false).unwrap_err().variable,
            "SMS_ALLOWED_COUNTRIES"
        );
    }
}
