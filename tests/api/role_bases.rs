//! Custom roles start from a built-in one (`base_role`, `viewer` by default): a member given
//! "accountant" still sees the organization, a base never lifts the escalation rule, and a
//! base is changed through the update mask like any other field.

use serde_json::{Value, json};

use super::{auth::rest, helpers::TestApp};

fn reason(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_custom_role_keeps_its_base_roles_permissions() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Ledger").await;
    let roles = format!("/api/v1/organizations/{org}/roles");
    let (status, role) = rest(
        &app,
        "POST",
        &roles,
        Some(&owner.token),
        json!({"name": "accountant", "permissions": ["invoices:approve"]}),
    )
    .await;
    assert_eq!(status, 200, "{role}");
    assert_eq!(role["base_role"], "viewer", "viewer when none is named");
    assert_eq!(role["permissions"], json!(["invoices:approve"]));
    assert_eq!(
        role["effective_permissions"],
        json!(["invoices:approve", "org:read"])
    );

    // The README's case: Bob, invited as an accountant, sees the organization he joined.
    let bob = app.signed_in_user("bob").await;
    app.member_of(&owner, &org, &bob, "accountant").await;
    let org_path = format!("/api/v1/organizations/{org}");
    let (status, body) = rest(&app, "GET", &org_path, Some(&bob.token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    let members = format!("{org_path}/members");
    let (status, body) = rest(&app, "GET", &members, Some(&bob.token), Value::Null).await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "a viewer base does not read members"
    );

    // Moving the base to member through the mask adds members:read, at once.
    let role_id = role["id"].as_str().unwrap();
    let (status, changed) = rest(
        &app,
        "PATCH",
        &format!("{roles}/{role_id}?update_mask=base_role"),
        Some(&owner.token),
        json!({"base_role": "member"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        changed["effective_permissions"],
        json!(["invoices:approve", "members:read", "org:read"])
    );
    let (status, body) = rest(&app, "GET", &members, Some(&bob.token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_base_role_obeys_the_escalation_rule_and_must_be_a_base() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Guarded bases").await;
    let roles = format!("/api/v1/organizations/{org}/roles");
    // A role manager that is not an admin: member's permissions plus roles:write.
    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&owner.token),
        json!({"name": "role-manager", "base_role": "member", "permissions": ["roles:write"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let manager = app.signed_in_user("manager").await;
    app.member_of(&owner, &org, &manager, "role-manager").await;

    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&manager.token),
        json!({"name": "sneaky", "base_role": "admin"}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "an admin base grants what the manager does not hold: {body}"
    );
    let (status, body) = rest(
        &app,
        "POST",
        &roles,
        Some(&manager.token),
        json!({"name": "reader", "base_role": "member", "permissions": ["reports:read"]}),
    )
    .await;
    assert_eq!(status, 200, "a base the manager holds is fine: {body}");
    let reader_id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = rest(
        &app,
        "PATCH",
        &format!("{roles}/{reader_id}?update_mask=base_role"),
        Some(&manager.token),
        json!({"base_role": "admin"}),
    )
    .await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "nor through an update: {body}"
    );

    for base in ["owner", "root", "Member"] {
        let (status, body) = rest(
            &app,
            "POST",
            &roles,
            Some(&owner.token),
            json!({"name": "based", "base_role": base}),
        )
        .await;
        assert_eq!(
            (
                status,
                body["error"]["details"][1]["field_violations"][0]["field"].as_str()
            ),
            (400, Some("base_role")),
            "{base}: {body}"
        );
    }
    let (_, listed) = rest(&app, "GET", &roles, Some(&owner.token), Value::Null).await;
    let names: Vec<&str> = listed["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "owner",
            "admin",
            "member",
            "viewer",
            "reader",
            "role-manager"
        ],
        "refused roles were not created"
    );
}
