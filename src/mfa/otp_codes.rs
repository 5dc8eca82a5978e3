//! One-time codes sent by SMS or email: 6 digits from the OS's CSPRNG, kept in the shared
//! cache only as an HMAC (under a key derived from the field key) for 5 minutes of the app's
//! clock, each code taken by its first right answer and dead after 5 answers. Every send is
//! counted before it is made, in the shared cache so all nodes spend one budget: a resend
//! cooldown per factor, an hourly cap per factor and per destination (keyed by the
//! destination's HMAC, never the number itself), and a platform-wide hourly cap on SMS (toll
//! fraud). Codes go out through the SMS outbox or the mail outbox, never from the request.
//!
//! A code belongs to a scope: an MFA challenge (`challenge:<id>`) or an enrolment
//! (`enroll:<factor id>`); a new code replaces the scope's earlier one.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::{
    cache::{Cache, CacheError},
    config::OtpSettings,
    error::Error,
    mail::{Mail, Mailer},
    sms::{SmsSender, TextMessage},
    store::Db,
};

/// How long a code is accepted.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// Answers one code allows.
const MAX_ANSWERS: i64 = 5;
const HOUR: Duration = Duration::from_secs(60 * 60);

/// How a code travels; also its challenge method's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn method(self) -> &'static str {
        match self {
            Self::Sms => super::challenge::SMS,
            Self::Email => super::challenge::EMAIL,
        }
    }

    /// The `amr` a right code adds (RFC 8176): `sms`, or `otp` for an emailed code.
    pub fn amr(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "otp",
        }
    }
}

/// Where a code goes: a factor and its destination, unsealed.
pub struct CodeTarget<'a> {
    pub factor_id: &'a str,
    pub channel: Channel,
    /// E.164 number or email address.
    pub destination: &'a str,
}

/// A code on its way.
pub struct SentCode {
    pub expires_at: DateTime<Utc>,
    pub next_send_at: DateTime<Utc>,
}

/// What the cache keeps for a code: never the code itself.
#[derive(Serialize, Deserialize)]
struct StoredCode {
    id: String,
    factor_id: String,
    channel: Channel,
    digest: String,
    expires_at: DateTime<Utc>,
}

/// The outcome of checking a code.
pub enum CodeCheck {
    /// Right, and now used up: the factor it was sent to.
    Accepted { factor_id: String },
    /// Wrong, expired, used, or past its answers.
    Refused,
}

pub struct OtpCodes {
    db: Db,
    cache: Arc<dyn Cache>,
    key: [u8; 32],
    settings: OtpSettings,
    sms: Option<Arc<SmsSender>>,
    mail: Arc<Mailer>,
    /// The name texts and mails sign with.
    product: String,
}

fn code_key(scope: &str) -> String {
    format!("mfa:otp:code:{scope}")
}

fn unavailable(err: CacheError) -> Error {
    err.failed_in("the one-time code store")
}

impl OtpCodes {
    pub fn new(
        db: Db,
        cache: Arc<dyn Cache>,
        key: [u8; 32],
        settings: OtpSettings,
        sms: Option<Arc<SmsSender>>,
        mail: Arc<Mailer>,
        product: String,
    ) -> Self {
        Self {
            db,
            cache,
            key,
            settings,
            sms,
            mail,
            product,
        }
    }

    pub fn settings(&self) -> &OtpSettings {
        &self.settings
    }

    fn mac(&self, parts: &[&str]) -> Result<String, Error> {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key)
            .map_err(|_| Error::Internal(anyhow::anyhow!("an unusable code key")))?;
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        Ok(mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Sends a fresh code for `scope` to `target`, within the budgets (RATE_LIMIT_ERROR
    /// otherwise); the code replaces the scope's earlier one.
    pub async fn send(
        &self,
        scope: &str,
        target: &CodeTarget<'_>,
        now: DateTime<Utc>,
    ) -> Result<SentCode, Error> {
        self.spend_budgets(target).await?;
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
        let id = uuid::Uuid::now_v7().to_string();
        let stored = StoredCode {
            digest: self.mac(&[&id, &code])?,
            id,
            factor_id: target.factor_id.to_owned(),
            channel: target.channel,
            expires_at: now + CODE_TTL,
        };
        let value = serde_json::to_vec(&stored).map_err(anyhow::Error::from)?;
        // Kept past its expiry so a late answer is refused as expired, counted like a wrong one.
        self.cache
            .set(&code_key(scope), &value, CODE_TTL * 2)
            .await
            .map_err(unavailable)?;
        self.deliver(target, &code).await?;
        Ok(SentCode {
            expires_at: stored.expires_at,
            next_send_at: now + self.settings.resend_cooldown,
        })
    }

    /// The cooldown, then the hourly caps; each counted before the code exists, so
    /// concurrent sends cannot pass a budget together.
    async fn spend_budgets(&self, target: &CodeTarget<'_>) -> Result<(), Error> {
        let destination = self.mac(&["destination", target.destination])?;
        // Per destination, so enrolling the same number again does not skip it.
        let cooldown = format!("mfa:otp:cooldown:{destination}");
        if !self
            .cache
            .set_if_absent(&cooldown, b"1", self.settings.resend_cooldown)
            .await
            .map_err(unavailable)?
        {
            return Err(self.rate_limited(&cooldown).await);
        }
        let mut counters = vec![
            (
                format!("mfa:otp:hourly:factor:{}", target.factor_id),
                self.settings.max_per_hour,
            ),
            (
                format!("mfa:otp:hourly:destination:{destination}"),
                self.settings.max_per_hour,
            ),
        ];
        if let (Channel::Sms, Some(sms)) = (target.channel, &self.settings.sms) {
            counters.push(("mfa:otp:hourly:sms".to_owned(), sms.max_per_hour));
        }
        for (key, cap) in counters {
            let count = self
                .cache
                .increment(&key, HOUR)
                .await
                .map_err(unavailable)?;
            if count > i64::from(cap) {
                if key == "mfa:otp:hourly:sms" {
                    tracing::error!(
                        "the hourly SMS cap (SMS_MAX_PER_HOUR) is reached: codes are refused"
                    );
                }
                return Err(self.rate_limited(&key).await);
            }
        }
        Ok(())
    }

    async fn rate_limited(&self, key: &str) -> Error {
        let retry_after = match self.cache.ttl(key).await {
            Ok(Some(ttl)) => ttl,
            _ => Duration::from_secs(1),
        };
        Error::RateLimited { retry_after }
    }

    /// Queues the code's text or mail; the outbox worker delivers it.
    async fn deliver(&self, target: &CodeTarget<'_>, code: &str) -> Result<(), Error> {
        let minutes = CODE_TTL.as_secs() / 60;
        match target.channel {
            Channel::Sms => {
                let sms = self
                    .sms
                    .as_ref()
                    .ok_or_else(|| Error::invalid("factor_id", "SMS codes are turned off"))?;
                let body = format!(
                    "{code} is your {} sign-in code. It expires in {minutes} minutes. Never share it.",
                    self.product
                );
                sms.enqueue(
                    &self.db,
                    TextMessage {
                        to: target.destination.to_owned(),
                        body,
                    },
                )
                .await?;
                sms.wake();
            }
            Channel::Email => {
                let text = format!(
                    "Your {} sign-in code is {code}.\n\nIt expires in {minutes} minutes. If you did not try to sign in, change your password.\n",
                    self.product
                );
                let html = format!(
                    "<p>Your {} sign-in code is <strong>{code}</strong>.</p><p>It expires in {minutes} minutes. If you did not try to sign in, change your password.</p>",
                    html_escape(&self.product)
                );
                let mail = Mail {
                    to: target.destination.to_owned(),
                    subject: format!("Your {} sign-in code", self.product),
                    text,
                    html,
                };
                self.mail.enqueue(&self.db, mail).await?;
                self.mail.wake();
            }
        }
        Ok(())
    }

    /// The channel of the code pending for `scope`, if one is.
    pub async fn pending_channel(&self, scope: &str) -> Result<Option<Channel>, Error> {
        Ok(self.stored(scope).await?.map(|code| code.channel))
    }

    async fn stored(&self, scope: &str) -> Result<Option<StoredCode>, Error> {
        let value = self
            .cache
            .get(&code_key(scope))
            .await
            .map_err(unavailable)?;
        Ok(value.and_then(|value| serde_json::from_slice(&value).ok()))
    }

    /// Checks `answer` against the scope's code: the answer is counted first (past the
    /// fifth the code is destroyed), and a right one takes the code, once across nodes.
    pub async fn check(
        &self,
        scope: &str,
        answer: &str,
        now: DateTime<Utc>,
    ) -> Result<CodeCheck, Error> {
        let Some(code) = self.stored(scope).await? else {
            return Ok(CodeCheck::Refused);
        };
        let answers = self
            .cache
            .increment(&format!("mfa:otp:answers:{}", code.id), CODE_TTL * 2)
            .await
            .map_err(unavailable)?;
        if answers > MAX_ANSWERS || now >= code.expires_at {
            self.cache
                .delete(&code_key(scope))
                .await
                .map_err(unavailable)?;
            return Ok(CodeCheck::Refused);
        }
        let answer = answer.trim();
        let right = answer.len() == 6
            && bool::from(
                self.mac(&[&code.id, answer])?
                    .as_bytes()
                    .ct_eq(code.digest.as_bytes()),
            );
        if !right {
            return Ok(CodeCheck::Refused);
        }
        // Taken only if it is still this code: a concurrent right answer gets nothing.
        match self
            .cache
            .take(&code_key(scope))
            .await
            .map_err(unavailable)?
        {
            Some(value)
                if serde_json::from_slice::<StoredCode>(&value).is_ok_and(|c| c.id == code.id) =>
            {
                Ok(CodeCheck::Accepted {
                    factor_id: code.factor_id,
                })
            }
            _ => Ok(CodeCheck::Refused),
        }
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
