//! Delivery through the real port, on one server whose clock the test moves: a receiver that
//! fails the first attempts gets the event later with the same id; one that stays down sees
//! the delivery fail and the endpoint marked failing, then disabled; RedeliverWebhook sends
//! the event again; the delivery log shows each attempt's status, code, latency and first
//! KiB; an organization's endpoint never receives another organization's event; a rotated
//! secret signs beside the new one; a change that rolls back emits nothing.

use std::time::Duration;

use janua::{
    audit::{self, Actor, AuditEvent},
    clock::Clock,
    store::entities::{webhook_endpoint, webhook_event},
};
use sea_orm::{EntityTrait, PaginatorTrait, TransactionTrait};
use serde_json::{Value, json};

use super::{Receiver, create_endpoint, delivery_log, event_of, org_webhooks, wait_for_status};
use crate::{
    auth::{PASSWORD, access, login},
    fixtures::User,
    helpers::{TestApp, metric_samples},
    orgs::reason,
};

async fn delivery_app() -> TestApp {
    TestApp::spawn_with(&[
        ("WEBHOOK_RETRY_SCHEDULE", "10s,20s,30s"),
        ("WEBHOOK_FAILING_AFTER_FAILURES", "2"),
        ("WEBHOOK_DISABLE_AFTER_HOURS", "1"),
    ])
    .await
}

/// Moves the server's clock (and the receiver's judgement of time) by `seconds`.
async fn advance(app: &TestApp, receiver: &Receiver, seconds: u64) {
    app.clock.advance(Duration::from_secs(seconds));
    receiver.follow_clock(app).await;
}

/// A fresh access token for `user` (the clock may have moved past the last one's expiry).
async fn signed_in_again(app: &TestApp, user: &mut User) {
    let (status, body) = login(app, &user.email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    user.token = access(&body);
}

async fn rename(app: &TestApp, user: &User, org: &str, name: &str) {
    let (status, body) = app
        .rest(
            "PATCH",
            &format!("/api/v1/organizations/{org}?update_mask=name"),
            Some(&user.token),
            json!({ "name": name }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn new_role(app: &TestApp, user: &User, org: &str, name: &str) {
    let (status, body) = app
        .rest(
            "POST",
            &format!("/api/v1/organizations/{org}/roles"),
            Some(&user.token),
            json!({"name": name, "permissions": ["audit:read"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn endpoint_state(app: &TestApp, user: &User, path: &str) -> String {
    let (status, body) = app.rest("GET", path, Some(&user.token), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body["state"].as_str().unwrap().to_owned()
}

/// Creates an endpoint of `org` for `types`, hooked to `hook`; returns (REST path, secret).
async fn hooked_endpoint(
    app: &TestApp,
    receiver: &Receiver,
    user: &User,
    org: &str,
    hook: &str,
    types: Value,
    fail: u32,
) -> (String, String) {
    let created = create_endpoint(
        app,
        &user.token,
        &org_webhooks(org),
        json!({"url": receiver.url(hook), "event_types": types}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    receiver.configure(hook, &secret, fail).await;
    let id = created["endpoint"]["id"].as_str().unwrap();
    (format!("{}/{id}", org_webhooks(org)), secret)
}

#[tokio::test]
async fn retries_keep_the_event_id_failing_endpoints_are_marked_and_redelivery_sends_again() {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = delivery_app().await;
    let mut owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;

    // A receiver failing its first two attempts gets the event on the third, same id.
    let (flaky, _) = hooked_endpoint(
        &app,
        &receiver,
        &owner,
        &org,
        "flaky",
        json!(["organization.updated"]),
        2,
    )
    .await;
    rename(&app, &owner, &org, "Acme 2").await;
    let first = receiver.wait_for("flaky", 1).await;
    assert_eq!(first[0]["answered"], 500);
    let logged = wait_for_status(
        &app,
        &owner.token,
        &flaky,
        "WEBHOOK_DELIVERY_STATUS_PENDING",
    )
    .await;
    let logged = if logged["attempt_count"] == 1 {
        logged
    } else {
        delivery_log(&app, &owner.token, &flaky).await[0].clone()
    };
    assert_eq!(logged["attempt_count"], 1, "{logged}");
    assert_eq!(logged["response_status_code"], 500);
    assert_eq!(
        logged["response_body"].as_str().unwrap().len(),
        1024,
        "the first KiB"
    );
    assert!(logged["latency"].is_string() && logged["next_attempt_time"].is_string());
    assert!(!logged["error"].as_str().unwrap().is_empty());
    advance(&app, &receiver, 13).await;
    receiver.wait_for("flaky", 2).await;
    advance(&app, &receiver, 25).await;
    let all = receiver.wait_for("flaky", 3).await;
    assert_eq!(all.len(), 3);
    let ids: Vec<&Value> = all.iter().map(|d| &d["headers"]["webhook-id"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert!(all.iter().all(|d| d["verified"] == true));
    assert_eq!(all[2]["answered"], 200);
    let delivered = wait_for_status(
        &app,
        &owner.token,
        &flaky,
        "WEBHOOK_DELIVERY_STATUS_DELIVERED",
    )
    .await;
    assert_eq!(delivered["attempt_count"], 3);
    assert_eq!(delivered["response_status_code"], 200);
    assert_eq!(delivered["event_type"], "organization.updated");
    assert_eq!(delivered["event_id"], *ids[0]);
    assert_eq!(
        endpoint_state(&app, &owner, &flaky).await,
        "WEBHOOK_ENDPOINT_STATE_ACTIVE"
    );
    let samples = metric_samples(&app.url("/metrics")).await;
    for outcome in ["delivered", "failed"] {
        let series = format!("janua_webhook_deliveries_total{{outcome=\"{outcome}\"}}");
        assert!(samples.get(&series).is_some_and(|n| *n >= 1.0), "{series}");
    }
    assert!(samples.contains_key("janua_webhook_queue_depth"));

    // A receiver that stays down: the schedule is spent, the delivery fails and the endpoint
    // is failing; RedeliverWebhook sends the same event again once it is back.
    let (down, down_secret) = hooked_endpoint(
        &app,
        &receiver,
        &owner,
        &org,
        "down",
        json!(["role.created"]),
        100,
    )
    .await;
    new_role(&app, &owner, &org, "auditor").await;
    receiver.wait_for("down", 1).await;
    for (seconds, attempts) in [(13, 2), (25, 3), (37, 4)] {
        advance(&app, &receiver, seconds).await;
        receiver.wait_for("down", attempts).await;
    }
    signed_in_again(&app, &mut owner).await;
    let failed = wait_for_status(&app, &owner.token, &down, "WEBHOOK_DELIVERY_STATUS_FAILED").await;
    assert_eq!(failed["attempt_count"], 4);
    assert_eq!(
        endpoint_state(&app, &owner, &down).await,
        "WEBHOOK_ENDPOINT_STATE_FAILING"
    );
    receiver.configure("down", &down_secret, 0).await;
    let (status, redelivered) = app
        .rest(
            "POST",
            &format!(
                "{down}/deliveries/{}/redeliver",
                failed["id"].as_str().unwrap()
            ),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{redelivered}");
    let received = receiver.wait_for("down", 5).await;
    assert_eq!(received[4]["answered"], 200);
    assert_eq!(
        received[4]["headers"]["webhook-id"],
        received[0]["headers"]["webhook-id"]
    );
    wait_for_status(
        &app,
        &owner.token,
        &down,
        "WEBHOOK_DELIVERY_STATUS_DELIVERED",
    )
    .await;
    assert_eq!(
        endpoint_state(&app, &owner, &down).await,
        "WEBHOOK_ENDPOINT_STATE_ACTIVE"
    );

    // Failing for longer than WEBHOOK_DISABLE_AFTER_HOURS disables it: nothing more is
    // queued until it is enabled again.
    receiver.configure("down", &down_secret, 100).await;
    new_role(&app, &owner, &org, "reader").await;
    receiver.wait_for("down", 6).await;
    advance(&app, &receiver, 2 * 3600).await;
    signed_in_again(&app, &mut owner).await;
    receiver.wait_for("down", 7).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while endpoint_state(&app, &owner, &down).await != "WEBHOOK_ENDPOINT_STATE_DISABLED" {
        assert!(std::time::Instant::now() < deadline, "never disabled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = delivery_log(&app, &owner.token, &down).await.len();
    new_role(&app, &owner, &org, "writer").await;
    assert_eq!(delivery_log(&app, &owner.token, &down).await.len(), logged);
    let (status, enabled) = app
        .rest(
            "PATCH",
            &format!("{down}?update_mask=enabled"),
            Some(&owner.token),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["state"], "WEBHOOK_ENDPOINT_STATE_ACTIVE");
}

#[tokio::test]
async fn organizations_see_only_their_events_rotation_signs_twice_and_rollbacks_emit_nothing() {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = delivery_app().await;
    let owner_a = app.signed_in_user("a").await;
    let org_a = app.organization_of(&owner_a, "A").await;
    let owner_b = app.signed_in_user("b").await;
    let org_b = app.organization_of(&owner_b, "B").await;
    let (endpoint_a, _) =
        hooked_endpoint(&app, &receiver, &owner_a, &org_a, "a", json!([]), 0).await;
    let (endpoint_b, secret_b) =
        hooked_endpoint(&app, &receiver, &owner_b, &org_b, "b", json!([]), 0).await;

    rename(&app, &owner_a, &org_a, "A 2").await;
    rename(&app, &owner_b, &org_b, "B 2").await;
    let got_a = receiver.wait_for("a", 1).await;
    let got_b = receiver.wait_for("b", 1).await;
    for (got, org) in [(&got_a, &org_a), (&got_b, &org_b)] {
        for delivery in got.iter() {
            let event = event_of(delivery);
            assert_eq!(event["data"]["id"], **org, "{event}");
        }
    }

    // Another organization's endpoints are NOT_FOUND; the platform's are for administrators.
    for path in [endpoint_a.clone(), format!("{endpoint_a}/deliveries")] {
        let (status, body) = app
            .rest("GET", &path, Some(&owner_b.token), Value::Null)
            .await;
        assert_eq!((status, reason(&body)), (404, "NOT_FOUND_ERROR"), "{body}");
    }
    let (status, body) = app
        .rest("GET", "/api/v1/webhooks", Some(&owner_a.token), Value::Null)
        .await;
    assert_eq!(
        (status, reason(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "{body}"
    );
    let (status, body) = app
        .rest(
            "POST",
            &org_webhooks(&org_a),
            Some(&owner_a.token),
            json!({"url": "https://10.1.2.3/x"}),
        )
        .await;
    assert_eq!((status, reason(&body)), (400, "VALIDATION_ERROR"), "{body}");
    assert_eq!(
        body["error"]["details"][1]["field_violations"][0]["field"], "url",
        "{body}"
    );

    // Endpoint changes are audited without the secret; the secret is sealed at rest.
    let (status, audited) = app
        .rest(
            "GET",
            &format!(
                "/api/v1/audit-events?organization_id={org_b}&action=webhook_endpoint.created"
            ),
            Some(&owner_b.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{audited}");
    assert_eq!(
        audited["audit_events"].as_array().unwrap().len(),
        1,
        "{audited}"
    );
    let secret_text = secret_b.trim_start_matches("whsec_");
    assert!(!audited.to_string().contains(secret_text));
    let rows = webhook_endpoint::Entity::find()
        .all(&app.app.db)
        .await
        .unwrap();
    assert!(!format!("{rows:?}").contains(secret_text));
    let secret_bytes =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret_text).unwrap();
    assert!(rows.iter().all(|row| {
        !row.secret_sealed
            .windows(secret_bytes.len())
            .any(|w| w == secret_bytes)
    }));

    // A test event, then a rotation: both secrets sign until the old one expires.
    let (status, body) = app
        .rest(
            "POST",
            &format!("{endpoint_b}/test"),
            Some(&owner_b.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tested = receiver.wait_for("b", 2).await;
    assert_eq!(event_of(&tested[1])["type"], "webhook.test");
    let (status, rotated) = app
        .rest(
            "POST",
            &format!("{endpoint_b}/rotate-secret"),
            Some(&owner_b.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret_b);
    let deliveries_b = receiver.deliveries("b").await.len();
    app.rest(
        "POST",
        &format!("{endpoint_b}/test"),
        Some(&owner_b.token),
        json!({}),
    )
    .await;
    let after_rotation = receiver.wait_for("b", deliveries_b + 1).await;
    let last = after_rotation.last().unwrap();
    let signatures = last["headers"]["webhook-signature"].as_str().unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    let body = last["body"].as_str().unwrap();
    for secret in [&secret_b, &new_secret] {
        assert_eq!(
            receiver.verify(secret, &last["headers"], body).await["verified"],
            true
        );
    }

    // The hook point is the audit write, in the change's transaction: rolled back, nothing.
    let events_before = webhook_event::Entity::find()
        .count(&app.app.db)
        .await
        .unwrap();
    let change = || {
        AuditEvent::new("organization.updated", Actor::System)
            .organization(org_b.clone())
            .target("organization", org_b.clone())
    };
    let txn = app.app.db.begin().await.unwrap();
    audit::record(&txn, app.clock.now(), change())
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(
        webhook_event::Entity::find()
            .count(&app.app.db)
            .await
            .unwrap(),
        events_before
    );
    let txn = app.app.db.begin().await.unwrap();
    audit::record(&txn, app.clock.now(), change())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        webhook_event::Entity::find()
            .count(&app.app.db)
            .await
            .unwrap(),
        events_before + 1
    );
    let committed = receiver.wait_for("b", after_rotation.len() + 1).await;
    assert_eq!(
        event_of(committed.last().unwrap())["type"],
        "organization.updated"
    );
    assert_eq!(
        receiver.deliveries("a").await.len(),
        got_a.len(),
        "A saw B's event"
    );
}
