//! The event catalogue: every event type a webhook endpoint may receive, with what it means,
//! and which audited actions produce which types. The catalogue is documented in
//! `docs/webhooks.md`, with an example payload per type; a test holds the two equal.

use serde_json::Value;

/// The test event `SendTestWebhook` queues; not in the catalogue (no change produces it).
pub const TEST_EVENT: &str = "webhook.test";

/// Every event type, in catalogue order, with its description.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    (
        "user.created",
        "An account was created (sign-up, by an administrator, or provisioned by SSO). data: the User.",
    ),
    (
        "user.updated",
        "An account's profile or administrator flag changed. data: the User.",
    ),
    (
        "user.deleted",
        "An account was deleted. data: the User's id and status.",
    ),
    (
        "user.suspended",
        "An account was suspended. data: the User.",
    ),
    (
        "user.reactivated",
        "A suspended account was reactivated. data: the User.",
    ),
    (
        "user.email_verified",
        "An account's email address was verified. data: the User.",
    ),
    (
        "user.password_changed",
        "An account's password was changed or reset. data: the User.",
    ),
    (
        "session.created",
        "A session was opened (a completed sign-in). data: the Session, with user_id.",
    ),
    (
        "session.revoked",
        "A session was ended by sign-out or RevokeSession (sessions a password change, suspension or deletion ends come with that event). data: the Session, with user_id.",
    ),
    (
        "mfa.factor_added",
        "A second factor (TOTP, passkey, SMS or email code) was enrolled. data: the Factor, with user_id.",
    ),
    (
        "mfa.factor_removed",
        "A second factor was removed. data: the Factor's id and user_id.",
    ),
    (
        "organization.created",
        "An organization was created. data: the Organization.",
    ),
    (
        "organization.updated",
        "An organization's name, slug or metadata changed. data: the Organization.",
    ),
    (
        "organization.deleted",
        "An organization was deleted. data: the Organization's id.",
    ),
    (
        "member.added",
        "A user joined an organization (added, or an invitation accepted). data: the Member.",
    ),
    (
        "member.updated",
        "A member's role changed. data: the Member.",
    ),
    (
        "member.removed",
        "A member left or was removed. data: organization_id, user_id and role.",
    ),
    (
        "invitation.created",
        "An invitation was sent. data: the Invitation.",
    ),
    (
        "invitation.accepted",
        "An invitation was accepted. data: the Invitation.",
    ),
    (
        "sso.connection_created",
        "An SSO connection was created. data: the SsoConnection (no IdP secret).",
    ),
    (
        "sso.connection_updated",
        "An SSO connection changed. data: the SsoConnection (no IdP secret).",
    ),
    (
        "sso.connection_deleted",
        "An SSO connection was deleted. data: its id and organization_id.",
    ),
    (
        "api_key.created",
        "An API key was created. data: the ApiKey (never its secret).",
    ),
    (
        "api_key.revoked",
        "An API key was revoked. data: the ApiKey.",
    ),
    ("role.created", "A custom role was created. data: the Role."),
    ("role.updated", "A custom role changed. data: the Role."),
    (
        "role.deleted",
        "A custom role was deleted. data: its id and organization_id.",
    ),
    (
        "oauth_client.created",
        "An OAuth client was registered. data: the OAuthClient (never its secret).",
    ),
    (
        "oauth_client.updated",
        "An OAuth client's settings changed. data: the OAuthClient.",
    ),
    (
        "oauth_client.deleted",
        "An OAuth client was deleted. data: its client_id and organization_id.",
    ),
    (
        "oauth_client.secret_rotated",
        "An OAuth client's secret was rotated. data: the OAuthClient (never its secret).",
    ),
    (
        "oauth.consent_granted",
        "A user allowed an OAuth client the scopes it asked for on the consent page. data: client_id, organization_id, user_id and scopes.",
    ),
    (
        "oauth.grant_revoked",
        "An OAuth client revoked a refresh token, which ends the user's grant and every token issued under it. data: grant_id, client_id, organization_id, user_id and scopes.",
    ),
];

/// Whether `name` is a type of the catalogue.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|(known, _)| *known == name)
}

/// The event types an audited action produces, when it succeeded. `metadata` is the audit
/// event's: an action that opened a session names it (`session_id`), and that is a
/// `session.created` whatever the action (sign-up, password, magic link, passkey, SSO).
pub fn types_for(action: &str, metadata: Option<&Value>) -> Vec<&'static str> {
    let mut types: Vec<&'static str> = match action {
        "user.created" | "user.registered" => vec!["user.created"],
        "user.updated" => vec!["user.updated"],
        "user.deleted" => vec!["user.deleted"],
        "user.suspended" => vec!["user.suspended"],
        "user.reactivated" => vec!["user.reactivated"],
        "user.email_verified" => vec!["user.email_verified"],
        "user.password_changed" | "user.password_reset" => vec!["user.password_changed"],
        "session.revoked" | "session.logout" => vec!["session.revoked"],
        "mfa.totp_enrolled" | "mfa.passkey_registered" | "mfa.code_factor_enrolled" => {
            vec!["mfa.factor_added"]
        }
        "mfa.factor_deleted" => vec!["mfa.factor_removed"],
        "organization.created" => vec!["organization.created"],
        "organization.updated" => vec!["organization.updated"],
        "organization.deleted" => vec!["organization.deleted"],
        "member.added" => vec!["member.added"],
        "member.role_changed" => vec!["member.updated"],
        "member.removed" | "member.left" => vec!["member.removed"],
        "invitation.created" => vec!["invitation.created"],
        "invitation.accepted" => vec!["invitation.accepted", "member.added"],
        "sso.connection_created" => vec!["sso.connection_created"],
        "sso.connection_updated" => vec!["sso.connection_updated"],
        "sso.connection_deleted" => vec!["sso.connection_deleted"],
        "api_key.created" => vec!["api_key.created"],
        "api_key.revoked" => vec!["api_key.revoked"],
        "role.created" => vec!["role.created"],
        "role.updated" => vec!["role.updated"],
        "role.deleted" => vec!["role.deleted"],
        "oauth_client.created" => vec!["oauth_client.created"],
        "oauth_client.updated" => vec!["oauth_client.updated"],
        "oauth_client.deleted" => vec!["oauth_client.deleted"],
        "oauth_client.secret_rotated" => vec!["oauth_client.secret_rotated"],
        "oauth.consent_granted" => vec!["oauth.consent_granted"],
        "oauth.grant_revoked" => vec!["oauth.grant_revoked"],
        _ => Vec::new(),
    };
    if opened_session(metadata).is_some() {
        types.push("session.created");
    }
    types
}

/// The session an audited action opened, when it names one.
pub fn opened_session(metadata: Option<&Value>) -> Option<&str> {
    metadata?.get("session_id")?.as_str()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_type_an_action_produces_is_in_the_catalogue() {
        let actions = [
            "user.created",
            "user.registered",
            "user.updated",
            "user.deleted",
            "user.suspended",
            "user.reactivated",
            "user.email_verified",
            "user.password_changed",
            "user.password_reset",
            "session.revoked",
            "session.logout",
            "mfa.totp_enrolled",
            "mfa.passkey_registered",
            "mfa.code_factor_enrolled",
            "mfa.factor_deleted",
            "organization.created",
            "organization.updated",
            "organization.deleted",
            "member.added",
            "member.role_changed",
            "member.removed",
            "member.left",
            "invitation.created",
            "invitation.accepted",
            "sso.connection_created",
            "sso.connection_updated",
            "sso.connection_deleted",
            "api_key.created",
            "api_key.revoked",
            "role.created",
            "role.updated",
            "role.deleted",
            "oauth_client.created",
            "oauth_client.updated",
            "oauth_client.deleted",
            "oauth_client.secret_rotated",
            "oauth.consent_granted",
            "oauth.grant_revoked",
        ];
        for action in actions {
            let types = types_for(action, None);
            assert!(!types.is_empty(), "{action}");
            assert!(
                types.iter().all(|t| is_event_type(t)),
                "{action}: {types:?}"
            );
        }
        assert!(types_for("user.login", None).is_empty());
        assert!(types_for("mfa.challenge_failed", None).is_empty());
    }

    #[test]
    fn an_action_that_opened_a_session_also_produces_session_created() {
        let opened = json!({"session_id": "0193"});
        assert_eq!(
            types_for("user.registered", Some(&opened)),
            ["user.created", "session.created"]
        );
        assert_eq!(types_for("user.login", Some(&opened)), ["session.created"]);
    }
}
