//! The claims of the access tokens a sign-in, a refresh or an organization switch issues.

use chrono::{DateTime, Utc};

use crate::principal::AccessClaims;

/// What an access token says about its session.
pub struct AccessGrant<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub email: &'a str,
    pub organization_id: Option<&'a str>,
    pub organization_role: Option<&'a str>,
    pub permissions: Vec<String>,
    pub amr: Vec<String>,
}

/// The claims of an access token issued now for `grant`.
pub fn access_claims(
    issuer: &str,
    grant: AccessGrant<'_>,
    now: DateTime<Utc>,
    ttl: std::time::Duration,
) -> AccessClaims {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    AccessClaims {
        iss: issuer.to_owned(),
        sub: grant.user_id.to_owned(),
        aud: issuer.to_owned(),
        exp: now.timestamp().saturating_add(ttl),
        iat: now.timestamp(),
        jti: uuid::Uuid::now_v7().to_string(),
        sid: grant.session_id.to_owned(),
        email: Some(grant.email.to_owned()),
        org_id: grant.organization_id.map(str::to_owned),
        org_role: grant.organization_role.map(str::to_owned),
        amr: grant.amr,
        permissions: grant.permissions,
    }
}
