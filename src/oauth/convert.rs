//! Clients as the contract's messages, and the contract's requests as domain values.

use chrono::Duration;

use super::{ClientChanges, ClientType, RegisteredClient};
use crate::{error::Error, metadata::timestamp, proto::janua::oauth::v1 as pb};

/// The `OAuthClient` fields UpdateOAuthClient may change (its `update_mask` paths).
pub const UPDATABLE_PATHS: &[&str] = &[
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "allowed_scopes",
    "skip_consent",
    "access_token_audience",
    "disabled",
];

pub fn client_to_proto(client: &RegisteredClient) -> pb::OAuthClient {
    let settings = &client.settings;
    let client_type = match client.client_type {
        ClientType::Public => pb::OauthClientType::Public,
        ClientType::Confidential => pb::OauthClientType::Confidential,
    };
    let secret = client.secret.as_ref();
    pb::OAuthClient {
        client_id: client.client_id.to_string(),
        organization_id: client.organization_id.to_string(),
        name: settings.name.clone(),
        client_type: client_type.into(),
        redirect_uris: settings.redirect_uris.clone(),
        post_logout_redirect_uris: settings.post_logout_redirect_uris.clone(),
        grant_types: settings
            .grant_types
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        allowed_scopes: settings.allowed_scopes.clone(),
        skip_consent: settings.skip_consent,
        access_token_audience: settings.access_token_audience.clone().unwrap_or_default(),
        disabled: settings.disabled,
        secret_hint: secret.map(|s| s.hint.clone()).unwrap_or_default(),
        secret_rotate_time: secret.and_then(|s| s.rotated_at).map(timestamp),
        previous_secret_expire_time: secret.and_then(|s| s.previous_expires_at).map(timestamp),
        create_time: Some(timestamp(client.created_at)),
        update_time: Some(timestamp(client.updated_at)),
    }
}

/// The client type a create request names; UNSPECIFIED (or an unknown number) is refused.
pub fn client_type(raw: i32) -> Result<ClientType, Error> {
    match pb::OauthClientType::try_from(raw) {
        Ok(pb::OauthClientType::Public) => Ok(ClientType::Public),
        Ok(pb::OauthClientType::Confidential) => Ok(ClientType::Confidential),
        _ => Err(Error::invalid(
            "client_type",
            "must be OAUTH_CLIENT_TYPE_PUBLIC or OAUTH_CLIENT_TYPE_CONFIDENTIAL",
        )),
    }
}

/// Every setting of a create request.
pub fn create_request(request: pb::CreateOAuthClientRequest) -> ClientChanges {
    ClientChanges {
        name: Some(request.name),
        redirect_uris: Some(request.redirect_uris),
        post_logout_redirect_uris: Some(request.post_logout_redirect_uris),
        grant_types: Some(request.grant_types),
        allowed_scopes: Some(request.allowed_scopes),
        skip_consent: Some(request.skip_consent),
        access_token_audience: Some(request.access_token_audience),
        disabled: None,
    }
}

/// The settings an update's mask names (already checked against [`UPDATABLE_PATHS`]),
/// with their values from `given`.
pub fn update_request(given: pb::OAuthClient, paths: &[String]) -> ClientChanges {
    let named = |path: &str| paths.iter().any(|p| p == path);
    ClientChanges {
        name: named("name").then_some(given.name),
        redirect_uris: named("redirect_uris").then_some(given.redirect_uris),
        post_logout_redirect_uris: named("post_logout_redirect_uris")
            .then_some(given.post_logout_redirect_uris),
        grant_types: named("grant_types").then_some(given.grant_types),
        allowed_scopes: named("allowed_scopes").then_some(given.allowed_scopes),
        skip_consent: named("skip_consent").then_some(given.skip_consent),
        access_token_audience: named("access_token_audience")
            .then_some(given.access_token_audience),
        disabled: named("disabled").then_some(given.disabled),
    }
}

/// A rotation's `previous_secret_ttl`; None when unset. Range checks are the domain's.
pub fn previous_secret_ttl(ttl: Option<prost_types::Duration>) -> Result<Option<Duration>, Error> {
    let Some(ttl) = ttl else {
        return Ok(None);
    };
    Duration::try_seconds(ttl.seconds)
        .and_then(|seconds| seconds.checked_add(&Duration::nanoseconds(i64::from(ttl.nanos))))
        .map(Some)
        .ok_or_else(|| Error::invalid("previous_secret_ttl", "is not a valid duration"))
}
