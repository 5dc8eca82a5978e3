//! SSO connections and the protocol-independent parts of SSO sign-in through the real port:
//! connection management with its permission, escalation and secrecy rules, StartSso's
//! redirect allow-list and routing, and ExchangeSsoCode's refusals. (The SAML and OIDC
//! sign-ins themselves are in their own modules, against real peers.)

use janua::proto::janua::sso::v1::ListSsoConnectionsRequest;
use serde_json::{Value, json};

use super::{helpers::TestApp, orgs::reason, users::authed};

const APP_CALLBACK: &str = "http://127.0.0.1:9/app/callback";

pub fn idp_metadata() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/idp-metadata.xml"
    ))
    .unwrap()
}

fn unique_domain(tag: &str) -> String {
    format!("{tag}-{}.example.test", uuid::Uuid::now_v7().simple())
}

pub async fn sso_app() -> TestApp {
    TestApp::spawn_with(&[("SSO_ALLOWED_REDIRECT_URIS", APP_CALLBACK)]).await
}

#[tokio::test]
async fn connections_are_managed_with_sso_write_and_never_show_secrets() {
    let app = sso_app().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let base = format!("/api/v1/organizations/{org}/sso/connections");
    let domain = unique_domain("acme");
    let (status, saml) = app
        .rest(
            "POST",
            &base,
            Some(&owner.token),
            json!({
                "name": "Okta", "protocol": "SSO_PROTOCOL_SAML", "domains": [domain.to_uppercase()],
                "jit_provisioning": true, "enabled": true,
                "attribute_mapping": {"group_roles": {"eng": "viewer"}},
                "saml": {"idp_metadata_xml": idp_metadata()}
            }),
        )
        .await;
    assert_eq!(status, 200, "{saml}");
    let id = saml["id"].as_str().unwrap().to_owned();
    assert_eq!(saml["domains"], json!([domain]), "domains are lower-cased");
    assert_eq!(saml["default_role"], "member");
    let issuer = app.url("");
    let issuer = issuer.trim_end_matches('/');
    assert_eq!(
        saml["acs_url"],
        format!("{issuer}/api/v1/sso/saml/{id}/acs")
    );
    assert_eq!(
        saml["metadata_url"],
        format!("{issuer}/api/v1/sso/saml/{id}/metadata")
    );
    assert_eq!(saml["sp_entity_id"], saml["metadata_url"]);

    let (status, oidc) = app
        .rest(
            "POST",
            &base,
            Some(&owner.token),
            json!({
                "name": "Entra", "protocol": "SSO_PROTOCOL_OIDC", "enabled": false,
                "oidc": {"issuer": "http://127.0.0.1:9/tenant", "client_id": "janua",
                         "client_secret": "s3cr3t-client-secret"}
            }),
        )
        .await;
    assert_eq!(status, 200, "{oidc}");
    let oidc_id = oidc["id"].as_str().unwrap().to_owned();
    assert!(!oidc.to_string().contains("s3cr3t"), "{oidc}");
    assert_eq!(
        oidc["acs_url"],
        format!("{issuer}/api/v1/sso/oidc/{oidc_id}/callback")
    );

    let (status, listed) = app
        .rest("GET", &base, Some(&owner.token), Value::Null)
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["connections"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("s3cr3t"));
    let listed_over_grpc = app
        .sso_client()
        .await
        .list_sso_connections(authed(
            ListSsoConnectionsRequest {
                organization_id: org.clone(),
                ..Default::default()
            },
            &owner.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed_over_grpc.connections.len(), 2);
    assert!(!format!("{listed_over_grpc:?}").contains("s3cr3t"));

    let (status, updated) = app
        .rest(
            "PATCH",
            &format!("{base}/{oidc_id}?update_mask=name,oidc.client_id"),
            Some(&owner.token),
            json!({"name": "Entra ID", "oidc": {"client_id": "janua-2"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Entra ID");
    assert_eq!(updated["oidc"]["client_id"], "janua-2");
    assert_eq!(updated["oidc"]["issuer"], "http://127.0.0.1:9/tenant");

    let (status, body) = app
        .rest(
            "PATCH",
            &format!("{base}/{oidc_id}?update_mask=saml.allow_idp_initiated"),
            Some(&owner.token),
            json!({"saml": {"allow_idp_initiated": true}}),
        )
        .await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");

    // Another organization may declare the domain too (a declaration claims nothing until
    // verified, so it blocks nobody), but cannot see the connection.
    let stranger = app.signed_in_user("stranger").await;
    let other = app.organization_of(&stranger, "Other").await;
    let (status, body) = app
        .rest(
            "POST",
            &format!("/api/v1/organizations/{other}/sso/connections"),
            Some(&stranger.token),
            json!({"name": "Mine", "protocol": "SSO_PROTOCOL_SAML", "domains": [domain],
               "saml": {"idp_metadata_xml": idp_metadata()}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .rest(
            "GET",
            &format!("{base}/{id}"),
            Some(&stranger.token),
            Value::Null,
        )
        .await;
    assert_eq!((status, reason(&body)), (404, "NOT_FOUND_ERROR"));
    let (status, body) = app
        .rest(
            "GET",
            &format!("/api/v1/organizations/{other}/sso/connections/{id}"),
            Some(&stranger.token),
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, reason(&body)),
        (404, "NOT_FOUND_ERROR"),
        "ids do not cross organizations"
    );

    // A member without sso:write is refused.
    let member = app.signed_in_user("member").await;
    app.member_of(&owner, &org, &member, "member").await;
    let (status, body) = app
        .rest("GET", &base, Some(&member.token), Value::Null)
        .await;
    assert_eq!((status, reason(&body)), (403, "AUTHORIZATION_ERROR"));

    let (status, _) = app
        .rest(
            "DELETE",
            &format!("{base}/{id}"),
            Some(&owner.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .rest(
            "GET",
            &format!("{base}/{id}"),
            Some(&owner.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_connections_are_refused_and_change_nothing() {
    let app = sso_app().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Strict").await;
    let admin = app.signed_in_user("admin").await;
    app.member_of(&owner, &org, &admin, "admin").await;
    let base = format!("/api/v1/organizations/{org}/sso/connections");
    let saml = |extra: Value| {
        let mut body = json!({"name": "IdP", "protocol": "SSO_PROTOCOL_SAML",
                              "saml": {"idp_metadata_xml": idp_metadata()}});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let cases = [
        (saml(json!({"name": ""})), "VALIDATION_ERROR", 400),
        (
            saml(json!({"protocol": "SSO_PROTOCOL_UNSPECIFIED"})),
            "VALIDATION_ERROR",
            400,
        ),
        (
            saml(json!({"domains": ["not a domain"]})),
            "VALIDATION_ERROR",
            400,
        ),
        (
            saml(json!({"default_role": "no-such-role"})),
            "VALIDATION_ERROR",
            400,
        ),
        (
            json!({"name": "IdP", "protocol": "SSO_PROTOCOL_SAML"}),
            "VALIDATION_ERROR",
            400,
        ),
        (
            json!({"name": "IdP", "protocol": "SSO_PROTOCOL_OIDC", "saml": {"idp_metadata_xml": idp_metadata()}}),
            "VALIDATION_ERROR",
            400,
        ),
        // An admin cannot make a connection hand out the owner role (escalation).
        (
            saml(json!({"default_role": "owner"})),
            "AUTHORIZATION_ERROR",
            403,
        ),
        (
            saml(json!({"attribute_mapping": {"group_roles": {"it": "owner"}}})),
            "AUTHORIZATION_ERROR",
            403,
        ),
    ];
    for (body, expected, status_expected) in cases {
        let (status, answer) = app
            .rest("POST", &base, Some(&admin.token), body.clone())
            .await;
        assert_eq!(
            (status, reason(&answer)),
            (status_expected, expected),
            "{body}: {answer}"
        );
    }
    let (_, listed) = app
        .rest("GET", &base, Some(&owner.token), Value::Null)
        .await;
    assert_eq!(listed["connections"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn roles_used_by_a_connection_are_renamed_with_it_and_cannot_be_deleted() {
    let app = sso_app().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Roles").await;
    let (status, role) = app
        .rest(
            "POST",
            &format!("/api/v1/organizations/{org}/roles"),
            Some(&owner.token),
            json!({"name": "engineer", "permissions": ["deploys:write"]}),
        )
        .await;
    assert_eq!(status, 200, "{role}");
    let role_id = role["id"].as_str().unwrap();
    let base = format!("/api/v1/organizations/{org}/sso/connections");
    let (status, connection) = app
        .rest(
            "POST",
            &base,
            Some(&owner.token),
            json!({"name": "IdP", "protocol": "SSO_PROTOCOL_SAML", "default_role": "engineer",
               "attribute_mapping": {"group_roles": {"eng": "engineer"}},
               "saml": {"idp_metadata_xml": idp_metadata()}}),
        )
        .await;
    assert_eq!(status, 200, "{connection}");
    let roles = format!("/api/v1/organizations/{org}/roles/{role_id}");
    let (status, body) = app
        .rest("DELETE", &roles, Some(&owner.token), Value::Null)
        .await;
    assert_eq!((status, reason(&body)), (409, "CONFLICT_ERROR"), "{body}");
    let (status, body) = app
        .rest(
            "PATCH",
            &format!("{roles}?update_mask=name"),
            Some(&owner.token),
            json!({"name": "developer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, renamed) = app
        .rest(
            "GET",
            &format!("{base}/{}", connection["id"].as_str().unwrap()),
            Some(&owner.token),
            Value::Null,
        )
        .await;
    assert_eq!(renamed["default_role"], "developer");
    assert_eq!(
        renamed["attribute_mapping"]["group_roles"]["eng"],
        "developer"
    );
}

#[tokio::test]
async fn start_sso_refuses_open_redirects_and_unknown_targets() {
    let app = sso_app().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Routing").await;
    let domain = unique_domain("routing");
    let (status, connection) = app.rest("POST",
        &format!("/api/v1/organizations/{org}/sso/connections"),
        Some(&owner.token),
        json!({"name": "IdP", "protocol": "SSO_PROTOCOL_SAML", "domains": [domain], "enabled": false,
               "saml": {"idp_metadata_xml": idp_metadata()}}),
    )
    .await;
    assert_eq!(status, 200, "{connection}");
    crate::domains::mark_domain_verified(&app, &org, &domain).await;
    let start = |body: Value| app.rest("POST", "/api/v1/sso/start", None, body);
    for evil in [
        "https://evil.example/callback",
        "http://127.0.0.1:9/app/callback/../../evil",
        "http://127.0.0.1:9/app/callback?next=https://evil.example",
        "http://127.0.0.1:9/app/callbackx",
    ] {
        let (status, body) =
            start(json!({"email": format!("ada@{domain}"), "redirect_uri": evil})).await;
        assert_eq!(
            reason(&body),
            "SSO_CONFIGURATION_ERROR",
            "{evil}: {status} {body}"
        );
    }
    let (status, body) =
        start(json!({"email": "ada@nowhere.example.test", "redirect_uri": APP_CALLBACK})).await;
    assert_eq!((status, reason(&body)), (404, "NOT_FOUND_ERROR"), "{body}");
    let (_, body) =
        start(json!({"email": format!("ada@{domain}"), "redirect_uri": APP_CALLBACK})).await;
    assert_eq!(
        reason(&body),
        "SSO_CONFIGURATION_ERROR",
        "a disabled connection: {body}"
    );
    let (status, body) = start(json!({"redirect_uri": APP_CALLBACK})).await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
    let (status, body) = start(json!({"provider": "myspace", "redirect_uri": APP_CALLBACK})).await;
    assert_eq!(reason(&body), "SSO_CONFIGURATION_ERROR", "{status} {body}");
}

#[tokio::test]
async fn exchange_sso_code_refuses_unknown_codes() {
    let app = sso_app().await;
    for code in ["", "not-a-code", &"A".repeat(43)] {
        let (status, body) = app
            .rest("POST", "/api/v1/sso/exchange", None, json!({"code": code}))
            .await;
        let expected = if code.is_empty() {
            (400, "VALIDATION_ERROR")
        } else {
            (401, "TOKEN_ERROR")
        };
        assert_eq!((status, reason(&body)), expected, "{code}: {body}");
    }
}
