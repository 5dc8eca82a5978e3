//! Passkeys (WebAuthn) as a factor and as a passwordless sign-in: registering one for the
//! signed-in user, signing in with one (discoverable, or email first), and answering the
//! second step of a sign-in with one. Each passkey is an `mfa_factors` row (`kind = passkey`)
//! holding the webauthn-rs `Passkey` as JSON, unique by base64url credential id. A passkey
//! proves possession with user verification, so signing in with one alone opens a session
//! (`amr = ["hwk"]`). A signature counter that does not grow — against the counter stored
//! now, not the one seen when the ceremony began — is a cloned authenticator: refused and
//! audited. Registering one needs a step-up proof (`step_up`). Registration is here, signing
//! in in `sign_in`. No proto types and no SQL here; the WebAuthn machinery is
//! `relying_party`.

mod sign_in;

use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{Passkey, PasskeyRegistration, Uuid};

use super::{
    FactorView,
    relying_party::{self, Ceremony, RelyingParty, encode_credential_id},
    service::{self, Mfa},
    store,
};
use crate::{
    audit::{self, ClientInfo},
    error::Error,
    principal::Principal,
    store::entities::mfa_factor,
};

/// The name of a passkey registered without one.
const DEFAULT_NAME: &str = "Passkey";

/// A ceremony begun: its id and the WebAuthn options to hand to the browser.
#[derive(Debug, Clone)]
pub struct CeremonyStarted {
    pub challenge_id: String,
    pub options_json: String,
}

/// A registered passkey, with the user's first recovery codes when it turned MFA on.
#[derive(Debug, Clone)]
pub struct PasskeyEnrolled {
    pub factor: FactorView,
    pub recovery_codes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct RegistrationCeremony {
    user_id: String,
    name: String,
    state: PasskeyRegistration,
}

impl Mfa {
    /// Whether the server offers passkeys (a WebAuthn relying party is configured).
    pub fn passkeys_enabled(&self) -> bool {
        self.relying_party.is_some()
    }

    fn passkeys(&self) -> Result<&RelyingParty, Error> {
        self.relying_party
            .as_deref()
            .ok_or_else(|| Error::invalid("passkeys", "are not enabled on this server"))
    }

    /// Creation options for a new passkey of the caller; its existing passkeys are excluded.
    /// Needs a step-up proof (a recent sign-in or `totp_code`): a passkey signs in alone, so a
    /// stolen session must not be able to add one.
    pub async fn begin_passkey_registration(
        &self,
        caller: &Principal,
        name: &str,
        totp_code: &str,
        client: &ClientInfo,
    ) -> Result<CeremonyStarted, Error> {
        let party = self.passkeys()?;
        let name = passkey_name(name)?.unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let account = self.account(&caller.user_id).await?;
        self.ensure_recent_or_code(caller, totp_code, client)
            .await?;
        let exclude = store::active_passkeys(&self.db, &account.id)
            .await?
            .iter()
            .map(|factor| passkey_of(factor).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let display_name = match account.display_name.trim() {
            "" => account.email.as_str(),
            name => name,
        };
        let (options_json, state) = party.start_registration(
            user_handle(&account.id)?,
            &account.email,
            display_name,
            exclude,
        )?;
        let ceremony = RegistrationCeremony {
            user_id: account.id,
            name,
            state,
        };
        let challenge_id = party.keep(Ceremony::Registration, &ceremony).await?;
        Ok(CeremonyStarted {
            challenge_id,
            options_json,
        })
    }

    /// Verifies the new credential and stores it as an active factor; the user's first
    /// factor also brings ten recovery codes. The step-up proof was given to begin the
    /// ceremony, which is the caller's own, single use and younger than the recent sign-in
    /// window (`CEREMONY_TTL`), so finishing asks for none: a second TOTP code within one
    /// step would be refused as a replay.
    pub async fn finish_passkey_registration(
        &self,
        caller: &Principal,
        challenge_id: &str,
        credential_json: &str,
        name: &str,
        client: &ClientInfo,
    ) -> Result<PasskeyEnrolled, Error> {
        let party = self.passkeys()?;
        let credential = relying_party::parse_registration("credential_json", credential_json)?;
        let name = passkey_name(name)?;
        let ceremony: RegistrationCeremony =
            party.take(Ceremony::Registration, challenge_id).await?;
        if ceremony.user_id != caller.user_id {
            return Err(Error::Token(
                "the passkey challenge is invalid, expired or used".into(),
            ));
        }
        let claimed_id = encode_credential_id(&credential.raw_id);
        if store::find_by_credential_id(&self.db, &claimed_id)
            .await?
            .is_some()
        {
            return Err(already_registered());
        }
        let now = self.clock.now();
        let passkey = match party.finish_registration(&credential, &ceremony.state) {
            Ok(passkey) => passkey,
            Err(err) => {
                let event = self
                    .event("mfa.passkey_registered", caller, client)
                    .metadata(json!({ "reason": err.to_string() }))
                    .failed();
                audit::record(&self.db, now, event).await?;
                return Err(Error::Authentication);
            }
        };
        let factor = mfa_factor::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: caller.user_id.to_string(),
            kind: store::FactorKind::Passkey,
            status: store::FactorStatus::Active,
            name: name.unwrap_or(ceremony.name),
            secret_sealed: None,
            credential_id: Some(encode_credential_id(passkey.cred_id())),
            credential: Some(to_json(&passkey)?),
            last_used_step: None,
            created_at: now,
            last_used_at: None,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let factor =
            store::insert_factor(&txn, factor)
                .await
                .map_err(|err| match err.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => already_registered(),
                    _ => err.into(),
                })?;
        store::refresh_mfa_enabled(&txn, &caller.user_id).await?;
        let recovery_codes = self
            .first_recovery_codes(&txn, &caller.user_id, now)
            .await?;
        let event = self
            .event("mfa.passkey_registered", caller, client)
            .target("mfa_factor", &factor.id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(PasskeyEnrolled {
            factor: super::factor_view::view(factor),
            recovery_codes,
        })
    }
}

/// The webauthn-rs credential a passkey factor holds.
pub(super) fn passkey_of(factor: &mfa_factor::Model) -> Result<Passkey, Error> {
    let credential = factor.credential.clone().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "passkey factor {} has no credential",
            factor.id
        ))
    })?;
    serde_json::from_value(credential)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("a stored passkey")))
}

fn is_active_passkey(factor: &mfa_factor::Model) -> bool {
    factor.kind == store::FactorKind::Passkey && factor.status == store::FactorStatus::Active
}

fn to_json(passkey: &Passkey) -> Result<serde_json::Value, Error> {
    serde_json::to_value(passkey).map_err(|e| Error::Internal(e.into()))
}

/// The WebAuthn user handle of a user: the bytes of their id (a UUID, no personal data).
fn user_handle(user_id: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(user_id)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("a user id")))
}

/// A given name (1 to 100 characters), or None when empty.
fn passkey_name(name: &str) -> Result<Option<String>, Error> {
    if name.trim().is_empty() {
        return Ok(None);
    }
    service::parse_factor_name(name).map(Some)
}

fn already_registered() -> Error {
    Error::Conflict("this passkey is already registered".into())
}
