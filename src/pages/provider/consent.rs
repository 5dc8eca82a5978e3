//! The consent page: what the application asks for, for the signed-in user, with Allow and
//! Deny. Allow remembers the scopes for this user and application and issues the code;
//! Deny sends `access_denied` back. Without a live browser session the request goes back
//! to the sign-in page.

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Redirect, Response},
};
use http::HeaderMap;

use super::{CONSENT_PATH, SIGN_IN_PATH, interaction_id, with_form_target};
use crate::{
    config::UiTheme,
    pages::{Pages, form::Submission, view::Page},
};

const FORM: &str = "oauth-consent";

#[derive(Template)]
#[template(path = "oauth_consent.html", config = "src/pages/askama.toml")]
struct ConsentPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    client_name: &'a str,
    scopes: &'a [String],
    email: &'a str,
    action: &'a str,
    csrf_token: &'a str,
    interaction: &'a str,
}

/// `GET`: the question.
pub(in crate::pages) async fn show(
    State(pages): State<Arc<Pages>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let id = interaction_id(query.as_deref());
    let interaction = pages.live_interaction(&id).await?;
    let Some(session) = pages.browser_session(&headers).await else {
        return Ok(Redirect::to(&format!("{SIGN_IN_PATH}?token={id}")).into_response());
    };
    let secret = pages.forms.browser_secret(&headers);
    let csrf_token = pages.forms.token(FORM, &secret);
    let client_name = match pages.provider.request_client(&interaction.request).await {
        Ok(Some(client)) => client.settings.name,
        Ok(None) => return Err(pages.failure_page(crate::error::Error::NotFound("oauth client"))),
        Err(error) => return Err(pages.failure_page(error)),
    };
    let page = Page::ok(&ConsentPage {
        theme: &pages.theme,
        title: "Allow access",
        client_name: &client_name,
        scopes: &interaction.request.scopes,
        email: &session.user.email,
        action: CONSENT_PATH,
        csrf_token: &csrf_token,
        interaction: &id,
    })
    .with_cookie(pages.forms.set_cookie(&secret));
    Ok(with_form_target(
        &pages,
        page.into_response(),
        &interaction.request.redirect_uri,
    ))
}

/// `POST`: Allow or Deny.
pub(in crate::pages) async fn submit(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    let interaction = pages.live_interaction(&posted.token).await?;
    let Some(session) = pages.browser_session(&headers).await else {
        return Ok(Redirect::to(&format!("{SIGN_IN_PATH}?token={}", posted.token)).into_response());
    };
    let answered = match posted.decision.as_str() {
        "allow" => {
            pages
                .provider
                .consent_given(&interaction, &session, &client)
                .await
        }
        "deny" => {
            pages
                .provider
                .consent_denied(&interaction, &session, &client)
                .await
        }
        _ => {
            return Ok(
                Redirect::to(&format!("{CONSENT_PATH}?token={}", posted.token)).into_response(),
            );
        }
    };
    match answered {
        Ok(to) => {
            let _ = pages.provider.end_interaction(&posted.token).await;
            Ok(Redirect::to(&to).into_response())
        }
        Err(error) => Err(pages.failure_page(error)),
    }
}
