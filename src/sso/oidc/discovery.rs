//! OpenID Provider discovery: the issuer URL an administrator configures, checked; the
//! provider's `/.well-known/openid-configuration`, checked against it and cached for an hour
//! so a sign-in costs no extra round trip.
//!
//! The document's `issuer` must be the configured one (OpenID Connect Discovery §4.3): a
//! document served for another issuer would let that issuer's tokens in. The one exception is
//! Microsoft's multi-tenant endpoint, whose document names `{tenantid}`; see [`IssuerPolicy`].

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{Oidc, http};
use crate::{
    config::is_secure_or_loopback,
    error::{Error, SsoFailure},
};

/// How long a discovery document is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The placeholder Microsoft's multi-tenant document puts in its issuer.
const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// How an ID token's `iss` is matched against the discovered issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerPolicy {
    /// `iss` is exactly the document's issuer (every OIDC connection).
    Exact,
    /// Microsoft's `common` endpoint: the document's issuer holds `{tenantid}`, and each
    /// token's `iss` is that template filled with the token's own `tid` claim. Only the
    /// Microsoft social preset uses it: any Microsoft tenant may sign in there.
    MicrosoftTenant,
}

/// The parts of a discovery document Janua uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    /// Absent means `client_secret_basic` (Discovery §3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Checks an issuer URL from a connection's settings (create and update call this) and
/// returns it trimmed. HTTPS is required, except for loopback hosts (local IdPs, tests);
/// no query or fragment (Discovery §2).
///
/// # Errors
/// `SSO_CONFIGURATION_ERROR` naming what is wrong.
pub fn validate_issuer(raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim();
    let bad =
        |problem: &str| Error::sso(SsoFailure::Configuration, format!("oidc.issuer {problem}"));
    let url = Url::parse(trimmed).map_err(|_| bad("is not a URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    if !is_secure_or_loopback(&url) {
        return Err(bad("must be an https URL (http only for loopback hosts)"));
    }
    Ok(trimmed.to_owned())
}

/// Where `issuer`'s discovery document lives.
fn discovery_url(issuer: &str) -> Result<Url, Error> {
    let raw = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    Url::parse(&raw).map_err(|_| Error::sso(SsoFailure::Configuration, "oidc.issuer is not a URL"))
}

impl ProviderMetadata {
    /// Checks the document against the configured issuer and the transport rule.
    fn check(&self, configured: &str, policy: IssuerPolicy) -> Result<(), Error> {
        let bad = |problem: String| Error::sso(SsoFailure::Metadata, problem);
        let same = self.issuer.trim_end_matches('/') == configured.trim_end_matches('/');
        let tenant_template =
            policy == IssuerPolicy::MicrosoftTenant && self.issuer.contains(TENANT_PLACEHOLDER);
        if !same && !tenant_template {
            // Not echoed to the caller: the document is whatever the URL answered.
            tracing::warn!(
                document.issuer = %self.issuer,
                configured,
                "OIDC discovery document for another issuer"
            );
            return Err(bad(format!(
                "the discovery document is not for the issuer {configured:?}"
            )));
        }
        let endpoints = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("token_endpoint", Some(&self.token_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
        ];
        for (name, url) in endpoints {
            if url.is_some_and(|url| !is_secure_or_loopback(url)) {
                return Err(bad(format!("the discovery document's {name} is not https")));
            }
        }
        Ok(())
    }

    /// The `iss` an ID token must carry, given its claims (the tenant's `tid` for
    /// [`IssuerPolicy::MicrosoftTenant`]). None when the token cannot have a valid issuer.
    pub fn expected_issuer(
        &self,
        policy: IssuerPolicy,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<String> {
        if policy == IssuerPolicy::Exact || !self.issuer.contains(TENANT_PLACEHOLDER) {
            return Some(self.issuer.clone());
        }
        let tenant = claims.get("tid")?.as_str()?;
        let plausible = !tenant.is_empty()
            && tenant.len() <= 64
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        plausible.then(|| self.issuer.replace(TENANT_PLACEHOLDER, tenant))
    }
}

impl Oidc {
    /// `issuer`'s discovery document, from the cache or fetched and checked.
    ///
    /// # Errors
    /// `SSO_METADATA_ERROR` when the provider cannot be reached or its document is invalid
    /// or for another issuer; `SSO_CONFIGURATION_ERROR` for a malformed issuer.
    pub async fn discover(
        &self,
        issuer: &str,
        policy: IssuerPolicy,
    ) -> Result<ProviderMetadata, Error> {
        let key = format!("sso:oidc:discovery:{issuer}");
        if let Some(cached) = self.cached::<ProviderMetadata>(&key).await {
            return Ok(cached);
        }
        let url = discovery_url(issuer)?;
        let what = "OIDC discovery";
        let answer = http::send(self.http.get(url), what, SsoFailure::Metadata).await?;
        let metadata: ProviderMetadata = answer.success(what, SsoFailure::Metadata)?;
        metadata.check(issuer, policy)?;
        self.remember(&key, &metadata, DISCOVERY_TTL).await;
        Ok(metadata)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn metadata(issuer: &str) -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "jwks_uri": "https://idp.example/jwks",
        }))
        .unwrap()
    }

    #[test]
    fn issuers_need_https_except_on_loopback() {
        for good in [
            "https://idp.example.com",
            "https://login.example.com/tenant/v2.0/",
            "http://127.0.0.1:8080",
            "http://localhost:9000/realms/acme",
            "http://[::1]:8080",
        ] {
            assert_eq!(validate_issuer(&format!(" {good} ")).unwrap(), good);
        }
        for bad in [
            "",
            "idp.example.com",
            "http://idp.example.com",
            "http://10.0.0.1",
            "ftp://idp.example.com",
            "https://idp.example.com/?tenant=1",
            "https://idp.example.com/#x",
        ] {
            let err = validate_issuer(bad).unwrap_err();
            assert_eq!(err.reason(), "SSO_CONFIGURATION_ERROR", "{bad}");
        }
    }

    #[test]
    fn a_document_for_another_issuer_is_refused() {
        let doc = metadata("https://evil.example");
        let err = doc
            .check("https://idp.example", IssuerPolicy::Exact)
            .unwrap_err();
        assert_eq!(err.reason(), "SSO_METADATA_ERROR");
        assert!(
            metadata("https://idp.example/")
                .check("https://idp.example", IssuerPolicy::Exact)
                .is_ok()
        );
    }

    #[test]
    fn plain_http_endpoints_are_refused() {
        let mut doc = metadata("https://idp.example");
        doc.token_endpoint = Url::parse("http://idp.example/token").unwrap();
        let err = doc
            .check("https://idp.example", IssuerPolicy::Exact)
            .unwrap_err();
        assert_eq!(err.reason(), "SSO_METADATA_ERROR");
    }

    #[test]
    fn microsoft_tenant_issuers_are_filled_from_the_token() {
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let doc = metadata(template);
        let common = "https://login.microsoftonline.com/common/v2.0";
        assert!(doc.check(common, IssuerPolicy::Exact).is_err());
        assert!(doc.check(common, IssuerPolicy::MicrosoftTenant).is_ok());
        let claims = |tid: &str| {
            serde_json::json!({ "tid": tid })
                .as_object()
                .unwrap()
                .clone()
        };
        assert_eq!(
            doc.expected_issuer(IssuerPolicy::MicrosoftTenant, &claims("9188040d-6c67")),
            Some("https://login.microsoftonline.com/9188040d-6c67/v2.0".to_owned())
        );
        assert_eq!(
            doc.expected_issuer(IssuerPolicy::MicrosoftTenant, &claims("a/b")),
            None
        );
        assert_eq!(
            doc.expected_issuer(IssuerPolicy::MicrosoftTenant, &serde_json::Map::new()),
            None
        );
        assert_eq!(
            doc.expected_issuer(IssuerPolicy::Exact, &claims("x")),
            Some(template.to_owned())
        );
    }
}
