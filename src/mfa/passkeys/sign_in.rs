//! Signing in with a passkey: passwordless (discoverable, or email first with decoy options
//! for an email without passkeys) and as the answer to a sign-in's second step. Every
//! verified assertion is settled against the counter stored now, atomically, so a clone is
//! caught even when its ceremony began before the genuine authenticator's last use.

use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
    WebauthnError,
};

use super::{CeremonyStarted, is_active_passkey, passkey_of, to_json, user_handle};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::SignedIn,
    credentials::Email,
    error::Error,
    ids::UserId,
    mfa::{
        challenge::ChallengeState,
        relying_party::{self, Ceremony, RelyingParty, encode_credential_id},
        service::Mfa,
        store,
    },
    store::{accounts, entities::mfa_factor},
};

/// A passwordless sign-in's state in the cache, between its options and its answer.
#[derive(Serialize, Deserialize)]
enum LoginCeremony {
    /// Email first: that account's passkeys, or decoy options (`user_id` None) when the email
    /// names no active account with a passkey.
    Account {
        user_id: Option<String>,
        state: PasskeyAuthentication,
    },
    /// Discoverable: the authenticator names the user in its `userHandle`.
    Discoverable { state: DiscoverableAuthentication },
}

/// What an assertion of a stored passkey came to.
enum Verdict {
    Accepted,
    Refused(String),
    Cloned,
}

impl Mfa {
    /// Request options for a passwordless sign-in: discoverable without an email; with one,
    /// that account's passkeys — or decoys shaped alike when it has none or does not exist.
    pub async fn begin_passkey_login(
        &self,
        email: Option<&Email>,
    ) -> Result<CeremonyStarted, Error> {
        let party = self.passkeys()?;
        let (options_json, ceremony) = if let Some(email) = email {
            let account = accounts::find_by_email(&self.db, email.normalized())
                .await?
                .filter(|u| u.is_active());
            let factors = match &account {
                Some(account) => store::active_passkeys(&self.db, &account.id).await?,
                None => Vec::new(),
            };
            let passkeys = factors
                .iter()
                .map(passkey_of)
                .collect::<Result<Vec<_>, _>>()?;
            match account.filter(|_| !passkeys.is_empty()) {
                Some(account) => {
                    let (options, state) = party.start_authentication(&passkeys)?;
                    let user_id = Some(account.id);
                    (options, LoginCeremony::Account { user_id, state })
                }
                None => {
                    let (options, state) = party.start_decoy_authentication(email.normalized())?;
                    let user_id = None;
                    (options, LoginCeremony::Account { user_id, state })
                }
            }
        } else {
            let (options, state) = party.start_discoverable_authentication()?;
            (options, LoginCeremony::Discoverable { state })
        };
        let challenge_id = party.keep(Ceremony::Login, &ceremony).await?;
        Ok(CeremonyStarted {
            challenge_id,
            options_json,
        })
    }

    /// Verifies a passwordless sign-in's assertion and opens a session (`amr = ["hwk"]`).
    pub async fn finish_passkey_login(
        &self,
        challenge_id: &str,
        credential_json: &str,
        client: &ClientInfo,
    ) -> Result<SignedIn, Error> {
        let party = self.passkeys()?;
        let assertion = relying_party::parse_assertion("credential_json", credential_json)?;
        let ceremony: LoginCeremony = party.take(Ceremony::Login, challenge_id).await?;
        let factor =
            store::find_by_credential_id(&self.db, &encode_credential_id(&assertion.raw_id))
                .await?
                .filter(is_active_passkey);
        let verified = factor
            .as_ref()
            .and_then(|factor| verify_login(party, &assertion, ceremony, factor).transpose())
            .transpose()?;
        let (Some(factor), Some(verified)) = (factor, verified) else {
            return Err(self
                .passkey_login_failed(None, "not a passkey of this ceremony", client)
                .await);
        };
        let account = accounts::find_by_id(&self.db, &factor.user_id)
            .await?
            .filter(|u| u.is_active());
        let Some(account) = account else {
            let reason = "the account is not active";
            return Err(self
                .passkey_login_failed(Some(&factor), reason, client)
                .await);
        };
        match self.settle_assertion(&factor, verified, client).await? {
            Verdict::Accepted => {
                self.auth
                    .sign_in(account, "mfa.passkey_login", &["hwk"], client)
                    .await
            }
            Verdict::Refused(reason) => Err(self
                .passkey_login_failed(Some(&factor), &reason, client)
                .await),
            Verdict::Cloned => {
                let reason = "possible cloned authenticator";
                Err(self
                    .passkey_login_failed(Some(&factor), reason, client)
                    .await)
            }
        }
    }

    /// Audits a refused passwordless sign-in; the error to answer with.
    async fn passkey_login_failed(
        &self,
        factor: Option<&mfa_factor::Model>,
        reason: &str,
        client: &ClientInfo,
    ) -> Error {
        crate::telemetry::sign_in(&["hwk"], crate::telemetry::SignIn::Failure);
        let mut event = AuditEvent::new("mfa.passkey_login", Actor::Anonymous)
            .client(client.clone())
            .metadata(json!({ "reason": reason }))
            .failed();
        if let Some(factor) = factor {
            event.actor = Actor::User(UserId::from_trusted(factor.user_id.clone()));
            event = event.target("mfa_factor", &factor.id);
        }
        match audit::record(&self.db, self.clock.now(), event).await {
            Ok(()) => Error::Authentication,
            Err(err) => err.into(),
        }
    }

    /// Whether `json` answers a sign-in challenge: an assertion of one of the challenge's
    /// user's passkeys, made for the options issued with the challenge.
    pub(in crate::mfa) async fn accept_passkey_answer(
        &self,
        challenge_id: &str,
        challenge: &ChallengeState,
        json: &str,
        client: &ClientInfo,
    ) -> Result<bool, Error> {
        let party = self.passkeys()?;
        let assertion = relying_party::parse_assertion("passkey_assertion_json", json)?;
        let Some(state) = challenge.passkey_state.clone() else {
            return Ok(false);
        };
        let state: PasskeyAuthentication =
            serde_json::from_value(state).map_err(|e| Error::Internal(e.into()))?;
        let factor =
            store::find_by_credential_id(&self.db, &encode_credential_id(&assertion.raw_id))
                .await?
                .filter(|f| is_active_passkey(f) && f.user_id == challenge.user_id);
        let Some(factor) = factor else {
            return Ok(false);
        };
        let verified = party.finish_authentication(&assertion, &state);
        if verified.is_ok() {
            // Used up before the use is recorded: a second copy of the same assertion finds
            // no challenge (TOKEN_ERROR) instead of a counter that looks cloned.
            self.challenges.complete(challenge_id).await?;
        }
        let verdict = self.settle_assertion(&factor, verified, client).await?;
        Ok(matches!(verdict, Verdict::Accepted))
    }

    /// Records a verified assertion on its factor (counter, backup state, last use) unless the
    /// stored counter is already at or past it; a stale counter is audited as a clone.
    async fn settle_assertion(
        &self,
        factor: &mfa_factor::Model,
        verified: Result<AuthenticationResult, WebauthnError>,
        client: &ClientInfo,
    ) -> Result<Verdict, Error> {
        let now = self.clock.now();
        let result = match verified {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                self.clone_detected(factor, client, now).await?;
                return Ok(Verdict::Cloned);
            }
            Err(err) => return Ok(Verdict::Refused(err.to_string())),
        };
        let mut passkey = passkey_of(factor)?;
        passkey.update_credential(&result);
        let credential = to_json(&passkey)?;
        if store::record_passkey_use(&self.db, &factor.id, result.counter(), credential, now)
            .await?
        {
            Ok(Verdict::Accepted)
        } else {
            self.clone_detected(factor, client, now).await?;
            Ok(Verdict::Cloned)
        }
    }

    async fn clone_detected(
        &self,
        factor: &mfa_factor::Model,
        client: &ClientInfo,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Error> {
        tracing::warn!(user.id = %factor.user_id, mfa_factor.id = %factor.id, "a passkey presented a stale signature counter");
        let event = AuditEvent::new(
            "mfa.passkey_clone_detected",
            Actor::User(UserId::from_trusted(factor.user_id.clone())),
        )
        .target("mfa_factor", &factor.id)
        .client(client.clone())
        .failed();
        audit::record(&self.db, now, event).await?;
        Ok(())
    }
}

/// Verifies a passwordless sign-in's assertion of `factor` against its ceremony; None when
/// the ceremony is not one `factor` may answer (another user's, or decoy options).
fn verify_login(
    party: &RelyingParty,
    assertion: &PublicKeyCredential,
    ceremony: LoginCeremony,
    factor: &mfa_factor::Model,
) -> Result<Option<Result<AuthenticationResult, WebauthnError>>, Error> {
    match ceremony {
        LoginCeremony::Account {
            user_id: Some(user_id),
            state,
        } if user_id == factor.user_id => Ok(Some(party.finish_authentication(assertion, &state))),
        LoginCeremony::Discoverable { state }
            if party.discovered_user(assertion) == Some(user_handle(&factor.user_id)?) =>
        {
            let passkey = passkey_of(factor)?;
            Ok(Some(party.finish_discoverable_authentication(
                assertion, state, &passkey,
            )))
        }
        LoginCeremony::Account { .. } | LoginCeremony::Discoverable { .. } => Ok(None),
    }
}
