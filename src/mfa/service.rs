//! The MFA capability: enrolling and managing second factors (TOTP, recovery codes; passkeys
//! in `passkeys`) and answering the second step of a sign-in. TOTP seeds are sealed under
//! the field key, bound to their factor id; a TOTP step is accepted once per factor, and no
//! write ever moves a factor's last accepted step back. Adding or removing a factor and
//! replacing recovery codes need a step-up proof (`step_up`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    challenge::Challenges,
    factor_view::{FactorView, ListedKind, view},
    recovery_codes,
    relying_party::RelyingParty,
    step_up::RECENT_SIGN_IN,
    store, totp,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::Authentication,
    clock::Clock,
    crypto::FieldCipher,
    error::Error,
    ids::FactorId,
    principal::Principal,
    store::{Db, accounts, entities::mfa_factor},
};

/// The id under which the recovery codes appear among the factors.
pub const RECOVERY_CODES_ID: &str = "recovery_codes";

pub struct Mfa {
    pub(super) db: Db,
    pub(super) cipher: FieldCipher,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) challenges: Arc<Challenges>,
    pub(super) auth: Arc<Authentication>,
    pub(super) totp_issuer: String,
    /// None when passkeys are off (no relying party could be configured).
    pub(super) relying_party: Option<Arc<RelyingParty>>,
}

/// A TOTP enrolment: everything an authenticator app needs, shown once.
pub struct TotpEnrollment {
    pub factor_id: String,
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub qr_png: Vec<u8>,
}

/// An answer to a sign-in challenge.
pub enum Answer {
    Totp(String),
    RecoveryCode(String),
    Passkey(String),
}

fn sealing_context(factor_id: &str) -> String {
    format!("mfa_factor:{factor_id}")
}

impl Mfa {
    pub fn new(
        db: Db,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        challenges: Arc<Challenges>,
        auth: Arc<Authentication>,
        totp_issuer: String,
        relying_party: Option<Arc<RelyingParty>>,
    ) -> Self {
        Self {
            db,
            cipher,
            clock,
            challenges,
            auth,
            totp_issuer,
            relying_party,
        }
    }

    pub async fn list_factors(&self, caller: &Principal) -> Result<Vec<FactorView>, Error> {
        let factors = store::factors_of(&self.db, &caller.user_id).await?;
        let mut views: Vec<FactorView> = factors.into_iter().map(view).collect();
        let left = store::unused_recovery_codes(&self.db, &caller.user_id).await?;
        if let (true, Some((created_at, last_used_at))) = (
            left > 0,
            store::recovery_code_dates(&self.db, &caller.user_id).await?,
        ) {
            views.push(FactorView {
                id: RECOVERY_CODES_ID.to_owned(),
                kind: ListedKind::RecoveryCodes,
                active: true,
                name: format!("Recovery codes ({left} left)"),
                created_at,
                last_used_at,
            });
        }
        Ok(views)
    }

    /// Starts a TOTP enrolment; the factor stays pending until `confirm_totp`. Needs a
    /// recent sign-in (a caller enrolling an app has no other app whose code could stand in).
    pub async fn enroll_totp(
        &self,
        caller: &Principal,
        client: &ClientInfo,
    ) -> Result<TotpEnrollment, Error> {
        let account = self.account(&caller.user_id).await?;
        let factors = store::active_factors(&self.db, &account.id).await?;
        if factors.iter().any(|f| f.kind == store::FactorKind::Totp) {
            return Err(Error::Conflict(
                "an authenticator app is already enrolled; delete it first".into(),
            ));
        }
        if !self.signed_in_recently(caller).await? {
            return Err(Error::MfaRequired);
        }
        let secret = totp::new_secret();
        let enrolled = totp::enrollment(&secret, &self.totp_issuer, &account.email)?;
        let now = self.clock.now();
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = self.cipher.seal(&secret, &sealing_context(&id))?;
        let txn = crate::store::begin_write(&self.db).await?;
        store::delete_pending_totp(&txn, &account.id).await?;
        store::insert_factor(
            &txn,
            mfa_factor::Model {
                id: id.clone(),
                user_id: account.id.clone(),
                kind: store::FactorKind::Totp,
                status: store::FactorStatus::Pending,
                name: "Authenticator app".into(),
                secret_sealed: Some(sealed),
                credential_id: None,
                credential: None,
                last_used_step: None,
                created_at: now,
                last_used_at: None,
            },
        )
        .await?;
        audit::record(
            &txn,
            now,
            self.event("mfa.totp_enrollment_started", caller, client)
                .target("mfa_factor", &id),
        )
        .await?;
        txn.commit().await?;
        Ok(TotpEnrollment {
            factor_id: id,
            secret_base32: enrolled.secret_base32,
            otpauth_uri: enrolled.uri,
            qr_png: enrolled.qr_png,
        })
    }

    /// Activates a pending TOTP factor with a current code, which counts as used (it cannot
    /// sign in afterwards). The enrolment must be recent, as its step-up proof is (else
    /// MFA_REQUIRED: enrol again after a fresh sign-in). Returns ten recovery codes when the
    /// user had none (their first factor), else none.
    pub async fn confirm_totp(
        &self,
        caller: &Principal,
        factor_id: &FactorId,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<String>, Error> {
        let factor = store::find_factor(&self.db, &caller.user_id, factor_id)
            .await?
            .filter(|f| {
                f.kind == store::FactorKind::Totp && f.status == store::FactorStatus::Pending
            })
            .ok_or(Error::NotFound("factor"))?;
        let now = self.clock.now();
        let enrolled_recently = factor.created_at > now - RECENT_SIGN_IN;
        if !enrolled_recently && !self.signed_in_recently(caller).await? {
            return Err(Error::MfaRequired);
        }
        if !self.accept_totp(&factor, code, now).await? {
            let event = self
                .event("mfa.totp_confirmation_failed", caller, client)
                .target("mfa_factor", factor_id)
                .failed();
            audit::record(&self.db, now, event).await?;
            return Err(Error::invalid(
                "code",
                "is not the authenticator app's current code",
            ));
        }
        let txn = crate::store::begin_write(&self.db).await?;
        // Only the status: the step the code just claimed stays claimed.
        store::activate_factor(&txn, &factor.id).await?;
        store::refresh_mfa_enabled(&txn, &caller.user_id).await?;
        let codes = self
            .first_recovery_codes(&txn, &caller.user_id, now)
            .await?;
        audit::record(
            &txn,
            now,
            self.event("mfa.totp_enrolled", caller, client)
                .target("mfa_factor", factor_id),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Renames a factor.
    pub async fn rename_factor(
        &self,
        caller: &Principal,
        factor_id: &FactorId,
        name: &str,
    ) -> Result<FactorView, Error> {
        let name = parse_factor_name(name)?;
        if !store::rename_factor(&self.db, &caller.user_id, factor_id, &name).await? {
            return Err(Error::NotFound("factor"));
        }
        let factor = store::find_factor(&self.db, &caller.user_id, factor_id)
            .await?
            .ok_or(Error::NotFound("factor"))?;
        Ok(view(factor))
    }

    /// Removes a factor (after a recent sign-in or with a current TOTP code). With no active
    /// factor left, the recovery codes go too and sign-in needs one factor again.
    pub async fn delete_factor(
        &self,
        caller: &Principal,
        factor_id: &FactorId,
        totp_code: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        if factor_id == RECOVERY_CODES_ID {
            return Err(Error::invalid(
                "factor_id",
                "recovery codes are replaced with RegenerateRecoveryCodes, not deleted",
            ));
        }
        let factor = store::find_factor(&self.db, &caller.user_id, factor_id)
            .await?
            .ok_or(Error::NotFound("factor"))?;
        self.ensure_recent_or_code(caller, totp_code, client)
            .await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        store::delete_factor(&txn, &factor.id).await?;
        if !store::refresh_mfa_enabled(&txn, &caller.user_id).await? {
            store::delete_recovery_codes(&txn, &caller.user_id).await?;
        }
        let event = self
            .event("mfa.factor_deleted", caller, client)
            .target("mfa_factor", &factor.id)
            .metadata(json!({ "kind": sea_orm::ActiveEnum::to_value(&factor.kind) }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replaces every recovery code (after a recent sign-in or with a current TOTP code).
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Principal,
        totp_code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<String>, Error> {
        if store::active_factors(&self.db, &caller.user_id)
            .await?
            .is_empty()
        {
            return Err(Error::invalid(
                "user",
                "recovery codes need an active second factor first",
            ));
        }
        self.ensure_recent_or_code(caller, totp_code, client)
            .await?;
        let now = self.clock.now();
        let codes = recovery_codes::generate();
        let digests: Vec<String> = codes
            .iter()
            .map(|c| recovery_codes::digest(&caller.user_id, c))
            .collect();
        let txn = crate::store::begin_write(&self.db).await?;
        store::replace_recovery_codes(&txn, &caller.user_id, &digests, now).await?;
        audit::record(
            &txn,
            now,
            self.event("mfa.recovery_codes_regenerated", caller, client),
        )
        .await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Ten recovery codes, stored, when the user has none yet; else nothing.
    pub(super) async fn first_recovery_codes(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, Error> {
        if store::unused_recovery_codes(db, user_id).await? > 0 {
            return Ok(Vec::new());
        }
        let codes = recovery_codes::generate();
        let digests: Vec<String> = codes
            .iter()
            .map(|c| recovery_codes::digest(user_id, c))
            .collect();
        store::replace_recovery_codes(db, user_id, &digests, now).await?;
        Ok(codes)
    }

    /// The user's active TOTP factor accepts `code` (not replayed).
    pub(super) async fn accept_user_totp(
        &self,
        user_id: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let factors = store::active_factors(&self.db, user_id).await?;
        match factors
            .into_iter()
            .find(|f| f.kind == store::FactorKind::Totp)
        {
            Some(factor) => self.accept_totp(&factor, code, now).await,
            None => Ok(false),
        }
    }

    /// `code` is the factor's code for a step within the skew, and that step was not used.
    async fn accept_totp(
        &self,
        factor: &mfa_factor::Model,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let sealed = factor
            .secret_sealed
            .as_deref()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("a TOTP factor without a secret")))?;
        let secret = self.cipher.open(sealed, &sealing_context(&factor.id))?;
        let unix = u64::try_from(now.timestamp()).unwrap_or_default();
        let Some(step) = totp::verify(&secret, code, unix) else {
            return Ok(false);
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        Ok(store::claim_totp_step(&self.db, &factor.id, step, now).await?)
    }

    pub(super) async fn account(
        &self,
        user_id: &str,
    ) -> Result<crate::store::entities::user::Model, Error> {
        accounts::find_by_id(&self.db, user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(|| Error::Token("the account is not active".into()))
    }

    pub(super) fn event(
        &self,
        action: &'static str,
        caller: &Principal,
        client: &ClientInfo,
    ) -> AuditEvent {
        AuditEvent::new(action, Actor::User(caller.user_id.clone()))
            .target("user", &caller.user_id)
            .client(client.clone())
    }
}

pub(super) fn parse_factor_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    Ok(name.to_owned())
}
