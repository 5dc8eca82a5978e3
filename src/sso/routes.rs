//! The browser legs of SSO, as plain HTTP routes beside the RPCs: SAML metadata and ACS,
//! OIDC and social callbacks. Each is thin: read the request, let the protocol module verify
//! the IdP's answer, then `conclude` sends the browser back to the app.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::ConnectInfo,
    response::{IntoResponse, Redirect, Response},
};
use http::HeaderMap;
use tonic::Status;
use url::Url;

use super::{Sso, identity::ExternalIdentity, pending::SignInSource};
use crate::{audit::ClientInfo, error::Error, server::App, server::gateway::reply};

/// The SSO routes, merged into the server's router.
pub fn router() -> Router<Arc<App>> {
    Router::new()
}

/// The client of a browser request, for audit events and sessions.
pub fn browser_client(headers: &HeaderMap, peer: Option<ConnectInfo<SocketAddr>>) -> ClientInfo {
    ClientInfo {
        ip_address: peer.map(|ConnectInfo(addr)| addr.ip().to_string()),
        user_agent: headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    }
}

/// Ends a browser sign-in. A verified identity is completed and the browser goes to the
/// app's `redirect_uri` with `?code=`; a failure is audited and the browser goes back with
/// `?error=<REASON>&error_description=…` when the app is known, or sees the JSON error
/// otherwise (nowhere safe to send it).
pub async fn conclude(
    sso: &Sso,
    source: Option<&SignInSource>,
    redirect_uri: Option<&Url>,
    verified: Result<ExternalIdentity, Error>,
    client: &ClientInfo,
) -> Response {
    let completed = match (verified, source, redirect_uri) {
        (Ok(identity), Some(source), Some(redirect_uri)) => {
            sso.complete(source, identity, redirect_uri, client).await
        }
        (Ok(_), _, _) => Err(Error::sso(
            crate::error::SsoFailure::Authentication,
            "the sign-in has no pending request to finish",
        )),
        (Err(error), _, _) => Err(error),
    };
    match completed {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(error) => {
            sso.record_failure(source, &error, client).await;
            failure_response(error, redirect_uri)
        }
    }
}

fn failure_response(error: Error, redirect_uri: Option<&Url>) -> Response {
    if let (Some(redirect_uri), Error::Sso { .. }) = (redirect_uri, &error) {
        let mut url = redirect_uri.clone();
        url.query_pairs_mut()
            .append_pair("error", error.reason())
            .append_pair("error_description", &error.to_string());
        return Redirect::to(url.as_str()).into_response();
    }
    reply::from_status(&Status::from(error), None)
}
