//! The "continue with" choices a hosted sign-in page offers for an organization: its
//! enabled SSO connections and the social providers the platform configured.

use super::{Sso, StartTarget, store};
use crate::{
    error::Error,
    ids::{ConnectionId, OrganizationId},
};

/// Most connections one sign-in page lists.
const MAX_CONNECTIONS: u64 = 10;

/// One way to sign in elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInChoice {
    /// What the button says after "Continue with".
    pub label: String,
    /// `connection:<id>` or `social:<provider>`, as `target_of` reads it back.
    pub key: String,
}

impl Sso {
    /// The organization's enabled connections, then the configured social providers.
    pub async fn sign_in_choices(
        &self,
        organization_id: &OrganizationId,
    ) -> Result<Vec<SignInChoice>, Error> {
        let rows =
            store::enabled_connections(&self.db, organization_id.as_str(), MAX_CONNECTIONS).await?;
        let mut choices: Vec<SignInChoice> = rows
            .into_iter()
            .map(|(row, _)| SignInChoice {
                label: row.name,
                key: format!("connection:{}", row.id),
            })
            .collect();
        let social = &self.settings.social;
        for (provider, label, configured) in [
            ("google", "Google", social.google.is_some()),
            ("github", "GitHub", social.github.is_some()),
            ("microsoft", "Microsoft", social.microsoft.is_some()),
        ] {
            if configured {
                choices.push(SignInChoice {
                    label: label.to_owned(),
                    key: format!("social:{provider}"),
                });
            }
        }
        Ok(choices)
    }
}

/// The start target a choice's key names, if it is well formed.
pub fn target_of(key: &str) -> Option<StartTarget> {
    match key.split_once(':')? {
        ("connection", id) => ConnectionId::parse("connection_id", id)
            .ok()
            .map(StartTarget::Connection),
        ("social", provider) => Some(StartTarget::Provider(provider.to_owned())),
        _ => None,
    }
}
