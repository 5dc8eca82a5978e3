//! The hosted pages' look (`JANUA_UI_*`): the product name, a logo and an accent colour the
//! operator chooses. Checked here so a page never renders a value a browser could read as
//! markup, script or a request to an insecure host.

use url::Url;

use super::vars::{ConfigError, Vars, parse_url, problem};

/// How the hosted pages present themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiTheme {
    /// `JANUA_UI_PRODUCT_NAME` (default "Janua"): the name in titles and headings.
    pub product_name: String,
    /// `JANUA_UI_LOGO_URL`: an https image shown above each page; unset, none.
    pub logo_url: Option<Url>,
    /// `JANUA_UI_ACCENT_COLOR` (default `#2952a3`): buttons and links, `#rgb` or `#rrggbb`.
    pub accent_color: String,
}

const DEFAULT_ACCENT: &str = "#2952a3";

pub(super) fn ui_theme(vars: &Vars) -> Result<UiTheme, ConfigError> {
    let product_name = match vars.get("JANUA_UI_PRODUCT_NAME") {
        None => "Janua".to_owned(),
        Some(name) if name.chars().count() > 64 || name.chars().any(char::is_control) => {
            return Err(problem(
                "JANUA_UI_PRODUCT_NAME",
                "must be at most 64 characters, without control characters",
            ));
        }
        Some(name) => name.to_owned(),
    };
    let logo_url = vars
        .get("JANUA_UI_LOGO_URL")
        .map(|raw| {
            let url = parse_url("JANUA_UI_LOGO_URL", raw)?;
            // An http logo on an https page is mixed content, and would tell a network
            // watcher which page is open.
            if url.scheme() != "https" || url.host_str().is_none() {
                return Err(problem("JANUA_UI_LOGO_URL", "must be an https URL"));
            }
            Ok(url)
        })
        .transpose()?;
    let accent_color = match vars.get("JANUA_UI_ACCENT_COLOR") {
        None => DEFAULT_ACCENT.to_owned(),
        Some(raw) if is_hex_colour(raw) => raw.to_ascii_lowercase(),
        Some(raw) => {
            return Err(problem(
                "JANUA_UI_ACCENT_COLOR",
                format!("expected a hex colour such as #2952a3 or #25a, got {raw:?}"),
            ));
        }
    };
    Ok(UiTheme {
        product_name,
        logo_url,
        accent_color,
    })
}

/// `#rgb` or `#rrggbb`: nothing a stylesheet could read as more than a colour.
fn is_hex_colour(raw: &str) -> bool {
    raw.strip_prefix('#').is_some_and(|digits| {
        matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit())
    })
}
