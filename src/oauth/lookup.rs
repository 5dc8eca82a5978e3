//! The registry as the authorization server reads it: a client by its `client_id`, and a
//! confidential client's authentication with its secret. Disabled clients are unknown here.

use super::{OAuthClients, RegisteredClient, secret, store};
use crate::{error::Error, ids::OAuthClientId, store::entities::oauth_client::ClientType};

impl OAuthClients {
    /// The enabled client with this `client_id`, of any organization; None if there is
    /// none or it is disabled.
    pub async fn find_client(
        &self,
        client_id: &OAuthClientId,
    ) -> Result<Option<RegisteredClient>, Error> {
        Ok(store::find(&self.db, client_id)
            .await?
            .filter(|row| !row.disabled)
            .map(RegisteredClient::from_row))
    }

    /// The confidential client that `presented_secret` authenticates: its current secret,
    /// or the one its last rotation replaced until that expires. Unknown, disabled and
    /// public clients (which have no secret) and wrong secrets all get the same
    /// AUTHENTICATION_ERROR, which never says which it was.
    pub async fn authenticate_client(
        &self,
        client_id: &OAuthClientId,
        presented_secret: &str,
    ) -> Result<RegisteredClient, Error> {
        let now = self.clock.now();
        store::find(&self.db, client_id)
            .await?
            .filter(|row| {
                !row.disabled
                    && row.client_type == ClientType::Confidential
                    && secret::accepts(row, presented_secret, now)
            })
            .map(RegisteredClient::from_row)
            .ok_or(Error::Authentication)
    }

    /// Whether `origin` is the origin of a redirect URI of some enabled client (a CORS
    /// preflight names no client). Preflights are cached by browsers (`Access-Control-Max-Age`).
    pub async fn is_registered_origin(&self, origin: &str) -> Result<bool, Error> {
        let lists = store::enabled_redirect_uris(&self.db).await?;
        Ok(lists
            .iter()
            .filter_map(serde_json::Value::as_array)
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .filter_map(|uri| url::Url::parse(uri).ok())
            .any(|url| url.origin().ascii_serialization() == origin))
    }
}
