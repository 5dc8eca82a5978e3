//! The "continue with" buttons of the sign-in page: an SSO connection of the application's
//! organization, or a configured social provider. The button (a link: starting a sign-in
//! elsewhere changes nothing here) remembers the interaction in a short-lived cookie and
//! sends the browser to the identity provider; its answer comes back, through Janua's SSO
//! routes, to `SSO_RETURN_PATH` with a single-use code, which signs the user in (with the
//! second factor when the account has one) and lets the request go on.

use std::sync::Arc;

use axum::{
    Extension,
    extract::{RawQuery, State},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::{SSO_RETURN_PATH, interaction_id, sign_in, with_form_target};
use crate::{
    client_address::ClientAddress,
    pages::{
        Pages,
        second_factor::{self, SecondFactorForm},
        session::FirstFactor,
    },
    sso::{Exchanged, target_of},
};

/// The cookie naming the interaction an SSO sign-in belongs to.
const COOKIE: &str = "janua_oauth_sso";

/// `GET SSO_START_PATH?token=<interaction>&via=<choice>`.
pub(in crate::pages) async fn start(
    State(pages): State<Arc<Pages>>,
    RawQuery(query): RawQuery,
) -> Response {
    let id = interaction_id(query.as_deref());
    if let Err(page) = pages.live_interaction(&id).await {
        return page.into_response();
    }
    let via = url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(name, _)| name == "via")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let Some(target) = target_of(&via) else {
        return pages
            .message(
                StatusCode::BAD_REQUEST,
                "Sign-in refused",
                "That way to sign in is unknown.",
            )
            .into_response();
    };
    let return_to = format!(
        "{}{SSO_RETURN_PATH}",
        pages.issuer.as_str().trim_end_matches('/')
    );
    match pages.sso.start(target, &return_to, None).await {
        Ok(url) => {
            let mut response = Redirect::to(url.as_str()).into_response();
            let secure = if pages.secure_cookies { "; Secure" } else { "" };
            if let Ok(cookie) = HeaderValue::from_str(&format!(
                "{COOKIE}={id}; Path={SSO_RETURN_PATH}; HttpOnly; SameSite=Lax; Max-Age=1800{secure}"
            )) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => pages.failed(error),
    }
}

/// `GET SSO_RETURN_PATH?code=…` (or `?error=…`): the identity provider vouched (or not).
pub(in crate::pages) async fn returned(
    State(pages): State<Arc<Pages>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
) -> Response {
    let client = crate::rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    let Some(id) = cookie(&headers) else {
        return pages
            .message(
                StatusCode::BAD_REQUEST,
                "Sign-in expired",
                "This sign-in has expired or was started in another browser. Go back to the \
                 application and start again.",
            )
            .into_response();
    };
    let interaction = match pages.live_interaction(&id).await {
        Ok(interaction) => interaction,
        Err(page) => return page.into_response(),
    };
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if !param("error").is_empty() {
        return pages
            .message(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The sign-in with your identity provider did not succeed. Go back and try \
                 again, or sign in another way.",
            )
            .into_response();
    }
    let outcome = match pages.sso.exchange_code(param("code"), None, &client).await {
        Ok(Exchanged::SignIn(outcome)) => pages.first_factor(outcome).await,
        Ok(Exchanged::Linked(_)) => Err(crate::error::Error::Token("not a sign-in".into())),
        Err(error) => Err(error),
    };
    let response = match outcome {
        Ok(FirstFactor::SignedIn(signed_in)) => {
            sign_in::signed_in_now(&pages, &id, interaction.clone(), &signed_in, &client).await
        }
        Ok(FirstFactor::SecondFactorNeeded { challenge_id }) => {
            let secret = pages.forms.browser_secret(&headers);
            let csrf_token = pages.forms.token(sign_in::FORM, &secret);
            let form = SecondFactorForm {
                action: super::SIGN_IN_PATH,
                csrf_token: &csrf_token,
                challenge_id: &challenge_id,
                token: Some(&id),
            };
            pages
                .second_factor_form(&form, second_factor::Shown::Fresh)
                .await
                .with_cookie(pages.forms.set_cookie(&secret))
                .into_response()
        }
        Err(error) => pages.failed(error),
    };
    with_form_target(&pages, response, &interaction.request.redirect_uri)
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    crate::pages::cookies::value(headers, COOKIE).map(str::to_owned)
}
