//! An authorization request in progress: kept in the shared cache (so any node serves the
//! next page) under a random id while the user signs in and consents, for at most
//! `INTERACTION_TTL`. It records the session the user signed in with on the way, which
//! satisfies `prompt=login` and `max_age` for this request only.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{AuthorizationRequest, AuthorizationServer};
use crate::{credentials::tokens, error::Error};

/// How long a user has to sign in and consent.
pub const INTERACTION_TTL: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Interaction {
    pub request: AuthorizationRequest,
    /// The session the user signed in with during this interaction.
    pub signed_in_session: Option<String>,
}

fn key(id: &str) -> String {
    format!("oauth:interaction:{}", tokens::digest(id))
}

fn unavailable(err: crate::cache::CacheError) -> Error {
    err.failed_in("the OAuth interaction store")
}

impl AuthorizationServer {
    /// Keeps `request` for the pages to come; its id.
    pub async fn begin_interaction(&self, request: AuthorizationRequest) -> Result<String, Error> {
        let id = tokens::new_opaque_token();
        let interaction = Interaction {
            request,
            signed_in_session: None,
        };
        self.save_interaction(&id, &interaction).await?;
        Ok(id)
    }

    /// The interaction `id` names; None when unknown, finished or expired.
    pub async fn interaction(&self, id: &str) -> Result<Option<Interaction>, Error> {
        if id.is_empty() || id.len() > 100 {
            return Ok(None);
        }
        let Some(bytes) = self.cache.get(&key(id)).await.map_err(unavailable)? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Records that the user signed in with `session_id` during the interaction.
    pub async fn interaction_signed_in(
        &self,
        id: &str,
        mut interaction: Interaction,
        session_id: &str,
    ) -> Result<Interaction, Error> {
        interaction.signed_in_session = Some(session_id.to_owned());
        self.save_interaction(id, &interaction).await?;
        Ok(interaction)
    }

    /// Ends the interaction: its request was answered.
    pub async fn end_interaction(&self, id: &str) -> Result<(), Error> {
        self.cache.delete(&key(id)).await.map_err(unavailable)?;
        Ok(())
    }

    async fn save_interaction(&self, id: &str, interaction: &Interaction) -> Result<(), Error> {
        let bytes =
            serde_json::to_vec(interaction).map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
        self.cache
            .set(&key(id), &bytes, INTERACTION_TTL)
            .await
            .map_err(unavailable)
    }
}
