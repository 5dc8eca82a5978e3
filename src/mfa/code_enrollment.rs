//! Enrolling SMS and email factors, and sending a sign-in code to one. An enrolment creates a
//! pending factor holding its destination sealed, and sends it a code; the code confirms the
//! factor (counted against the account's brute-force limits like any second-factor answer).
//! A sign-in's challenge lists the factors a code may go to; SendMfaCode sends to one of them.

use chrono::{DateTime, Utc};

use super::{
    code_factors::{channel_of, sealing_context},
    destination::{PhoneNumber, masked_email},
    otp_codes::{Channel, CodeCheck, CodeTarget},
    service::Mfa,
    store,
};
use crate::{
    audit::{self, ClientInfo},
    auth::CodeDestination,
    credentials::Email,
    error::Error,
    ids::FactorId,
    principal::Principal,
    store::entities::mfa_factor,
};

/// A pending SMS or email factor, its code sent.
pub struct CodeEnrollment {
    pub factor_id: String,
    pub masked_destination: String,
}

/// A sign-in code on its way.
pub struct ChallengeCodeSent {
    pub masked_destination: String,
    pub expires_at: DateTime<Utc>,
    pub next_send_at: DateTime<Utc>,
}

fn enrollment_scope(factor_id: &str) -> String {
    format!("enroll:{factor_id}")
}

pub(super) fn challenge_scope(challenge_id: &str) -> String {
    format!("challenge:{challenge_id}")
}

impl Mfa {
    /// Starts an SMS enrolment: the number must be in a country the operator allows, and SMS
    /// is never a platform administrator's only factor unless the operator allows it.
    pub async fn enroll_sms(
        &self,
        caller: &Principal,
        number: &PhoneNumber,
        client: &ClientInfo,
    ) -> Result<CodeEnrollment, Error> {
        let Some(sms) = &self.code_factors.settings().sms else {
            return Err(Error::invalid("phone_number", "SMS codes are turned off"));
        };
        if !number
            .country()
            .is_some_and(|country| sms.allowed_countries.iter().any(|c| c == country))
        {
            return Err(Error::invalid(
                "phone_number",
                "numbers from this country are not accepted",
            ));
        }
        let factors = store::active_factors(&self.db, &caller.user_id).await?;
        if !self
            .code_factors
            .sms_allowed_for(&self.db, &caller.user_id, &factors)
            .await?
        {
            return Err(Error::invalid(
                "phone_number",
                "a platform administrator needs an authenticator app or a passkey before SMS",
            ));
        }
        self.enroll_code_factor(caller, Channel::Sms, number.as_str(), client)
            .await
    }

    /// Starts an email enrolment for the caller's own, verified address.
    pub async fn enroll_email(
        &self,
        caller: &Principal,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<CodeEnrollment, Error> {
        if !self.code_factors.channel_on(Channel::Email) {
            return Err(Error::invalid("email", "emailed codes are turned off"));
        }
        let account = self.account(&caller.user_id).await?;
        if account.email_normalized != email.normalized() {
            return Err(Error::invalid("email", "must be your account's address"));
        }
        if !account.email_verified {
            return Err(Error::EmailNotVerified);
        }
        self.enroll_code_factor(caller, Channel::Email, &account.email, client)
            .await
    }

    async fn enroll_code_factor(
        &self,
        caller: &Principal,
        channel: Channel,
        destination: &str,
        client: &ClientInfo,
    ) -> Result<CodeEnrollment, Error> {
        if !self.signed_in_recently(caller).await? {
            return Err(Error::MfaRequired);
        }
        let (kind, name) = match channel {
            Channel::Sms => (store::FactorKind::Sms, "Text message"),
            Channel::Email => (store::FactorKind::Email, "Email"),
        };
        let now = self.clock.now();
        let id = uuid::Uuid::now_v7().to_string();
        // The code goes out first: a refused send (a budget) leaves no pending factor behind.
        let target = CodeTarget {
            factor_id: &id,
            channel,
            destination,
        };
        self.codes
            .send(&enrollment_scope(&id), &target, now)
            .await?;
        let sealed = self
            .cipher
            .seal(destination.as_bytes(), &sealing_context(&id))?;
        let txn = crate::store::begin_write(&self.db).await?;
        store::delete_pending(&txn, &caller.user_id, kind).await?;
        store::insert_factor(
            &txn,
            mfa_factor::Model {
                id: id.clone(),
                user_id: caller.user_id.to_string(),
                kind,
                status: store::FactorStatus::Pending,
                name: name.into(),
                secret_sealed: Some(sealed),
                credential_id: None,
                credential: None,
                last_used_step: None,
                created_at: now,
                last_used_at: None,
            },
        )
        .await?;
        let event = self
            .event("mfa.code_factor_enrollment_started", caller, client)
            .target("mfa_factor", &id)
            .metadata(serde_json::json!({ "method": channel.method() }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(CodeEnrollment {
            factor_id: id,
            masked_destination: match channel {
                Channel::Sms => PhoneNumber::parse("phone_number", destination)?.masked(),
                Channel::Email => masked_email(destination),
            },
        })
    }

    /// Activates a pending SMS or email factor with the code sent to it. Returns ten
    /// recovery codes when the user had none, else none.
    pub async fn confirm_code_factor(
        &self,
        caller: &Principal,
        channel: Channel,
        factor_id: &FactorId,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<String>, Error> {
        let factor = store::find_factor(&self.db, &caller.user_id, factor_id)
            .await?
            .filter(|f| {
                channel_of(f.kind) == Some(channel) && f.status == store::FactorStatus::Pending
            })
            .ok_or(Error::NotFound("factor"))?;
        let attempt = self
            .auth
            .reserve_second_factor(&caller.user_id, client)
            .await?;
        let now = self.clock.now();
        let checked = self
            .codes
            .check(&enrollment_scope(&factor.id), code, now)
            .await;
        match checked {
            Ok(CodeCheck::Accepted { .. }) => self.auth.refund_second_factor(attempt).await?,
            Ok(CodeCheck::Refused) => {
                self.auth.second_factor_failed(attempt, client).await?;
                let event = self
                    .event("mfa.code_factor_confirmation_failed", caller, client)
                    .target("mfa_factor", factor_id)
                    .failed();
                audit::record(&self.db, now, event).await?;
                return Err(Error::invalid(
                    "otp_code",
                    "is not the code sent, or it expired: enroll again for a new one",
                ));
            }
            Err(err) => {
                self.auth.refund_second_factor(attempt).await?;
                return Err(err);
            }
        }
        let txn = crate::store::begin_write(&self.db).await?;
        store::activate_factor(&txn, &factor.id).await?;
        store::refresh_mfa_enabled(&txn, &caller.user_id).await?;
        let codes = self
            .first_recovery_codes(&txn, &caller.user_id, now)
            .await?;
        let event = self
            .event("mfa.code_factor_enrolled", caller, client)
            .target("mfa_factor", factor_id)
            .metadata(serde_json::json!({ "method": channel.method() }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// The SMS and email factors a pending challenge offers codes for, masked as the challenge
    /// listed them (for a page showing its form again). Uses nothing up.
    pub async fn challenge_code_destinations(
        &self,
        challenge_id: &str,
    ) -> Result<Vec<CodeDestination>, Error> {
        if challenge_id.is_empty() {
            return Err(Error::invalid("challenge_id", "is required"));
        }
        let state = self.challenges.get(challenge_id).await?;
        if state.code_factors.is_empty() {
            return Ok(Vec::new());
        }
        let factors = store::active_factors(&self.db, &state.user_id).await?;
        let offered = self
            .code_factors
            .offered(&self.db, &state.user_id, &factors)
            .await?;
        Ok(offered
            .into_iter()
            .filter(|d| state.code_factors.contains(&d.factor_id))
            .collect())
    }

    /// Sends a sign-in code for a pending challenge to one of the factors it offers.
    pub async fn send_challenge_code(
        &self,
        challenge_id: &str,
        factor_id: &FactorId,
    ) -> Result<ChallengeCodeSent, Error> {
        if challenge_id.is_empty() {
            return Err(Error::invalid("challenge_id", "is required"));
        }
        let state = self.challenges.get(challenge_id).await?;
        if !state.code_factors.iter().any(|id| id == factor_id.as_str()) {
            return Err(Error::invalid(
                "factor_id",
                "is not one of the challenge's code_destinations",
            ));
        }
        let factor = store::find_factor(&self.db, &state.user_id, factor_id)
            .await?
            .filter(|f| f.status == store::FactorStatus::Active)
            .ok_or(Error::NotFound("factor"))?;
        let channel = channel_of(factor.kind)
            .filter(|channel| self.code_factors.channel_on(*channel))
            .ok_or_else(|| Error::invalid("factor_id", "codes cannot be sent to this factor"))?;
        let destination = self.code_factors.destination(&factor)?;
        let target = CodeTarget {
            factor_id: &factor.id,
            channel,
            destination: &destination,
        };
        let sent = self
            .codes
            .send(&challenge_scope(challenge_id), &target, self.clock.now())
            .await?;
        Ok(ChallengeCodeSent {
            masked_destination: self.code_factors.masked(&factor)?.unwrap_or_default(),
            expires_at: sent.expires_at,
            next_send_at: sent.next_send_at,
        })
    }
}
