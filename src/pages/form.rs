//! What every page does with its form: the token a link carries, the CSRF token a form is
//! rendered with, and the POSTed fields once the CSRF checks passed (else the refusal page).

use axum::extract::{Form, rejection::FormRejection};
use http::{HeaderMap, HeaderValue, StatusCode, Uri};

use super::{
    Pages,
    csrf::Refusal,
    view::{MessagePage, Page},
};

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
}

/// The `token` of a link's URL, when it has one of a plausible length.
pub(super) fn link_token(uri: &Uri) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .filter(|token| !token.is_empty() && token.len() <= MAX_TOKEN_CHARS)
}

/// A form's CSRF token for this browser, and the cookie to set when it has none yet.
pub(super) struct FormToken {
    pub csrf_token: String,
    pub cookie: Option<HeaderValue>,
}

impl Pages {
    pub(super) fn form_token(&self, form: &str, headers: &HeaderMap) -> FormToken {
        let secret = self.forms.browser_secret(headers);
        FormToken {
            csrf_token: self.forms.token(form, &secret),
            cookie: self.forms.set_cookie(&secret),
        }
    }

    /// The POSTed form `form` once it passed the CSRF checks; else the page that refuses it.
    /// A refused form has changed nothing.
    pub(super) fn accepted(
        &self,
        form: &str,
        headers: &HeaderMap,
        posted: Result<Form<Posted>, FormRejection>,
    ) -> Result<Posted, Page> {
        let Ok(Form(posted)) = posted else {
            return Err(self.message(
                StatusCode::BAD_REQUEST,
                "Something is missing",
                "The form did not arrive as sent. Open the link from the mail again.",
            ));
        };
        match self.forms.check(form, headers, &posted.csrf_token) {
            Ok(()) => Ok(posted),
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
