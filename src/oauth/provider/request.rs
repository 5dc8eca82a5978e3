//! The form body of an OAuth request (RFC 6749 §3.2): `application/x-www-form-urlencoded`
//! only, each parameter at most once, and a parameter sent without a value treated as
//! omitted (§3.1).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};

use super::error::OAuthError;

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// The parameters of a form-encoded `body`; anything else is `invalid_request`.
    pub fn from_form(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let mut params = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} is given more than once"
                )));
            }
        }
        Ok(Self(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter the request must carry.
    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("the parameter {name} is required")))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use axum::http::HeaderValue;

    use super::*;

    fn form() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        headers
    }

    #[test]
    fn form_parameters_decode_and_empty_ones_count_as_omitted() {
        let params =
            Params::from_form(&form(), b"grant_type=client_credentials&scope=a+b%3Ac&x=").unwrap();
        assert_eq!(params.get("scope"), Some("a b:c"));
        assert_eq!(params.get("x"), None);
        assert!(params.required("x").is_err());
    }

    #[test]
    fn repeated_parameters_and_other_bodies_are_invalid_requests() {
        let twice = Params::from_form(&form(), b"scope=a&scope=b").unwrap_err();
        assert_eq!(twice.code(), "invalid_request");
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let refused =
            Params::from_form(&json, b"{\"grant_type\":\"client_credentials\"}").unwrap_err();
        assert_eq!(refused.code(), "invalid_request");
        assert!(Params::from_form(&HeaderMap::new(), b"a=b").is_err());
    }
}
