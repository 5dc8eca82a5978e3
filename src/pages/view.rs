//! What the pages show: the templates (askama, compiled into the binary, HTML-escaped), the
//! answer a rendered page becomes, the stylesheet, and how a domain error reads on a page.

use std::{sync::Arc, time::Duration};

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};

use super::Pages;
use crate::{config::UiTheme, error::Error, rpc::reply::http_status};

pub(super) const STYLESHEET_PATH: &str = "/pages/style.css";

/// A terminal answer: done, or why not.
#[derive(Template)]
#[template(path = "message.html", config = "src/pages/askama.toml")]
pub(super) struct MessagePage<'a> {
    pub theme: &'a UiTheme,
    pub title: &'a str,
    pub text: &'a str,
    pub detail: Option<&'a str>,
    pub success: bool,
}

/// One button that spends a link's token (verification, magic link).
#[derive(Template)]
#[template(path = "confirm.html", config = "src/pages/askama.toml")]
pub(super) struct ConfirmPage<'a> {
    pub theme: &'a UiTheme,
    pub title: &'a str,
    pub intro: &'a str,
    pub button: &'a str,
    pub action: &'a str,
    pub csrf_token: &'a str,
    pub token: &'a str,
}

/// The rendered stylesheet, with the operator's accent colour.
pub(super) struct Stylesheet(String);

#[derive(Template)]
#[template(path = "style.css", config = "src/pages/askama.toml")]
struct StylesheetTemplate<'a> {
    accent: &'a str,
}

impl Stylesheet {
    pub(super) fn render(theme: &UiTheme) -> anyhow::Result<Self> {
        let css = StylesheetTemplate {
            accent: &theme.accent_color,
        }
        .render()?;
        Ok(Self(css))
    }
}

/// `GET /pages/style.css`.
pub(super) async fn stylesheet(State(pages): State<Arc<Pages>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages.stylesheet.0.clone(),
    )
        .into_response()
}

/// A rendered page, its status, and the form cookie to set with it.
pub(super) struct Page {
    status: StatusCode,
    html: Result<String, askama::Error>,
    cookie: Option<HeaderValue>,
}

impl Page {
    pub(super) fn new(status: StatusCode, template: &impl Template) -> Self {
        Self {
            status,
            html: template.render(),
            cookie: None,
        }
    }

    pub(super) fn ok(template: &impl Template) -> Self {
        Self::new(StatusCode::OK, template)
    }

    /// Sets the browser's new form cookie along with the page (None: it has one).
    pub(super) fn with_cookie(mut self, cookie: Option<HeaderValue>) -> Self {
        self.cookie = cookie;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = match self.html {
            Ok(html) => html,
            Err(err) => {
                tracing::error!(error = %err, "rendering a page failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        };
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response();
        if let Some(cookie) = self.cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A domain error as a page tells it: the HTTP status, the message, and the form field it is
/// about (a validation error's), so the form can show it beside that field.
pub(super) struct Trouble {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
    /// The link (or sign-in) is spent, unknown or expired: the form cannot be tried again.
    pub dead_link: bool,
}

pub(super) const DEAD_LINK: &str =
    "This link is invalid, has expired or was already used. Ask for a new one.";

impl Trouble {
    /// `wrong_credentials` is what the page says for AUTHENTICATION_ERROR (a wrong
    /// password, a wrong code), which never says which part was wrong.
    pub(super) fn of(error: Error, wrong_credentials: &str) -> Self {
        let status = http_status(error.code(), error.reason());
        let (message, field, dead_link) = match error {
            Error::Validation {
                violations,
                message,
            } => match violations.into_iter().next() {
                // What the link or the sign-in carried, not what the person typed.
                Some(violation) if matches!(violation.field.as_str(), "token" | "challenge_id") => {
                    (DEAD_LINK.to_owned(), None, true)
                }
                Some(violation) => (violation.description, Some(violation.field), false),
                None => (message, None, false),
            },
            Error::Authentication => (wrong_credentials.to_owned(), None, false),
            Error::Token(_) | Error::NotFound(_) => (DEAD_LINK.to_owned(), None, true),
            Error::AccountLocked { retry_after } => (
                format!(
                    "Too many failed attempts: the account is locked for now. Try again {}.",
                    in_minutes(retry_after)
                ),
                None,
                false,
            ),
            Error::RateLimited { retry_after } => (
                format!("Too many attempts. Try again {}.", in_minutes(retry_after)),
                None,
                false,
            ),
            Error::Internal(cause) => {
                tracing::error!(error = ?cause, "a hosted page failed");
                (
                    "Something went wrong on our side. Please try again later.".to_owned(),
                    None,
                    false,
                )
            }
            // The remaining domain messages are written for clients.
            other => (sentence(&other.to_string()), None, false),
        };
        Self {
            status,
            message,
            field,
            dead_link,
        }
    }

    /// The message for `field`, after its `label`, when this trouble is about that field:
    /// "The password must be at least 10 characters."
    pub(super) fn on_field(&self, field: &str, label: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| about_field(label, &self.message))
    }

    /// The message when it is about no field of the form (a form-wide notice).
    pub(super) fn form_wide(&self, fields: &[&str]) -> Option<String> {
        match &self.field {
            Some(field) if fields.contains(&field.as_str()) => None,
            Some(field) => Some(about_field(field, &self.message)),
            None => Some(self.message.clone()),
        }
    }
}

/// "in N minutes" (at least one).
fn in_minutes(wait: Duration) -> String {
    match wait.as_secs().div_ceil(60) {
        0 | 1 => "in a minute".to_owned(),
        minutes => format!("in {minutes} minutes"),
    }
}

/// A domain message as a sentence: capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// A field's validation message with the field's name before it.
pub(super) fn about_field(label: &str, description: &str) -> String {
    sentence(&format!("{label} {description}"))
}
