//! The WebAuthn relying party of passkeys: webauthn-rs, configured once at start-up from
//! `WEBAUTHN_RP_ID` / `WEBAUTHN_ORIGINS`; the state a ceremony keeps between its two halves
//! (in the shared cache for five minutes, used once); decoy options for an email that has no
//! passkeys; and the standard WebAuthn JSON at the edge (options out, the result of
//! `PublicKeyCredential.toJSON()` in). It knows nothing of users, rows or sessions — `passkeys`
//! decides what a verified ceremony means — and it never keeps ceremony state in the process,
//! so any node may finish a ceremony another began.
//!
//! Policy, as webauthn-rs's `Passkey` API fixes it (we do not fork the crate):
//! - user verification is **required**, at registration and at every assertion. Janua wanted
//!   "preferred", which this API does not offer: it asks for and checks the UV flag, so a
//!   passkey alone is a sign-in with two factors. An authenticator without UV (a PIN-less
//!   security key) cannot register.
//! - resident key: the API asks for "discouraged"; the creation options we send ask for
//!   **"preferred"** instead, so that authenticators store a discoverable credential and
//!   sign-in without an email works. webauthn-rs does not check residency when it verifies
//!   the response, so only the request changes.
//! - attestation "none"; algorithms ES256, RS256 and EdDSA; signature counters are checked
//!   (a counter that does not grow is refused as a possible clone).

use std::{sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};
use webauthn_rs::{
    Webauthn, WebauthnBuilder,
    fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator},
    prelude::{
        AuthenticationResult, CredentialID, DiscoverableAuthentication, Passkey,
        PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
        RegisterPublicKeyCredential, Uuid, WebauthnError,
    },
};
use webauthn_rs_proto::{AllowCredentials, ResidentKeyRequirement};

use crate::{cache::Cache, config::WebauthnSettings, error::Error};

/// How long a ceremony may take, from options to answer (also the authenticator timeout).
pub const CEREMONY_TTL: Duration = Duration::from_secs(5 * 60);

/// Which half-finished ceremonies the cache holds.
#[derive(Debug, Clone, Copy)]
pub enum Ceremony {
    Registration,
    Login,
}

impl Ceremony {
    fn key(self, id: &str) -> String {
        match self {
            Self::Registration => format!("mfa:passkey:registration:{id}"),
            Self::Login => format!("mfa:passkey:login:{id}"),
        }
    }
}

pub struct RelyingParty {
    webauthn: Webauthn,
    decoys: WebauthnFakeCredentialGenerator<FakePasskeyDistribution>,
    cache: Arc<dyn Cache>,
}

fn internal(context: &'static str) -> impl FnOnce(WebauthnError) -> Error {
    move |err| Error::Internal(anyhow::anyhow!("{context}: {err}"))
}

fn options_json(options: &impl Serialize) -> Result<String, Error> {
    serde_json::to_string(options).map_err(|e| Error::Internal(e.into()))
}

impl RelyingParty {
    /// The relying party of `settings` (validated by `Config`); `decoy_key` keys the decoy
    /// credential ids and must stay secret and stable across nodes and restarts.
    pub fn new(
        settings: &WebauthnSettings,
        decoy_key: &[u8],
        cache: Arc<dyn Cache>,
    ) -> anyhow::Result<Self> {
        let (first, others) = settings
            .origins
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("WEBAUTHN_ORIGINS: no origin"))?;
        let builder = WebauthnBuilder::new(&settings.rp_id, first).map_err(|e| {
            anyhow::anyhow!(
                "WEBAUTHN_RP_ID {:?} does not fit the origin {first}: {e}",
                settings.rp_id
            )
        })?;
        let webauthn = others
            .iter()
            .fold(builder, |builder, origin| {
                builder.append_allowed_origin(origin)
            })
            .timeout(CEREMONY_TTL)
            .build()
            .map_err(|e| anyhow::anyhow!("WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS: {e}"))?;
        let decoys = WebauthnFakeCredentialGenerator::new(decoy_key)
            .map_err(|e| anyhow::anyhow!("the passkey decoy key: {e}"))?;
        Ok(Self {
            webauthn,
            decoys,
            cache,
        })
    }

    /// Creation options (PublicKeyCredentialCreationOptionsJSON) for a new passkey of the user
    /// `user_handle`, and the state that verifies the answer.
    pub fn start_registration(
        &self,
        user_handle: Uuid,
        user_name: &str,
        display_name: &str,
        exclude: Vec<CredentialID>,
    ) -> Result<(String, PasskeyRegistration), Error> {
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (mut challenge, state) = self
            .webauthn
            .start_passkey_registration(user_handle, user_name, display_name, exclude)
            .map_err(internal("starting a passkey registration"))?;
        // See the module docs: ask for a discoverable credential where the authenticator can.
        if let Some(selection) = challenge.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Preferred);
            selection.require_resident_key = false;
        }
        Ok((options_json(&challenge.public_key)?, state))
    }

    pub fn finish_registration(
        &self,
        credential: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, WebauthnError> {
        self.webauthn.finish_passkey_registration(credential, state)
    }

    /// Request options (PublicKeyCredentialRequestOptionsJSON) for these passkeys of one user.
    pub fn start_authentication(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(String, PasskeyAuthentication), Error> {
        let (challenge, state) = self
            .webauthn
            .start_passkey_authentication(passkeys)
            .map_err(internal("starting a passkey authentication"))?;
        Ok((options_json(&challenge.public_key)?, state))
    }

    /// Options shaped like `start_authentication`'s for an account that has no passkeys (or
    /// does not exist): credential ids derived from `username` under the decoy key — stable
    /// across requests and nodes, of realistic number and length — so the answer does not
    /// tell whether the account exists. No assertion can satisfy the state.
    pub fn start_decoy_authentication(
        &self,
        username: &str,
    ) -> Result<(String, PasskeyAuthentication), Error> {
        let ids = self
            .decoys
            .generate(username.as_bytes())
            .map_err(internal("generating decoy credential ids"))?;
        let (mut challenge, state) = self
            .webauthn
            .start_passkey_authentication(&[])
            .map_err(internal("starting a decoy passkey authentication"))?;
        challenge.public_key.allow_credentials = ids
            .into_iter()
            .map(|id| AllowCredentials {
                type_: "public-key".into(),
                id,
                // As for real passkeys: webauthn-rs keeps no transports from a registration
                // with attestation "none", so their entries carry none either.
                transports: None,
            })
            .collect();
        Ok((options_json(&challenge.public_key)?, state))
    }

    /// Request options without credentials: the authenticator offers its discoverable
    /// credentials for this relying party and names the user in `userHandle`.
    pub fn start_discoverable_authentication(
        &self,
    ) -> Result<(String, DiscoverableAuthentication), Error> {
        let (challenge, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(internal("starting a discoverable authentication"))?;
        Ok((options_json(&challenge.public_key)?, state))
    }

    pub fn finish_authentication(
        &self,
        assertion: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<AuthenticationResult, WebauthnError> {
        self.webauthn
            .finish_passkey_authentication(assertion, state)
    }

    /// The user handle an assertion of a discoverable credential carries.
    pub fn discovered_user(&self, assertion: &PublicKeyCredential) -> Option<Uuid> {
        self.webauthn
            .identify_discoverable_authentication(assertion)
            .ok()
            .map(|(user, _)| user)
    }

    pub fn finish_discoverable_authentication(
        &self,
        assertion: &PublicKeyCredential,
        state: DiscoverableAuthentication,
        passkey: &Passkey,
    ) -> Result<AuthenticationResult, WebauthnError> {
        self.webauthn
            .finish_discoverable_authentication_v2(assertion, state, passkey)
    }

    /// Keeps a ceremony's state for `CEREMONY_TTL`; returns its id.
    pub async fn keep(&self, ceremony: Ceremony, state: &impl Serialize) -> Result<String, Error> {
        let id = uuid::Uuid::now_v7().to_string();
        let value = serde_json::to_vec(state).map_err(|e| Error::Internal(e.into()))?;
        self.cache
            .set(&ceremony.key(&id), &value, CEREMONY_TTL)
            .await
            .map_err(unavailable)?;
        Ok(id)
    }

    /// Takes a ceremony's state, once: an unknown, used or expired id is a TOKEN_ERROR.
    pub async fn take<T: DeserializeOwned>(
        &self,
        ceremony: Ceremony,
        id: &str,
    ) -> Result<T, Error> {
        let expired = || Error::Token("the passkey challenge is invalid, expired or used".into());
        if id.is_empty() {
            return Err(Error::invalid("challenge_id", "is required"));
        }
        let value = self
            .cache
            .take(&ceremony.key(id))
            .await
            .map_err(unavailable)?
            .ok_or_else(expired)?;
        serde_json::from_slice(&value).map_err(|_| expired())
    }
}

fn unavailable(err: crate::cache::CacheError) -> Error {
    err.failed_in("the passkey ceremony store")
}

/// A credential id as stored and indexed: base64url without padding.
pub fn encode_credential_id(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// A new credential as `PublicKeyCredential.toJSON()` gives it (RegistrationResponseJSON).
pub fn parse_registration(field: &str, json: &str) -> Result<RegisterPublicKeyCredential, Error> {
    let credential: RegisterPublicKeyCredential = parse_json(field, json)?;
    public_key_type(field, &credential.type_)?;
    Ok(credential)
}

/// An assertion as `PublicKeyCredential.toJSON()` gives it (AuthenticationResponseJSON).
pub fn parse_assertion(field: &str, json: &str) -> Result<PublicKeyCredential, Error> {
    let assertion: PublicKeyCredential = parse_json(field, json)?;
    public_key_type(field, &assertion.type_)?;
    Ok(assertion)
}

fn parse_json<T: DeserializeOwned>(field: &str, json: &str) -> Result<T, Error> {
    if json.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        Error::invalid(
            field,
            format!("is not WebAuthn credential JSON{at}: {}", err.inner()),
        )
    })
}

fn public_key_type(field: &str, kind: &str) -> Result<(), Error> {
    if kind == "public-key" {
        Ok(())
    } else {
        Err(Error::invalid(field, "type must be \"public-key\""))
    }
}

#[cfg(test)]
#[path = "relying_party_tests.rs"]
mod tests;
