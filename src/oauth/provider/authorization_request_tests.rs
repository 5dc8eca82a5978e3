#![expect(clippy::unwrap_used, reason = "tests")]

use chrono::DateTime;

use super::*;
use crate::{
    ids::OrganizationId,
    oauth::{ClientSettings, GrantType},
};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn client(client_type: ClientType) -> RegisteredClient {
    RegisteredClient {
        client_id: OAuthClientId::from_trusted("0190-client"),
        organization_id: OrganizationId::from_trusted("org"),
        client_type,
        settings: ClientSettings {
            name: "App".into(),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            grant_types: vec![GrantType::AuthorizationCode],
            allowed_scopes: vec!["openid".into(), "email".into()],
            ..ClientSettings::default()
        },
        secret: None,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

fn check(client_type: ClientType, query: &str) -> Result<AuthorizationRequest, RedirectError> {
    checked(
        &Query::parse(query),
        &client(client_type),
        "https://app.example.com/cb",
        None,
    )
}

fn error(client_type: ClientType, query: &str) -> &'static str {
    check(client_type, query).unwrap_err().error
}

#[test]
fn a_public_client_request_with_pkce_passes_whole() {
    let request = check(
        ClientType::Public,
        &format!(
            "response_type=code&scope=openid+email&state=s&nonce=n&code_challenge={CHALLENGE}\
             &code_challenge_method=S256&prompt=login&max_age=60&login_hint=a%40b.c"
        ),
    )
    .unwrap();
    assert_eq!(request.scopes, ["openid", "email"]);
    assert_eq!(request.nonce.as_deref(), Some("n"));
    assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
    assert!(request.prompt.login && !request.prompt.none);
    assert_eq!(request.max_age, Some(60));
    assert_eq!(request.login_hint.as_deref(), Some("a@b.c"));
}

#[test]
fn what_the_flow_refuses_goes_back_as_the_rfcs_name_it() {
    let pkce = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let public = ClientType::Public;
    let confidential = ClientType::Confidential;
    assert_eq!(
        error(public, &format!("scope=openid{pkce}")),
        "invalid_request"
    );
    for implicit in ["token", "id_token", "code id_token", "code token"] {
        let query = format!("response_type={implicit}&scope=openid{pkce}");
        assert_eq!(
            error(public, &query),
            "unsupported_response_type",
            "{implicit}"
        );
    }
    assert_eq!(
        error(public, "response_type=code&scope=openid"),
        "invalid_request"
    );
    let plain = format!(
        "response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=plain"
    );
    assert_eq!(error(confidential, &plain), "invalid_request");
    let no_method = format!("response_type=code&scope=openid&code_challenge={CHALLENGE}");
    assert_eq!(error(confidential, &no_method), "invalid_request");
    assert_eq!(
        error(
            confidential,
            "response_type=code&scope=openid&code_challenge_method=S256"
        ),
        "invalid_request"
    );
    assert!(check(confidential, "response_type=code&scope=openid").is_ok());
    assert_eq!(
        error(confidential, "response_type=code&scope=openid+admin"),
        "invalid_scope"
    );
    assert_eq!(error(confidential, "response_type=code"), "invalid_scope");
    assert_eq!(
        error(
            confidential,
            "response_type=code&scope=openid&prompt=none+login"
        ),
        "invalid_request"
    );
    assert_eq!(
        error(confidential, "response_type=code&scope=openid&max_age=-1"),
        "invalid_request"
    );
    assert_eq!(
        error(
            confidential,
            "response_type=code&scope=openid&response_mode=fragment"
        ),
        "invalid_request"
    );
    assert_eq!(
        error(confidential, "response_type=code&scope=openid&request=eyJ"),
        "request_not_supported"
    );
    assert_eq!(
        error(confidential, "response_type=code&scope=openid&scope=email"),
        "invalid_request"
    );
}
