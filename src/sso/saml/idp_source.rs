//! Where a connection's IdP metadata comes from: the XML stored with the connection, or its
//! `idp_metadata_url`, fetched (bounded in time and size) and kept in the cache for an hour so
//! a sign-in does not wait on the IdP's web server.

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

async fn fetch(url: &str, http: &reqwest::Client) -> Result<String, Error> {
    let url = parse_url(url)?;
    let unreachable = |err: reqwest::Error| {
        sso_error(
            SsoFailure::Metadata,
            format!("could not fetch the IdP metadata: {}", err.without_url()),
        )
    };
    let mut response = http
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return Err(sso_error(
                SsoFailure::Metadata,
                format!("IdP metadata is larger than {MAX_METADATA_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body)
        .map_err(|_| sso_error(SsoFailure::Metadata, "IdP metadata is not UTF-8"))
}

fn cache_key(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sso:saml:idp-metadata:{hex}")
}
