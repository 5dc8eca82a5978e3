//! What every page does with its form: the token a link carries, the CSRF token a form is
//! rendered with, and the POSTed fields once the CSRF checks passed (else the refusal page).

use std::{convert::Infallible, sync::Arc};

use axum::{
    extract::{Form, FromRequest, Request, State},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};
use http::{HeaderMap, HeaderValue, StatusCode, Uri};

use super::{
    Pages,
    csrf::Refusal,
    view::{ConfirmPage, MessagePage, Page},
};
use crate::{audit::ClientInfo, client_address::ClientAddress, rpc};

/// Longer than any token Janua mails; a longer `token=` is no link of ours.
const MAX_TOKEN_CHARS: usize = 256;

/// The fields of every page's form (each page reads its own; absent ones are empty).
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct Posted {
    pub csrf_token: String,
    /// The link's one-time token, carried from the page's URL in a hidden field.
    pub token: String,
    /// Which step of a page's flow the form belongs to (`sign_in`, `second_factor`).
    pub step: String,
    pub new_password: String,
    pub confirm_password: String,
    pub email: String,
    pub password: String,
    pub challenge_id: String,
    pub totp_code: String,
    pub recovery_code: String,
    /// A code sent by SMS or email (SendMfaCode's), answering the challenge.
    pub otp_code: String,
    /// The factor to send a code to: the second-factor form's "Send a code" buttons.
    pub send_code_to: String,
    /// The button pressed on a page with several (`allow`, `deny`, `logout`).
    pub decision: String,
    /// RP-initiated logout's parameters (posted by the application or carried by the
    /// confirmation form).
    pub id_token_hint: String,
    pub client_id: String,
    pub post_logout_redirect_uri: String,
    pub state: String,
    /// A passkey's answer (`PublicKeyCredential.toJSON()`), posted by the sign-in page.
    pub credential_json: String,
}

/// A POST to a page, as received: its headers, the client's address and the form, if it
/// parsed. `Pages::accepted` decides whether it may change anything.
pub(super) struct Submission {
    headers: HeaderMap,
    address: Option<ClientAddress>,
    form: Option<Posted>,
}

impl<S: Send + Sync> FromRequest<S> for Submission {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let address = request.extensions().get::<ClientAddress>().cloned();
        let form = Form::<Posted>::from_request(request, state)
            .await
            .ok()
            .map(|Form(posted)| posted);
        Ok(Self {
            headers,
            address,
            form,
        })
    }
}

impl Submission {
    /// The form, if it parsed (not yet checked: see `Pages::accepted`).
    pub(super) fn form(&self) -> Option<&Posted> {
        self.form.as_ref()
    }

    /// Who sent it.
    pub(super) fn client(&self) -> ClientInfo {
        rpc::client_of(&self.headers, self.address.as_ref())
    }

    /// The form of a POST that changes nothing by itself (it is checked like a GET).
    pub(super) fn into_form(self) -> Option<Posted> {
        self.form
    }
}

/// The `token` of a link's URL, when it has one of a plausible length.
fn link_token(uri: &Uri) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty() && token.len() <= MAX_TOKEN_CHARS)
}

/// The `GET` route of a one-button page (`Confirmation`).
pub(super) fn one_button_page(page: &'static Confirmation) -> MethodRouter<Arc<Pages>> {
    get(
        move |State(pages): State<Arc<Pages>>, uri: Uri, headers: HeaderMap| async move {
            pages.show_confirmation(page, &uri, &headers)
        },
    )
}

/// An opened link: its token, the CSRF token of the form that will carry it, and the cookie
/// to set when the browser has none yet.
pub(super) struct OpenedLink {
    pub token: String,
    pub csrf_token: String,
    pub cookie: Option<HeaderValue>,
}

/// A page whose form is one button that spends the link (verification, magic link).
pub(super) struct Confirmation {
    pub form: &'static str,
    pub action: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub button: &'static str,
}

impl Pages {
    /// The link a GET opened, with what its page's form needs; the incomplete-link page when
    /// it has no token.
    pub(super) fn opened_link(
        &self,
        form: &str,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<OpenedLink, Page> {
        let token = link_token(uri).ok_or_else(|| self.incomplete_link())?;
        let secret = self.forms.browser_secret(headers);
        Ok(OpenedLink {
            token,
            csrf_token: self.forms.token(form, &secret),
            cookie: self.forms.set_cookie(&secret),
        })
    }

    /// The page of a one-button link: the button; the token stays unspent.
    fn show_confirmation(
        &self,
        page: &Confirmation,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Response, Page> {
        let link = self.opened_link(page.form, uri, headers)?;
        Ok(Page::ok(&ConfirmPage {
            theme: &self.theme,
            title: page.title,
            intro: page.intro,
            button: page.button,
            action: page.action,
            csrf_token: &link.csrf_token,
            token: &link.token,
        })
        .with_cookie(link.cookie)
        .into_response())
    }

    /// The POSTed form `form` once it passed the CSRF checks, and who sent it; else the page
    /// that refuses it. A refused form has changed nothing.
    pub(super) fn accepted(
        &self,
        form: &str,
        submission: Submission,
    ) -> Result<(Posted, ClientInfo), Page> {
        let Some(posted) = submission.form else {
            return Err(self.message(
                StatusCode::BAD_REQUEST,
                "Something is missing",
                "The form did not arrive as sent. Open the link from the mail again.",
            ));
        };
        match self
            .forms
            .check(form, &submission.headers, &posted.csrf_token)
        {
            Ok(()) => {
                let client = rpc::client_of(&submission.headers, submission.address.as_ref());
                Ok((posted, client))
            }
            Err(Refusal::CrossOrigin) => Err(self.message(
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form was sent from another site, so nothing was changed.",
            )),
            Err(Refusal::Token) => Err(self.message(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form has expired or was opened in another browser, so nothing was \
                 changed. Open the link from the mail again.",
            )),
        }
    }

    /// The page for a link without a token.
    pub(super) fn incomplete_link(&self) -> Page {
        self.message(
            StatusCode::BAD_REQUEST,
            "Incomplete link",
            "This link is incomplete. Open it from the mail again, or copy the whole address \
             into the browser.",
        )
    }

    /// A page that says what went wrong, and offers nothing to do.
    pub(super) fn message(&self, status: StatusCode, title: &str, text: &str) -> Page {
        Page::new(
            status,
            &MessagePage {
                theme: &self.theme,
                title,
                text,
                detail: None,
                success: false,
            },
        )
    }

    /// A page that says it worked.
    pub(super) fn done(&self, title: &str, text: &str, detail: Option<&str>) -> Page {
        Page::ok(&MessagePage {
            theme: &self.theme,
            title,
            text,
            detail,
            success: true,
        })
    }
}
