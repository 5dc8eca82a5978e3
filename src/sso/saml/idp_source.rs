//! Where a connection's IdP metadata comes from: the XML stored with the connection, or its
//! `idp_metadata_url`, fetched (bounded in time and size, through the SSO service's client and
//! so the outbound guard of `crate::outbound`) and kept in the cache for an hour so a sign-in
//! does not wait on the IdP's web server.

use std::time::Duration;

use sha2::{Digest as _, Sha256};
use url::Url;

use super::idp_metadata::{self, IdpMetadata, MAX_METADATA_BYTES};
use super::xml::sso_error;
use crate::cache::Cache;
use crate::error::{Error, SsoFailure};

/// How long fetched metadata is trusted before it is fetched again.
pub const METADATA_CACHE_TTL: Duration = Duration::from_secs(3600);
/// The whole fetch, connection to last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection's IdP metadata: parsed from `xml` when given, else from `url`.
pub async fn load(
    xml: Option<&str>,
    url: Option<&str>,
    cache: &dyn Cache,
    http: &reqwest::Client,
) -> Result<IdpMetadata, Error> {
    match (xml, url) {
        (Some(xml), _) => idp_metadata::parse(xml),
        (None, Some(url)) => {
            let key = cache_key(url);
            if let Some(cached) = cache.get(&key).await.ok().flatten()
                && let Ok(text) = String::from_utf8(cached)
            {
                return idp_metadata::parse(&text);
            }
            let text = fetch(url, http).await?;
            let metadata = idp_metadata::parse(&text)?;
            // A cache failure only costs a fetch next time.
            let _ = cache.set(&key, text.as_bytes(), METADATA_CACHE_TTL).await;
            Ok(metadata)
        }
        (None, None) => Err(sso_error(
            SsoFailure::Configuration,
            "a SAML connection needs idp_metadata_xml or idp_metadata_url",
        )),
    }
}

/// The metadata URL as given: https, or http to a loopback host (for local IdPs and tests).
pub fn parse_url(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url.trim()).map_err(|err| {
        sso_error(
            SsoFailure::Configuration,
            format!("idp_metadata_url: {err}"),
        )
    })?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(host)) => host == "localhost",
        None => false,
    };
    if parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback) {
        Ok(parsed)
    } else {
        Err(sso_error(
            SsoFailure::Configuration,
            "idp_metadata_url must be an https URL",
        ))
    }
}

/// The metadata at `url`. Whatever goes wrong (an address the outbound policy refuses, an
/// unknown name, a refused connection, a timeout, TLS, an HTTP status, the size), the caller
/// sees the same message: a connection's settings must not tell its owner what answers at an
/// address. The cause goes to the log.
async fn fetch(url: &str, http: &reqwest::Client) -> Result<String, Error> {
    let url = parse_url(url)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let unusable = |cause: String| {
        tracing::warn!(saml.idp_host = %host, error = %cause, "could not fetch SAML IdP metadata");
        sso_error(
            SsoFailure::Metadata,
            "could not fetch the identity provider's metadata",
        )
    };
    let unreachable = |err: reqwest::Error| unusable(crate::outbound::describe(&err.without_url()));
    let response = http
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?;
    let body = crate::outbound::read_capped(response, MAX_METADATA_BYTES)
        .await
        .map_err(unreachable)?
        .ok_or_else(|| unusable(format!("larger than {MAX_METADATA_BYTES} bytes")))?;
    String::from_utf8(body).map_err(|_| unusable("not UTF-8".to_owned()))
}

fn cache_key(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sso:saml:idp-metadata:{hex}")
}
