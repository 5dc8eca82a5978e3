//! Reading variables: the error that names the variable, and the parsers every section uses
//! (numbers, URLs, lists, client id/secret pairs).

use std::{
    cell::RefCell,
    collections::{BTreeSet, HashMap},
    net::IpAddr,
};

use secrecy::SecretString;
use url::Url;

use super::settings::OAuthClient;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

pub(super) fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// The variables, with empty values treated as unset. It notes each name it is asked for,
/// so a test can hold the variable table (`table.rs`) to what the reader really reads.
pub(super) struct Vars {
    values: HashMap<String, String>,
    asked: RefCell<BTreeSet<&'static str>>,
}

impl Vars {
    pub(super) fn new(values: HashMap<String, String>) -> Self {
        Self {
            values,
            asked: RefCell::default(),
        }
    }

    pub(super) fn get(&self, name: &'static str) -> Option<&str> {
        self.asked.borrow_mut().insert(name);
        self.values
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every name asked for so far.
    #[cfg(test)]
    pub(super) fn asked(&self) -> BTreeSet<&'static str> {
        self.asked.borrow().clone()
    }

    pub(super) fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| problem(name, format!("expected {expected}, got {raw:?}"))),
        }
    }

    pub(super) fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        let value = self.parsed(name, default, "a positive whole number")?;
        if value == 0 {
            return Err(problem(name, "must be greater than zero"));
        }
        Ok(value)
    }

    pub(super) fn url(&self, name: &'static str) -> Result<Option<Url>, ConfigError> {
        self.get(name).map(|raw| parse_url(name, raw)).transpose()
    }

    pub(super) fn url_list(&self, name: &'static str) -> Result<Vec<Url>, ConfigError> {
        list(self.get(name))
            .map(|raw| parse_url(name, raw))
            .collect()
    }

    pub(super) fn oauth_client(
        &self,
        prefix: &'static str,
    ) -> Result<Option<OAuthClient>, ConfigError> {
        let (id_var, secret_var): (&'static str, &'static str) = match prefix {
            "GOOGLE" => ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
            "GITHUB" => ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
            _ => ("MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET"),
        };
        match (self.get(id_var), self.get(secret_var)) {
            (None, None) => Ok(None),
            (Some(id), Some(secret)) => Ok(Some(OAuthClient {
                client_id: id.to_owned(),
                client_secret: SecretString::from(secret.to_owned()),
            })),
            (None, Some(_)) => Err(problem(
                id_var,
                format!("required when {secret_var} is set"),
            )),
            (Some(_), None) => Err(problem(
                secret_var,
                format!("required when {id_var} is set"),
            )),
        }
    }
}

pub(super) fn list(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// HTTPS, or HTTP to this machine (127.0.0.0/8, ::1, localhost).
pub fn is_secure_or_loopback(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

pub(super) fn parse_url(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| problem(name, format!("{raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem(name, format!("{raw:?} must be an http(s) URL")));
    }
    Ok(url)
}
