//! Outbound calls to identity providers: JSON over HTTP(S) with a timeout, no redirects and a
//! size cap, so a slow or hostile IdP can neither hang a sign-in nor exhaust memory.
//!
//! Problems become `Error::Sso` of the kind the caller names; messages never carry request
//! URLs (a query can hold a code) nor bodies we sent (they hold secrets).

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{Error, SsoFailure};

/// The largest answer read from an IdP (discovery documents and JWKS are a few KiB).
const MAX_BODY_BYTES: usize = 1 << 20;
/// How long one call to an IdP may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client for IdP calls. Redirects are not followed: every endpoint comes from the
/// configuration or the discovery document and must answer itself.
pub fn client() -> anyhow::Result<Client> {
    Ok(Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Janua/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// An IdP's answer: its status and (capped) body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as `T`; `what` names the call in the error.
    pub fn json<T: DeserializeOwned>(&self, what: &str, failure: SsoFailure) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::sso(failure, format!("{what}: unexpected answer ({e})")))
    }

    /// The body as `T` when the status is a success; otherwise an error naming the status.
    pub fn success<T: DeserializeOwned>(
        &self,
        what: &str,
        failure: SsoFailure,
    ) -> Result<T, Error> {
        if !self.status.is_success() {
            return Err(Error::sso(
                failure,
                format!(
                    "{what}: the identity provider answered HTTP {}",
                    self.status
                ),
            ));
        }
        self.json(what, failure)
    }
}

/// Sends `request` and reads the answer; an unreachable IdP is a `failure` naming `what`.
pub async fn send(
    request: RequestBuilder,
    what: &str,
    failure: SsoFailure,
) -> Result<Answer, Error> {
    let unreachable = |e: reqwest::Error| {
        Error::sso(
            failure,
            format!(
                "{what}: cannot reach the identity provider ({})",
                e.without_url()
            ),
        )
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let body = read_capped(response).await.map_err(unreachable)?;
    match body {
        Some(body) => Ok(Answer { status, body }),
        None => Err(Error::sso(
            failure,
            format!("{what}: the answer is larger than {MAX_BODY_BYTES} bytes"),
        )),
    }
}

/// The body, or None when it exceeds [`MAX_BODY_BYTES`].
async fn read_capped(mut response: Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}
