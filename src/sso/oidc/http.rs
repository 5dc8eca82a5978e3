//! Outbound calls to identity providers: JSON over HTTP(S) with a timeout, no redirects and a
//! size cap, so a slow or hostile IdP can neither hang a sign-in nor exhaust memory, through
//! the outbound guard (`crate::outbound`), so a connection's settings cannot make Janua call
//! loopback, private or metadata addresses the operator has not allowed.
//!
//! Problems become `Error::Sso` of the kind the caller names, with one message per call
//! whatever went wrong (refused address, unknown name, refused connection, timeout, TLS,
//! HTTP status, size, format): anyone may trigger discovery through StartSso, and answers that
//! told those apart would map the network behind Janua. The cause goes to the log only.
//! Messages and logs never carry request URLs (a query can hold a code) nor bodies we sent
//! (they hold secrets).

use std::{fmt, time::Duration};

use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::{
    error::{Error, SsoFailure},
    outbound::{self, OutboundPolicy},
};

/// The largest answer read from an IdP (discovery documents and JWKS are a few KiB).
const MAX_BODY_BYTES: usize = 1 << 20;
/// How long one call to an IdP may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client for IdP calls, reaching only addresses `policy` allows. Redirects are not
/// followed: every endpoint comes from the configuration or the discovery document and must
/// answer itself.
///
/// # Errors
/// When the client cannot be built (no TLS roots).
pub fn client(policy: OutboundPolicy) -> anyhow::Result<Client> {
    Ok(outbound::client_builder(policy)?
        .timeout(TIMEOUT)
        .user_agent(concat!("Janua/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// The error for a call that got no usable answer: the same for every cause, which goes to
/// the log.
fn no_usable_answer(what: &str, failure: SsoFailure, cause: &dyn fmt::Display) -> Error {
    tracing::warn!(sso.call = what, error = %cause, "identity provider call failed");
    uniform(what, failure)
}

fn uniform(what: &str, failure: SsoFailure) -> Error {
    Error::sso(
        failure,
        format!("{what}: the identity provider gave no usable answer"),
    )
}

/// An IdP's answer: its status and (capped) body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as `T`; `what` names the call in the error. Callers may try a shape and fall
    /// back to another, so a mismatch is logged at debug level only.
    pub fn json<T: DeserializeOwned>(&self, what: &str, failure: SsoFailure) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            tracing::debug!(sso.call = what, error = %e, "unexpected identity provider answer");
            uniform(what, failure)
        })
    }

    /// The body as `T` when the status is a success; otherwise the call's one error.
    pub fn success<T: DeserializeOwned>(
        &self,
        what: &str,
        failure: SsoFailure,
    ) -> Result<T, Error> {
        if !self.status.is_success() {
            let cause = format!("the identity provider answered HTTP {}", self.status);
            return Err(no_usable_answer(what, failure, &cause));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            let cause = format!("unexpected answer ({e})");
            no_usable_answer(what, failure, &cause)
        })
    }
}

/// Sends `request` and reads the answer; an IdP that cannot be reached (or may not be) is a
/// `failure` naming `what`.
pub async fn send(
    request: RequestBuilder,
    what: &str,
    failure: SsoFailure,
) -> Result<Answer, Error> {
    let (client, request) = request.build_split();
    let request = request.map_err(|e| Error::Internal(e.without_url().into()))?;
    // The host, never the whole URL: a query can hold a code.
    let host = request.url().host_str().unwrap_or_default().to_owned();
    let unreachable = |e: reqwest::Error| {
        let cause = format!("{host}: {}", outbound::describe(&e.without_url()));
        no_usable_answer(what, failure, &cause)
    };
    let response = client.execute(request).await.map_err(unreachable)?;
    let status = response.status();
    let body = outbound::read_capped(response, MAX_BODY_BYTES)
        .await
        .map_err(unreachable)?;
    match body {
        Some(body) => Ok(Answer { status, body }),
        None => {
            let cause = format!("the answer is larger than {MAX_BODY_BYTES} bytes");
            Err(no_usable_answer(what, failure, &cause))
        }
    }
}
