//! Organizations through the real port: the lifecycle over gRPC and REST with an invitation
//! read from a real SMTP exchange, the allow/deny matrix of every organization RPC for every
//! kind of caller, custom roles with app-defined permissions, scoped tokens and API keys.

use std::time::Duration;

use janua::{
    clock::Clock,
    proto::janua::{
        auth::v1::IntrospectTokenRequest,
        orgs::v1::{AcceptInvitationRequest, CreateOrganizationRequest, ListMembersRequest},
    },
};
use serde_json::{Value, json};
use tonic::Request;

use super::{
    auth::rest,
    fixtures::User,
    helpers::{TestApp, jwt_claims},
    smtp::{SmtpSink, link_token},
};

/// The user accepts the newest invitation mailed to them (from the outbox).
pub async fn accept_mailed_invitation(app: &TestApp, user: &User) -> Value {
    accept_mailed_invitation_as(app, &user.email, &user.token).await
}

/// The holder of `token` accepts the newest invitation mailed to `email`.
pub async fn accept_mailed_invitation_as(app: &TestApp, email: &str, token: &str) -> Value {
    let outbox = app.app.mail.read_outbox(email).await.unwrap();
    let mail = outbox
        .iter()
        .find(|m| m.subject.starts_with("You are invited"))
        .expect("an invitation mail");
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/invitations/accept",
        Some(token),
        json!({"token": link_token(&mail.text)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Creates an API key with `role` and returns its secret.
pub async fn new_api_key(app: &TestApp, by: &User, org: &str, role: &str) -> (String, Value) {
    let (status, body) = rest(
        app,
        "POST",
        &format!("/api/v1/organizations/{org}/api-keys"),
        Some(&by.token),
        json!({"name": format!("{role} service"), "role": role}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["secret"].as_str().unwrap().to_owned(),
        body["api_key"].clone(),
    )
}

pub fn reason(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn verify_email(app: &TestApp, sink: &SmtpSink, user: &User) {
    let mail = sink.wait_for(&user.email).await;
    assert_eq!(mail.subject, "Verify your email address");
    let (status, body) = rest(
        app,
        "POST",
        "/api/v1/auth/email/verify",
        None,
        json!({"token": link_token(&mail.text)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn organization_lifecycle_over_grpc_and_rest_with_an_emailed_invitation() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let owner = app.signed_in_user("owner").await;
    let mut orgs = app.orgs_client().await;

    // Create over gRPC: the slug comes from the name, the creator is the owner.
    let created = orgs
        .create_organization(with_token(
            CreateOrganizationRequest {
                name: "Acme Widgets".into(),
                ..Default::default()
            },
            &owner.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(created.slug, "acme-widgets");
    let org = created.id.clone();
    let (status, body) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Acme Widgets")));
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/organizations",
        Some(&owner.token),
        json!({"name": "Acme", "slug": "acme-widgets"}),
    )
    .await;
    assert_eq!((status, reason(&body)), (409, "CONFLICT_ERROR"));

    // Invite by email over REST; the link arrives through SMTP.
    let invitee = app.signed_in_user("invitee").await;
    verify_email(&app, &sink, &invitee).await;
    let (status, invitation) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/invitations"),
        Some(&owner.token),
        json!({"email": invitee.email.to_uppercase(), "role": "member"}),
    )
    .await;
    assert_eq!(status, 200, "{invitation}");
    assert_eq!(invitation["status"], "INVITATION_STATUS_PENDING");
    let mail = sink.wait_for(&invitee.email).await;
    assert_eq!(mail.subject, "You are invited to join Acme Widgets");
    let token = link_token(&mail.text);

    // Someone else holding the link cannot use it; the invitee accepts over gRPC, once.
    let stranger = app.signed_in_user("stranger").await;
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/invitations/accept",
        Some(&stranger.token),
        json!({"token": token}),
    )
    .await;
    assert_eq!((status, reason(&body)), (403, "AUTHORIZATION_ERROR"));
    let member = orgs
        .accept_invitation(with_token(
            AcceptInvitationRequest {
                token: token.clone(),
            },
            &invitee.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(
        (member.role.as_str(), member.user_id.as_str()),
        ("member", invitee.id.as_str())
    );
    let again = orgs
        .accept_invitation(with_token(
            AcceptInvitationRequest { token },
            &invitee.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::NotFound);
    let (_, invitations) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/invitations"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(
        invitations["invitations"][0]["status"],
        "INVITATION_STATUS_ACCEPTED"
    );

    let members = orgs
        .list_members(with_token(
            ListMembersRequest {
                organization_id: org.clone(),
                ..Default::default()
            },
            &owner.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .members;
    let mut roles: Vec<_> = members
        .iter()
        .map(|m| (m.email.clone(), m.role.clone()))
        .collect();
    roles.sort();
    let mut expected = vec![
        (owner.email.clone(), "owner".to_owned()),
        (invitee.email.clone(), "member".to_owned()),
    ];
    expected.sort();
    assert_eq!(roles, expected);

    // Change role over REST, then the last-owner rule.
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("/api/v1/organizations/{org}/members/{}", invitee.id),
        Some(&owner.token),
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!((status, body["role"].as_str()), (200, Some("admin")));
    let own = format!("/api/v1/organizations/{org}/members/{}", owner.id);
    let (status, body) = rest(
        &app,
        "PATCH",
        &own,
        Some(&owner.token),
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (409, "CONFLICT_ERROR"),
        "the last owner cannot be demoted"
    );
    let (status, _) = rest(&app, "DELETE", &own, Some(&owner.token), Value::Null).await;
    assert_eq!(status, 409, "the last owner cannot be removed");
    let leave = format!("/api/v1/organizations/{org}/leave");
    let (status, _) = rest(&app, "POST", &leave, Some(&owner.token), json!({})).await;
    assert_eq!(status, 409, "the last owner cannot leave");
    let (status, body) = rest(&app, "DELETE", &own, Some(&invitee.token), Value::Null).await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "an admin cannot remove an owner"
    );

    // Transfer ownership; the former owner (now admin) may leave.
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/transfer-ownership"),
        Some(&owner.token),
        json!({"user_id": invitee.id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rest(&app, "POST", &leave, Some(&owner.token), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(
        status, 404,
        "a former member no longer sees the organization"
    );

    // Remove a member; delete the organization.
    // AddMember by id only invites: the third user joins by accepting the mailed link.
    let third = app.signed_in_user("third").await;
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/members"),
        Some(&invitee.token),
        json!({"user_id": third.id, "role": "viewer"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mail = loop {
        let mail = sink.wait_for(&third.email).await;
        if mail.subject.starts_with("You are invited") {
            break mail;
        }
    };
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/invitations/accept",
        Some(&third.token),
        json!({"token": link_token(&mail.text)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/organizations/{org}/members/{}", third.id),
        Some(&invitee.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}"),
        Some(&third.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/organizations/{org}"),
        Some(&invitee.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}"),
        Some(&invitee.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_invitation_needs_a_matching_email_and_can_be_revoked_or_resent() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Initech").await;
    let invitee = app.signed_in_user("unverified").await;
    let invitations = format!("/api/v1/organizations/{org}/invitations");
    let (status, first) = rest(
        &app,
        "POST",
        &invitations,
        Some(&owner.token),
        json!({"email": invitee.email}),
    )
    .await;
    assert_eq!((status, first["role"].as_str()), (200, Some("member")));
    let (status, body) = rest(
        &app,
        "POST",
        &invitations,
        Some(&owner.token),
        json!({"email": invitee.email}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (409, "CONFLICT_ERROR"),
        "one pending invitation per email"
    );

    let _verification = sink.wait_for(&invitee.email).await;
    let first_link = link_token(&sink.wait_for(&invitee.email).await.text);
    let id = first["id"].as_str().unwrap();
    let (status, _) = rest(
        &app,
        "POST",
        &format!("{invitations}/{id}/resend"),
        Some(&owner.token),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let second_link = link_token(&sink.wait_for(&invitee.email).await.text);
    let accept = |token: String| {
        let app = &app;
        let bearer = invitee.token.clone();
        async move {
            rest(
                app,
                "POST",
                "/api/v1/invitations/accept",
                Some(&bearer),
                json!({"token": token}),
            )
            .await
        }
    };
    let (status, body) = accept(first_link).await;
    assert_eq!(
        (status, reason(&body)),
        (404, "NOT_FOUND_ERROR"),
        "a resent invitation replaces the old link"
    );
    // (Accepting through the mailed link would verify the address: tested in takeover.rs.)

    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("{invitations}/{id}"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = accept(second_link).await;
    assert_eq!(
        (status, reason(&body)),
        (404, "NOT_FOUND_ERROR"),
        "a revoked invitation is dead"
    );
    let (_, listed) = rest(&app, "GET", &invitations, Some(&owner.token), Value::Null).await;
    assert_eq!(
        listed["invitations"][0]["status"],
        "INVITATION_STATUS_REVOKED"
    );
}

/// How an organization RPC must answer one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Forbidden,
    Hidden,
}

#[tokio::test]
async fn every_organization_rpc_allows_and_denies_each_kind_of_caller() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Matrix").await;
    let mut callers: Vec<(&str, String)> = Vec::new();
    for role in ["admin", "member", "viewer"] {
        let user = app.signed_in_user(role).await;
        app.member_of(&owner, &org, &user, role).await;
        callers.push((role, user.token));
    }
    let outsider = app.signed_in_user("outsider").await;
    callers.push(("non-member", outsider.token.clone()));
    let other_owner = app.signed_in_user("other").await;
    let other_org = app.organization_of(&other_owner, "Elsewhere").await;
    let other_admin = app.signed_in_user("other-admin").await;
    app.member_of(&other_owner, &other_org, &other_admin, "admin")
        .await;
    callers.push(("other organization's admin", other_admin.token));
    callers.push((
        "key with permission",
        new_api_key(&app, &owner, &org, "admin").await.0,
    ));
    callers.push((
        "key without permission",
        new_api_key(&app, &owner, &org, "viewer").await.0,
    ));
    callers.push((
        "other organization's key",
        new_api_key(&app, &other_owner, &other_org, "owner").await.0,
    ));
    callers.push(("owner", owner.token.clone()));

    let viewer_id = {
        let (_, body) = rest(
            &app,
            "GET",
            &format!("/api/v1/organizations/{org}/members"),
            Some(&owner.token),
            Value::Null,
        )
        .await;
        body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "viewer")
            .unwrap()["user_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let nobody = uuid::Uuid::now_v7();
    let base = format!("/api/v1/organizations/{org}");
    // (RPC, method, path, body, permission the contract declares). Bodies are harmless for
    // the organization: they name nothing that exists, or change nothing.
    let rpcs: Vec<(&str, &str, String, Value, &str)> = vec![
        (
            "GetOrganization",
            "GET",
            base.clone(),
            Value::Null,
            "org:read",
        ),
        (
            "UpdateOrganization",
            "PATCH",
            format!("{base}?update_mask=metadata"),
            json!({"metadata": {}}),
            "org:update",
        ),
        (
            "ListMembers",
            "GET",
            format!("{base}/members"),
            Value::Null,
            "members:read",
        ),
        (
            "AddMember",
            "POST",
            format!("{base}/members"),
            json!({"user_id": nobody, "role": "viewer"}),
            "members:write",
        ),
        (
            "UpdateMember",
            "PATCH",
            format!("{base}/members/{viewer_id}"),
            json!({"role": "viewer"}),
            "members:write",
        ),
        (
            "RemoveMember",
            "DELETE",
            format!("{base}/members/{nobody}"),
            Value::Null,
            "members:write",
        ),
        (
            "TransferOwnership",
            "POST",
            format!("{base}/transfer-ownership"),
            json!({"user_id": nobody}),
            "org:delete",
        ),
        (
            "CreateInvitation",
            "POST",
            format!("{base}/invitations"),
            json!({"email": "invitee@example.test", "role": "viewer"}),
            "invitations:write",
        ),
        (
            "ListInvitations",
            "GET",
            format!("{base}/invitations"),
            Value::Null,
            "members:read",
        ),
        (
            "RevokeInvitation",
            "DELETE",
            format!("{base}/invitations/{nobody}"),
            Value::Null,
            "invitations:write",
        ),
        (
            "ResendInvitation",
            "POST",
            format!("{base}/invitations/{nobody}/resend"),
            json!({}),
            "invitations:write",
        ),
        (
            "ListRoles",
            "GET",
            format!("{base}/roles"),
            Value::Null,
            "members:read",
        ),
        (
            "CreateRole",
            "POST",
            format!("{base}/roles"),
            json!({"name": format!("r{}", nobody.simple()), "permissions": ["reports:read"]}),
            "roles:write",
        ),
        (
            "UpdateRole",
            "PATCH",
            format!("{base}/roles/{nobody}?update_mask=description"),
            json!({"description": "x"}),
            "roles:write",
        ),
        (
            "DeleteRole",
            "DELETE",
            format!("{base}/roles/{nobody}"),
            Value::Null,
            "roles:write",
        ),
        (
            "CheckPermission",
            "POST",
            format!("{base}/check-permission"),
            json!({"permission": "org:read"}),
            "",
        ),
        (
            "CreateApiKey",
            "POST",
            format!("{base}/api-keys"),
            json!({"name": "k", "role": "viewer"}),
            "api_keys:write",
        ),
        (
            "ListApiKeys",
            "GET",
            format!("{base}/api-keys"),
            Value::Null,
            "api_keys:write",
        ),
        (
            "RevokeApiKey",
            "DELETE",
            format!("{base}/api-keys/{nobody}"),
            Value::Null,
            "api_keys:write",
        ),
        (
            "DeleteOrganization",
            "DELETE",
            base.clone(),
            Value::Null,
            "org:delete",
        ),
    ];
    let held = |caller: &str| -> Option<Vec<&str>> {
        match caller {
            "owner" => Some(vec!["*"]),
            "admin" | "key with permission" => Some(vec![
                "org:read",
                "org:update",
                "members:read",
                "members:write",
                "invitations:write",
                "roles:write",
                "api_keys:write",
                "sso:write",
                "oauth_clients:write",
                "audit:read",
            ]),
            "member" => Some(vec!["org:read", "members:read"]),
            "viewer" | "key without permission" => Some(vec!["org:read"]),
            _ => None,
        }
    };
    let mut failures = Vec::new();
    for (rpc, method, path, body, permission) in &rpcs {
        for (caller, token) in &callers {
            let expect = match held(caller) {
                None => Expect::Hidden,
                Some(h) if permission.is_empty() || h.contains(&"*") || h.contains(permission) => {
                    Expect::Allowed
                }
                Some(_) => Expect::Forbidden,
            };
            let (status, answer) = rest(&app, method, path, Some(token), body.clone()).await;
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            let got = match (status, reason(&answer)) {
                (404, "NOT_FOUND_ERROR") if message.starts_with("organization") => Expect::Hidden,
                (403, "AUTHORIZATION_ERROR") => Expect::Forbidden,
                (status, _) if status < 500 => Expect::Allowed,
                _ => panic!("{rpc} as {caller}: {status} {answer}"),
            };
            if got != expect {
                failures.push(format!(
                    "{rpc} as {caller}: expected {expect:?}, got {status} {answer}"
                ));
            }
            if expect == Expect::Hidden {
                assert!(
                    !answer.to_string().contains("Matrix"),
                    "{rpc} as {caller} leaked data: {answer}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_custom_role_with_an_app_permission_passes_checks_and_lands_in_the_switched_token() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Books Ltd").await;
    let (status, role) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/roles"),
        Some(&owner.token),
        json!({"name": "accountant", "description": "Approves invoices", "permissions": ["invoices:approve", "org:read"]}),
    )
    .await;
    assert_eq!(status, 200, "{role}");
    assert_eq!(role["built_in"], false);
    let accountant = app.signed_in_user("accountant").await;
    app.member_of(&owner, &org, &accountant, "accountant").await;
    let viewer = app.signed_in_user("viewer").await;
    app.member_of(&owner, &org, &viewer, "viewer").await;

    // A backend service asks about members with an API key.
    let (key, _) = new_api_key(&app, &owner, &org, "member").await;
    let check = |user: &str, permission: &str| {
        let (app, key, org) = (&app, key.clone(), org.clone());
        let body = json!({"permission": permission, "user_id": user});
        async move {
            let (status, answer) = rest(
                app,
                "POST",
                &format!("/api/v1/organizations/{org}/check-permission"),
                Some(&key),
                body,
            )
            .await;
            assert_eq!(status, 200, "{answer}");
            answer["allowed"].as_bool().unwrap()
        }
    };
    assert!(check(&accountant.id, "invoices:approve").await);
    assert!(!check(&accountant.id, "invoices:delete").await);
    assert!(!check(&viewer.id, "invoices:approve").await);
    assert!(
        check(&owner.id, "invoices:approve").await,
        "the owner holds every permission"
    );
    assert!(
        !check(&uuid::Uuid::now_v7().to_string(), "org:read").await,
        "a non-member holds nothing"
    );
    // A role is read in its own organization only: another organization's `accountant`
    // grants only what that organization gave it.
    let other = app.organization_of(&owner, "Other Ltd").await;
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{other}/roles"),
        Some(&owner.token),
        json!({"name": "accountant", "permissions": ["reports:read"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.member_of(&owner, &other, &accountant, "accountant")
        .await;
    let (other_key, _) = new_api_key(&app, &owner, &other, "member").await;
    for (permission, held) in [("invoices:approve", false), ("reports:read", true)] {
        let (status, answer) = rest(
            &app,
            "POST",
            &format!("/api/v1/organizations/{other}/check-permission"),
            Some(&other_key),
            json!({"permission": permission, "user_id": accountant.id}),
        )
        .await;
        assert_eq!(
            (status, answer["allowed"].as_bool()),
            (200, Some(held)),
            "{permission}"
        );
    }
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{other}/check-permission"),
        Some(&key),
        json!({"permission": "reports:read", "user_id": accountant.id}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (404, "NOT_FOUND_ERROR"),
        "a key acts in its own organization only"
    );

    // Switching scopes the session: org_id, org_role and permissions in the token.
    let (status, tokens) = rest(
        &app,
        "POST",
        "/api/v1/auth/switch-organization",
        Some(&accountant.token),
        json!({"organization_id": org}),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let tokens = tokens["tokens"].clone();
    let scoped = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(scoped["org_id"], org.as_str());
    assert_eq!(scoped["org_role"], "accountant");
    assert_eq!(
        scoped["permissions"],
        json!(["invoices:approve", "org:read"])
    );
    // Refresh keeps the organization and re-reads the role.
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("/api/v1/organizations/{org}/members/{}", accountant.id),
        Some(&owner.token),
        json!({"role": "viewer"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, refreshed) = rest(
        &app,
        "POST",
        "/api/v1/auth/token/refresh",
        None,
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let refreshed = jwt_claims(refreshed["tokens"]["access_token"].as_str().unwrap());
    assert_eq!(
        (refreshed["org_id"].as_str(), refreshed["org_role"].as_str()),
        (Some(org.as_str()), Some("viewer"))
    );
    // A non-member cannot switch into it.
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/auth/switch-organization",
        Some(&app.signed_in_user("x").await.token),
        json!({"organization_id": org}),
    )
    .await;
    assert_eq!((status, reason(&body)), (404, "NOT_FOUND_ERROR"));
    // Removing the member ends its organization-scoped session at once.
    let scoped_token = tokens["access_token"].as_str().unwrap();
    rest(
        &app,
        "DELETE",
        &format!("/api/v1/organizations/{org}/members/{}", accountant.id),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    let (status, _) = rest(
        &app,
        "GET",
        "/api/v1/auth/me",
        Some(scoped_token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn roles_cannot_be_escalated_and_built_ins_cannot_change() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Guarded").await;
    let admin = app.signed_in_user("admin").await;
    app.member_of(&owner, &org, &admin, "admin").await;
    let roles = format!("/api/v1/organizations/{org}/roles");
    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&admin.token),
        json!({"name": "deleter", "permissions": ["org:delete"]}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "an admin cannot mint org:delete"
    );
    let (status, _) = rest(
        &app,
        "POST",
        &roles,
        Some(&admin.token),
        json!({"name": "billing", "permissions": ["invoices:read", "members:read"]}),
    )
    .await;
    assert_eq!(
        status, 200,
        "app-defined permissions and held ones are fine"
    );
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("/api/v1/organizations/{org}/members/{}", admin.id),
        Some(&admin.token),
        json!({"role": "owner"}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "an admin cannot make itself owner"
    );
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("{roles}/admin?update_mask=permissions"),
        Some(&owner.token),
        json!({"permissions": ["org:read"]}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (400, "VALIDATION_ERROR"),
        "built-in roles are fixed"
    );
    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&owner.token),
        json!({"name": "bad", "permissions": ["not a permission"]}),
    )
    .await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"));
    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&owner.token),
        json!({"name": "owner"}),
    )
    .await;
    assert_eq!((status, reason(&body)), (409, "CONFLICT_ERROR"));
    let (_, listed) = rest(&app, "GET", &roles, Some(&owner.token), Value::Null).await;
    let names: Vec<_> = listed["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owner", "admin", "member", "viewer", "billing"]);
    // A role in use cannot be deleted; renaming follows the members holding it.
    let billing = listed["roles"][4]["id"].as_str().unwrap().to_owned();
    let member = app.signed_in_user("member").await;
    app.member_of(&owner, &org, &member, "billing").await;
    let (status, _) = rest(
        &app,
        "DELETE",
        &format!("{roles}/{billing}"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 409);
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("{roles}/{billing}?update_mask=name"),
        Some(&owner.token),
        json!({"name": "finance"}),
    )
    .await;
    assert_eq!((status, body["name"].as_str()), (200, Some("finance")));
    let (_, members) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/members"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert!(
        members["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "finance")
    );
}

#[tokio::test]
async fn an_api_key_introspects_over_grpc_and_is_refused_at_once_after_revocation() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Services").await;
    let (secret, key) = new_api_key(&app, &owner, &org, "viewer").await;
    assert!(secret.starts_with("janua_sk_") && secret.len() > 40);
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    let (_, listed) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/api-keys"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let mut auth = app.auth_client().await;
    let answer = auth
        .introspect_token(with_token(
            IntrospectTokenRequest {
                token: owner.token.clone(),
            },
            &secret,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.active);
    assert_eq!(answer.sub, owner.id);
    // `x-api-key` works too, over REST.
    let response = app
        .http
        .post(app.url("/api/v1/auth/token/introspect"))
        .header("x-api-key", &secret)
        .json(&json!({"token": "not-a-token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["active"], false);
    // A key is not a user.
    let (status, body) = rest(&app, "GET", "/api/v1/auth/me", Some(&secret), Value::Null).await;
    assert_eq!((status, reason(&body)), (403, "AUTHORIZATION_ERROR"));

    let (status, _) = rest(
        &app,
        "DELETE",
        &format!(
            "/api/v1/organizations/{org}/api-keys/{}",
            key["id"].as_str().unwrap()
        ),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let refused = auth
        .introspect_token(with_token(
            IntrospectTokenRequest {
                token: owner.token.clone(),
            },
            &secret,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let (_, listed) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/api-keys"),
        Some(&owner.token),
        Value::Null,
    )
    .await;
    assert!(listed["api_keys"][0]["revoke_time"].is_string());
    assert!(listed["api_keys"][0]["last_use_time"].is_string());
    // A key cannot be born expired.
    let past = "2020-01-01T00:00:00Z";
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/api-keys"),
        Some(&owner.token),
        json!({"name": "old", "role": "viewer", "expire_time": past}),
    )
    .await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"));
    // A key that expires works until then, and not a moment after.
    let in_an_hour = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{org}/api-keys"),
        Some(&owner.token),
        json!({"name": "brief", "role": "viewer", "expire_time": in_an_hour}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let brief = body["secret"].as_str().unwrap().to_owned();
    let read = |key: String| {
        let (app, path) = (&app, format!("/api/v1/organizations/{org}"));
        async move { rest(app, "GET", &path, Some(&key), Value::Null).await.0 }
    };
    assert_eq!(read(brief.clone()).await, 200);
    app.clock.advance(Duration::from_secs(3601));
    assert_eq!(read(brief).await, 401, "an expired key is refused");
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = TestApp::spawn().await;
    let first = app.signed_in_user("first").await;
    let org = app.organization_of(&first, "Duo").await;
    let second = app.signed_in_user("second").await;
    app.member_of(&first, &org, &second, "owner").await;
    let demote = |by: &User, whom: &User| {
        let path = format!("/api/v1/organizations/{org}/members/{}", whom.id);
        let (app, token) = (&app, by.token.clone());
        async move { rest(app, "PATCH", &path, Some(&token), json!({"role": "admin"})).await }
    };
    let (a, b) = tokio::join!(demote(&first, &second), demote(&second, &first));
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&200), "{a:?} {b:?}");
    assert!(
        statuses.iter().all(|s| [200, 403, 409].contains(s)),
        "{a:?} {b:?}"
    );
    let (_, members) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{org}/members"),
        Some(&first.token),
        Value::Null,
    )
    .await;
    let owners = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .count();
    assert_eq!(owners, 1, "{members}");
}
