//! SMS and email factors as places codes go: the destination sealed in the factor's row (bound
//! to its id), shown masked, and which of them a sign-in may offer under the operator's
//! settings — none of a channel that is off, and, unless `MFA_SMS_ALLOWED_FOR_ADMINS`, no SMS
//! for a platform administrator without an authenticator app or passkey.

use sea_orm::ConnectionTrait;

use super::{
    destination::{PhoneNumber, masked_email},
    otp_codes::Channel,
    store::{self, FactorKind},
};
use crate::{
    auth::CodeDestination,
    config::OtpSettings,
    crypto::FieldCipher,
    error::Error,
    store::{accounts, entities::mfa_factor},
};

/// The context a factor's destination is sealed under.
pub(super) fn sealing_context(factor_id: &str) -> String {
    format!("mfa_factor:{factor_id}")
}

#[derive(Clone)]
pub struct CodeFactors {
    cipher: FieldCipher,
    settings: OtpSettings,
}

impl CodeFactors {
    pub fn new(cipher: FieldCipher, settings: OtpSettings) -> Self {
        Self { cipher, settings }
    }

    pub(super) fn settings(&self) -> &OtpSettings {
        &self.settings
    }

    /// Whether codes may go out through `channel` now.
    pub(super) fn channel_on(&self, channel: Channel) -> bool {
        match channel {
            Channel::Sms => self.settings.sms.is_some(),
            Channel::Email => self.settings.email_enabled,
        }
    }

    /// The factor's destination (E.164 number or address), unsealed.
    pub(super) fn destination(&self, factor: &mfa_factor::Model) -> Result<String, Error> {
        let sealed = factor.secret_sealed.as_deref().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("a code factor without a destination"))
        })?;
        let clear = self.cipher.open(sealed, &sealing_context(&factor.id))?;
        String::from_utf8(clear)
            .map_err(|_| Error::Internal(anyhow::anyhow!("a destination that is not text")))
    }

    /// The factor's destination masked; None for factors that have none.
    pub(super) fn masked(&self, factor: &mfa_factor::Model) -> Result<Option<String>, Error> {
        let Some(channel) = channel_of(factor.kind) else {
            return Ok(None);
        };
        let destination = self.destination(factor)?;
        Ok(Some(mask(channel, &destination)))
    }

    /// Whether SMS may be a factor of this user: always, unless the user is a platform
    /// administrator whose other `factors` hold no app or passkey and the operator did not
    /// allow SMS for administrators.
    pub(super) async fn sms_allowed_for(
        &self,
        db: &impl ConnectionTrait,
        user_id: &str,
        factors: &[mfa_factor::Model],
    ) -> Result<bool, Error> {
        let Some(sms) = &self.settings.sms else {
            return Ok(false);
        };
        if sms.allowed_for_admins {
            return Ok(true);
        }
        let strong = factors.iter().any(|f| {
            f.status == store::FactorStatus::Active
                && matches!(f.kind, FactorKind::Totp | FactorKind::Passkey)
        });
        let admin = accounts::find_by_id(db, user_id)
            .await?
            .is_some_and(|account| account.is_admin);
        Ok(strong || !admin)
    }

    /// The user's active SMS and email factors a sign-in may offer, masked.
    pub(super) async fn offered(
        &self,
        db: &impl ConnectionTrait,
        user_id: &str,
        factors: &[mfa_factor::Model],
    ) -> Result<Vec<CodeDestination>, Error> {
        let mut offered = Vec::new();
        for factor in factors {
            let Some(channel) = channel_of(factor.kind) else {
                continue;
            };
            let allowed = match channel {
                Channel::Sms => self.sms_allowed_for(db, user_id, factors).await?,
                Channel::Email => self.settings.email_enabled,
            };
            if allowed && factor.status == store::FactorStatus::Active {
                offered.push(CodeDestination {
                    factor_id: factor.id.clone(),
                    method: channel.method().to_owned(),
                    masked_destination: mask(channel, &self.destination(factor)?),
                });
            }
        }
        Ok(offered)
    }
}

/// The channel of an SMS or email factor.
pub(super) fn channel_of(kind: FactorKind) -> Option<Channel> {
    match kind {
        FactorKind::Sms => Some(Channel::Sms),
        FactorKind::Email => Some(Channel::Email),
        FactorKind::Totp | FactorKind::Passkey => None,
    }
}

fn mask(channel: Channel, destination: &str) -> String {
    match channel {
        Channel::Sms => PhoneNumber::parse("phone_number", destination)
            .map_or_else(|_| "•••".to_owned(), |number| number.masked()),
        Channel::Email => masked_email(destination),
    }
}
