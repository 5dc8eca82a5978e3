//! The audit log through the real port: user changes show up for administrators, filters
//! (action, actor, time) narrow it, pages come newest first with no event twice while
//! events keep coming, and an organization's log is readable by members holding
//! "audit:read" (NOT_FOUND for outsiders), the whole log only by administrators.

use std::collections::HashSet;

use janua::proto::janua::audit::v1::{
    ActorType, AuditEvent, ListAuditEventsRequest, Outcome,
    audit_service_client::AuditServiceClient,
};
use serde_json::{Value, json};
use tonic::{Code, transport::Channel};

use super::{
    auth::{PASSWORD, admin_app, login, rest, unique_email},
    users::{admin_creates, authed, create_organization, id_of},
};

/// Every event matching `request` (all pages), as the gRPC client sees them.
async fn all_events(
    grpc: &mut AuditServiceClient<Channel>,
    token: &str,
    request: ListAuditEventsRequest,
) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = grpc
            .list_audit_events(authed(
                ListAuditEventsRequest {
                    page_token,
                    page_size: 500,
                    ..request.clone()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        events.extend(page.audit_events);
        if page.next_page_token.is_empty() {
            return events;
        }
        page_token = page.next_page_token;
    }
}

fn by_action(action: &str) -> ListAuditEventsRequest {
    ListAuditEventsRequest {
        action: action.into(),
        ..Default::default()
    }
}

/// (seconds, nanos) of an event's time, for ordering.
fn when(event: &AuditEvent) -> (i64, i32) {
    let at = event.occur_time.unwrap();
    (at.seconds, at.nanos)
}

#[tokio::test]
async fn user_changes_appear_in_the_audit_log_for_admins() {
    let app = admin_app().await;
    let (admin, admin_id) = app.admin_session().await;
    let (owner, _) = app.user_session(&unique_email("owner")).await;
    let organization = create_organization(&app, &owner, "Audited").await;
    let user = admin_creates(
        &app,
        &admin,
        json!({"email": unique_email("audited"), "organization_id": organization}),
    )
    .await;
    let id = id_of(&user);
    let path = |suffix: &str| format!("/api/v1/users/{id}{suffix}");
    for (method, route, body) in [
        (
            "PATCH",
            path("?update_mask=displayName"),
            json!({"display_name": "New"}),
        ),
        ("POST", path("/suspend"), json!({"reason": "chargeback"})),
        ("POST", path("/reactivate"), json!({})),
        ("POST", path("/unlock"), json!({})),
        ("DELETE", path(""), Value::Null),
    ] {
        let (status, body) = rest(&app, method, &route, Some(&admin), body).await;
        assert_eq!(status, 200, "{method} {route}: {body}");
    }

    let mut grpc = app.audit_client().await;
    for action in [
        "user.created",
        "member.added",
        "user.updated",
        "user.suspended",
        "user.reactivated",
        "user.unlocked",
        "member.removed",
        "user.deleted",
    ] {
        let events = all_events(&mut grpc, &admin, by_action(action)).await;
        let event = events
            .iter()
            .find(|e| e.target_id == id)
            .unwrap_or_else(|| panic!("no {action} for the user"));
        assert_eq!(event.actor_id, admin_id, "{action}");
        assert_eq!(event.actor_type(), ActorType::User, "{action}");
        assert_eq!(event.outcome(), Outcome::Success, "{action}");
        assert_eq!(
            (event.target_type.as_str(), event.ip_address.as_str()),
            ("user", "127.0.0.1")
        );
        let details = event.metadata.clone().map(janua::metadata::struct_to_json);
        match action {
            "member.added" | "member.removed" => assert_eq!(event.organization_id, organization),
            "user.suspended" => assert_eq!(details, Some(json!({"reason": "chargeback"}))),
            "user.updated" => assert_eq!(details, Some(json!({"fields": ["display_name"]}))),
            _ => assert_eq!(event.organization_id, "", "{action} is platform-wide"),
        }
    }
}

#[tokio::test]
async fn audit_events_filter_by_action_actor_and_time() {
    let app = admin_app().await;
    let (admin, admin_id) = app.admin_session().await;
    let email = unique_email("actor");
    let (_, user_id) = app.user_session(&email).await;
    for _ in 0..3 {
        assert_eq!(login(&app, &email, PASSWORD).await.0, 200);
    }
    let mut grpc = app.audit_client().await;

    let logins = all_events(&mut grpc, &admin, by_action("user.login")).await;
    assert!(logins.iter().all(|e| e.action == "user.login"));
    let theirs = all_events(
        &mut grpc,
        &admin,
        ListAuditEventsRequest {
            actor_id: user_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(theirs.len(), 4, "registered + 3 sign-ins: {theirs:?}");
    assert!(theirs.iter().all(|e| e.actor_id == user_id));
    let both = all_events(
        &mut grpc,
        &admin,
        ListAuditEventsRequest {
            actor_id: user_id.clone(),
            action: "user.login".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(both.len(), 3);
    assert!(
        logins.iter().any(|e| e.actor_id == admin_id),
        "the admin's own sign-in"
    );

    // Newest first: both[0] is the last sign-in, both[2] the first.
    let (first, last) = (both[2].occur_time, both[0].occur_time);
    let from_first = all_events(
        &mut grpc,
        &admin,
        ListAuditEventsRequest {
            actor_id: user_id.clone(),
            start_time: first,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        from_first.len(),
        3,
        "start_time is inclusive and drops the sign-up"
    );
    let before_last = all_events(
        &mut grpc,
        &admin,
        ListAuditEventsRequest {
            actor_id: user_id.clone(),
            start_time: first,
            end_time: last,
            ..Default::default()
        },
    )
    .await;
    let ids: Vec<&str> = before_last.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [both[1].id.as_str(), both[2].id.as_str()],
        "end_time is exclusive"
    );

    // Over REST, times are RFC 3339 query parameters.
    let at = chrono::DateTime::from_timestamp(first.unwrap().seconds, first.unwrap().nanos as u32)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let (status, body) = rest(
        &app,
        "GET",
        &format!("/api/v1/audit-events?actor_id={user_id}&action=user.login&start_time={at}"),
        Some(&admin),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["audit_events"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(body["audit_events"][0]["actor_type"], "ACTOR_TYPE_USER");
}

#[tokio::test]
async fn audit_pages_come_newest_first_without_duplicates() {
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let (owner, _) = app.user_session(&unique_email("owner")).await;
    let organization = create_organization(&app, &owner, "Busy").await;
    // Each creation into an organization writes two events at the same instant, so page
    // boundaries fall between events that share a time and only the id tells them apart.
    for _ in 0..12 {
        admin_creates(
            &app,
            &admin,
            json!({"email": unique_email("busy"), "organization_id": organization}),
        )
        .await;
    }
    let user = admin_creates(&app, &admin, json!({"email": unique_email("renamed")})).await;
    let rename = format!("/api/v1/users/{}?update_mask=displayName", id_of(&user));
    for n in 0..9 {
        let (status, _) = rest(
            &app,
            "PATCH",
            &rename,
            Some(&admin),
            json!({"display_name": format!("n{n}")}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let mut grpc = app.audit_client().await;
    let before = all_events(&mut grpc, &admin, ListAuditEventsRequest::default()).await;
    assert!(
        before.windows(2).any(|w| when(&w[0]) == when(&w[1])),
        "some events share a time"
    );

    let (mut seen, mut page_token, mut n) = (Vec::<AuditEvent>::new(), String::new(), 100);
    loop {
        let page = grpc
            .list_audit_events(authed(
                ListAuditEventsRequest {
                    page_size: 3,
                    page_token,
                    ..Default::default()
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        // New events arrive between pages; a list read by offset would repeat events.
        n += 1;
        let (status, _) = rest(
            &app,
            "PATCH",
            &rename,
            Some(&admin),
            json!({"display_name": format!("n{n}")}),
        )
        .await;
        assert_eq!(status, 200);
        seen.extend(page.audit_events);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let ids: Vec<&str> = seen.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "an event came twice"
    );
    let expected: Vec<&str> = before.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids, expected,
        "exactly the events that existed, newest first"
    );
    assert!(
        seen.windows(2)
            .all(|w| (when(&w[0]), &w[0].id) > (when(&w[1]), &w[1].id))
    );

    let first = grpc
        .list_audit_events(authed(
            ListAuditEventsRequest {
                page_size: 4,
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let refused = grpc
        .list_audit_events(authed(
            ListAuditEventsRequest {
                page_size: 4,
                page_token: first.next_page_token,
                action: "user.updated".into(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn organization_audit_access_follows_the_audit_read_permission() {
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let (owner, owner_id) = app.user_session(&unique_email("owner")).await;
    let (member_email, org_admin_email) = (unique_email("member"), unique_email("orgadmin"));
    let (member, member_id) = app.user_session(&member_email).await;
    let (org_admin, org_admin_id) = app.user_session(&org_admin_email).await;
    let (outsider, _) = app.user_session(&unique_email("outsider")).await;
    let organization = create_organization(&app, &owner, "Watched").await;
    for (user_id, email, token, role) in [
        (&member_id, &member_email, &member, "member"),
        (&org_admin_id, &org_admin_email, &org_admin, "admin"),
    ] {
        let (status, body) = rest(
            &app,
            "POST",
            &format!("/api/v1/organizations/{organization}/members"),
            Some(&owner),
            json!({"user_id": user_id, "role": role}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        crate::orgs::accept_mailed_invitation_as(&app, email, token).await;
    }
    let list = |token: &str, query: &str| {
        let (token, path) = (token.to_owned(), format!("/api/v1/audit-events{query}"));
        let app = &app;
        async move { rest(app, "GET", &path, Some(&token), Value::Null).await }
    };
    let scoped = format!("?organization_id={organization}");

    let (status, body) = list(&owner, &scoped).await;
    assert_eq!(status, 200, "{body}");
    let events = body["audit_events"].as_array().unwrap();
    let created = events
        .iter()
        .find(|e| e["action"] == "organization.created")
        .unwrap();
    assert_eq!(
        (&created["actor_id"], &created["target_id"]),
        (&json!(owner_id), &json!(organization))
    );
    assert!(
        events
            .iter()
            .all(|e| e["organization_id"] == organization.as_str())
    );
    assert!(
        !events.iter().any(|e| e["action"] == "user.login"),
        "platform-wide events stay out of an organization's log"
    );
    for token in [&org_admin, &admin] {
        assert_eq!(
            list(token, &scoped).await.0,
            200,
            "audit:read or platform admin"
        );
    }
    let (status, body) = list(&member, &scoped).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("AUTHORIZATION_ERROR"))
    );
    let (status, body) = list(&outsider, &scoped).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("NOT_FOUND_ERROR"))
    );
    let (status, body) = list(&owner, "").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("AUTHORIZATION_ERROR")),
        "the whole log"
    );
    assert_eq!(list(&admin, "").await.0, 200);
}
