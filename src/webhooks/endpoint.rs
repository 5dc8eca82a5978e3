//! The rules of an endpoint's settings: its URL (absolute http(s), https in production, http
//! only to loopback in development, no user information or fragment, and not an address the
//! outbound policy refuses), its event types (from the catalogue, no duplicates) and its
//! description. Rules only: no storage, no network beyond the URL's DNS check.

use url::Url;

use crate::{
    config::{OutboundPolicy, is_secure_or_loopback},
    error::Error,
    outbound::{GuardedResolver, Refused, refused_literal},
    webhook_events::is_event_type,
};

const MAX_URL_CHARS: usize = 2000;
const MAX_DESCRIPTION_CHARS: usize = 500;
const MAX_EVENT_TYPES: usize = 100;

/// What a create or update sets; None = unchanged (update) or default (create).
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Where an endpoint may point under the operator's settings.
#[derive(Debug, Clone, Copy)]
pub struct UrlRules {
    pub require_https: bool,
    pub policy: OutboundPolicy,
}

/// The URL as stored, or VALIDATION_ERROR on `url`. The host is resolved and refused when
/// every address it resolves to is one the policy refuses (it is checked again at every
/// delivery, where the connection is made); a name that does not resolve yet passes.
pub async fn check_url(raw: &str, rules: UrlRules) -> Result<String, Error> {
    let invalid = |why: &str| Error::invalid("url", why);
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid("is required"));
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(invalid("must be at most 2000 characters"));
    }
    let url = Url::parse(raw).map_err(|_| invalid("is not an absolute URL"))?;
    let secure_enough = match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => !rules.require_https && is_secure_or_loopback(&url),
        _ => false,
    };
    if !secure_enough {
        return Err(invalid(if rules.require_https {
            "must be an https URL"
        } else {
            "must be an https URL (http only to a loopback host in development)"
        }));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry user information"));
    }
    if url.fragment().is_some() {
        return Err(invalid("must not have a fragment"));
    }
    if refused_literal(&url, rules.policy).is_some() {
        return Err(invalid(
            "points to an address webhooks may not reach (private, loopback, link-local or metadata)",
        ));
    }
    if let Some(url::Host::Domain(name)) = url.host() {
        let resolved = GuardedResolver::new(rules.policy)
            .allowed_addresses(name)
            .await;
        if let Err(error) = resolved
            && error.downcast_ref::<Refused>().is_some()
        {
            return Err(invalid(
                "resolves to addresses webhooks may not reach (private, loopback, link-local or metadata)",
            ));
        }
    }
    Ok(url.to_string())
}

/// The event types as stored: each from the catalogue, no duplicates; empty = every type.
pub fn check_event_types(types: Vec<String>) -> Result<Vec<String>, Error> {
    if types.len() > MAX_EVENT_TYPES {
        return Err(Error::invalid("event_types", "too many"));
    }
    let mut seen = Vec::with_capacity(types.len());
    for name in types {
        let name = name.trim().to_owned();
        if !is_event_type(&name) {
            return Err(Error::invalid(
                "event_types",
                format!("{name:?} is not an event type (see ListEventTypes)"),
            ));
        }
        if seen.contains(&name) {
            return Err(Error::invalid(
                "event_types",
                format!("{name:?} is listed twice"),
            ));
        }
        seen.push(name);
    }
    Ok(seen)
}

pub fn check_description(description: String) -> Result<String, Error> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "description",
            "must be at most 500 characters",
        ));
    }
    if description.chars().any(char::is_control) {
        return Err(Error::invalid(
            "description",
            "must not hold control characters",
        ));
    }
    Ok(description)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const DEVELOPMENT: UrlRules = UrlRules {
        require_https: false,
        policy: OutboundPolicy {
            allow_loopback: true,
            allow_private: false,
        },
    };
    const PRODUCTION: UrlRules = UrlRules {
        require_https: true,
        policy: OutboundPolicy {
            allow_loopback: false,
            allow_private: false,
        },
    };

    #[tokio::test]
    async fn urls_are_https_or_loopback_http_and_never_private_literals() {
        for good in ["http://127.0.0.1:8080/hook", "https://93.184.216.34/x"] {
            assert!(check_url(good, DEVELOPMENT).await.is_ok(), "{good}");
        }
        for bad in [
            "",
            "ftp://example.com/",
            "http://93.184.216.34/hook",
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest",
            "https://[fd00:ec2::254]/",
            "https://user:pw@93.184.216.34/",
            "https://93.184.216.34/#frag",
            "/relative",
        ] {
            assert!(check_url(bad, DEVELOPMENT).await.is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1/", PRODUCTION).await.is_err());
        assert!(check_url("https://127.0.0.1/", PRODUCTION).await.is_err());
        assert!(check_url("https://localhost/", PRODUCTION).await.is_err());
    }

    #[test]
    fn event_types_come_from_the_catalogue_once_each() {
        assert_eq!(
            check_event_types(vec!["user.created".into()]).unwrap(),
            ["user.created"]
        );
        assert!(check_event_types(vec!["user.nope".into()]).is_err());
        assert!(check_event_types(vec!["user.created".into(), "user.created".into()]).is_err());
    }
}
