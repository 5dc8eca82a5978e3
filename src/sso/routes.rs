//! The browser legs of SSO, as plain HTTP routes beside the RPCs: SAML metadata and ACS,
//! OIDC and social callbacks. Each is thin: read the request, let the protocol module verify
//! the IdP's answer, then `conclude` sends the browser back to the app.

use std::sync::Arc;

use axum::{
    Extension, Router,
    extract::{Form, Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use http::HeaderMap;
use tonic::Status;
use url::Url;

use super::{
    Sso,
    identity::ExternalIdentity,
    oidc,
    pending::{LinkTarget, SignInSource},
    saml,
};
use crate::{
    audit::ClientInfo,
    client_address::ClientAddress,
    error::Error,
    ids::ConnectionId,
    rpc::{self, reply},
};

/// The SSO routes, with the SSO capability as their state, for the server to merge into its
/// router (whatever that router's own state).
pub fn router<S: Clone + Send + Sync + 'static>(sso: Arc<Sso>) -> Router<S> {
    Router::new()
        .route(
            "/api/v1/sso/oidc/{connection_id}/callback",
            get(oidc_callback),
        )
        .route(
            "/api/v1/sso/social/{provider}/callback",
            get(social_callback),
        )
        .route(
            "/api/v1/sso/saml/{connection_id}/metadata",
            get(saml_metadata),
        )
        .route("/api/v1/sso/saml/{connection_id}/acs", post(saml_acs))
        .with_state(sso)
}

/// The connection a browser route's path names.
fn connection_id_of(raw: &str) -> Result<ConnectionId, Error> {
    ConnectionId::parse("connection_id", raw)
}

/// `GET /api/v1/sso/saml/{connection_id}/metadata`: the SP metadata for the IdP.
async fn saml_metadata(
    State(sso): State<Arc<Sso>>,
    Path(connection_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let metadata = match connection_id_of(&connection_id) {
        Ok(connection_id) => saml::metadata(&sso, &connection_id).await,
        Err(error) => Err(error),
    };
    match metadata {
        Ok(xml) => (
            [(http::header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(error) => reply::from_status(&Status::from(error), reply::request_id(&headers)),
    }
}

/// The HTTP-POST binding's form.
#[derive(Debug, serde::Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    relay_state: String,
}

/// `POST /api/v1/sso/saml/{connection_id}/acs`: the IdP's response, through the browser.
async fn saml_acs(
    State(sso): State<Arc<Sso>>,
    Path(connection_id): Path<String>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    Form(form): Form<AcsForm>,
) -> Response {
    let client = rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    let connection_id = match connection_id_of(&connection_id) {
        Ok(connection_id) => connection_id,
        Err(error) => {
            return reply::from_status(&Status::from(error), reply::request_id(&headers));
        }
    };
    let source = SignInSource::Connection(connection_id.clone());
    let (redirect, link_to, verified) =
        saml::acs(&sso, &connection_id, &form.saml_response, &form.relay_state).await;
    let finishing = Finishing {
        source: Some(&source),
        redirect_uri: redirect.as_ref(),
        link_to: link_to.as_ref(),
    };
    conclude(
        &sso,
        finishing,
        verified,
        &client,
        reply::request_id(&headers),
    )
    .await
}

/// `GET /api/v1/sso/oidc/{connection_id}/callback?code&state` (or `?error=`).
async fn oidc_callback(
    State(sso): State<Arc<Sso>>,
    Path(connection_id): Path<String>,
    Query(query): Query<oidc::CallbackQuery>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
) -> Response {
    let source = match connection_id_of(&connection_id) {
        Ok(connection_id) => SignInSource::Connection(connection_id),
        Err(error) => {
            return reply::from_status(&Status::from(error), reply::request_id(&headers));
        }
    };
    callback(
        &sso,
        source,
        &query,
        &rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a)),
        reply::request_id(&headers),
    )
    .await
}

/// `GET /api/v1/sso/social/{provider}/callback?code&state` (or `?error=`).
async fn social_callback(
    State(sso): State<Arc<Sso>>,
    Path(provider): Path<String>,
    Query(query): Query<oidc::CallbackQuery>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
) -> Response {
    let source = SignInSource::Social(provider);
    callback(
        &sso,
        source,
        &query,
        &rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a)),
        reply::request_id(&headers),
    )
    .await
}

async fn callback(
    sso: &Sso,
    source: SignInSource,
    query: &oidc::CallbackQuery,
    client: &ClientInfo,
    request_id: Option<&str>,
) -> Response {
    let (pending, verified) = oidc::finish_callback(sso, source, query).await;
    let known = pending.as_ref();
    let finishing = Finishing {
        source: known.map(|p| &p.source),
        redirect_uri: known.map(|p| &p.redirect_uri),
        link_to: known.and_then(|p| p.link_to.as_ref()),
    };
    conclude(sso, finishing, verified, client, request_id).await
}

/// What is known of the sign-in an IdP's answer ends (nothing, for an unknown state).
pub struct Finishing<'a> {
    pub source: Option<&'a SignInSource>,
    pub redirect_uri: Option<&'a Url>,
    pub link_to: Option<&'a LinkTarget>,
}

/// Ends a browser sign-in. A verified identity is completed and the browser goes to the
/// app's `redirect_uri` with `?code=`; a failure is audited and the browser goes back with
/// `?error=<REASON>&error_description=…` when the app is known, or sees the JSON error
/// otherwise (nowhere safe to send it).
pub async fn conclude(
    sso: &Sso,
    finishing: Finishing<'_>,
    verified: Result<ExternalIdentity, Error>,
    client: &ClientInfo,
    request_id: Option<&str>,
) -> Response {
    let Finishing {
        source,
        redirect_uri,
        link_to,
    } = finishing;
    let completed = match (verified, source, redirect_uri) {
        (Ok(identity), Some(source), Some(redirect_uri)) => {
            sso.complete(source, identity, redirect_uri, link_to, client)
                .await
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
            failure_response(error, redirect_uri, request_id)
        }
    }
}

fn failure_response(
    error: Error,
    redirect_uri: Option<&Url>,
    request_id: Option<&str>,
) -> Response {
    if let (Some(redirect_uri), Error::Sso { .. }) = (redirect_uri, &error) {
        let mut url = redirect_uri.clone();
        url.query_pairs_mut()
            .append_pair("error", error.reason())
            .append_pair("error_description", &error.to_string());
        return Redirect::to(url.as_str()).into_response();
    }
    reply::from_status(&Status::from(error), request_id)
}
