//! The replay guard: an assertion ID is accepted once per connection, remembered in the shared
//! cache until the assertion could no longer pass the time checks anyway.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::checks::CLOCK_SKEW;
use super::xml::sso_error;
use crate::cache::Cache;
use crate::error::{Error, SsoFailure};

/// Records `assertion_id` as used; refuses it when it already was. Fails closed: without the
/// cache there is no way to know, so the sign-in fails.
pub async fn accept_once(
    cache: &dyn Cache,
    connection_id: &str,
    assertion_id: &str,
    valid_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let remaining = (valid_until + CLOCK_SKEW - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_secs(1));
    let key = format!("sso:saml:assertion:{connection_id}:{assertion_id}");
    let first = cache
        .set_if_absent(&key, b"1", remaining)
        .await
        .map_err(|err| Error::Internal(anyhow::anyhow!("SAML replay guard: {err}")))?;
    if first {
        Ok(())
    } else {
        Err(sso_error(
            SsoFailure::Authentication,
            "this assertion was already used",
        ))
    }
}
