//! Several nodes on one database (PostgreSQL + Redis in the test command's second pass):
//! every node's worker claims a delivery before attempting it, so each event reaches the
//! receiver exactly once; a node killed in the middle of a delivery loses nothing, as
//! another node attempts it again, same id, once the claim's lease has passed. Ended
//! deliveries are kept for the retention period, then pruned with their events.

use std::time::Duration;

use janua::store::entities::{webhook_delivery, webhook_event};
use sea_orm::EntityTrait;
use serde_json::json;

use super::{Receiver, create_endpoint, event_of, org_webhooks};
use crate::helpers::{JanuaProcess, TestApp};

async fn roles(app: &TestApp, token: &str, org: &str, names: impl Iterator<Item = String>) {
    for name in names {
        let (status, body) = app
            .rest(
                "POST",
                &format!("/api/v1/organizations/{org}/roles"),
                Some(token),
                json!({"name": name, "permissions": ["audit:read"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn two_nodes_deliver_each_event_exactly_once() {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let node_a = TestApp::spawn().await;
    let node_b = node_a.spawn_beside(&[]).await;
    let owner = node_a.signed_in_user("owner").await;
    let org = node_a.organization_of(&owner, "Acme").await;
    let created = create_endpoint(
        &node_a,
        &owner.token,
        &org_webhooks(&org),
        json!({"url": receiver.url("once"), "event_types": ["role.created"]}),
    )
    .await;
    receiver
        .configure("once", created["secret"].as_str().unwrap(), 0)
        .await;
    // Changes on both nodes; both workers poll the same queue.
    roles(
        &node_a,
        &owner.token,
        &org,
        (0..10).map(|i| format!("a{i}")),
    )
    .await;
    roles(
        &node_b,
        &owner.token,
        &org,
        (0..10).map(|i| format!("b{i}")),
    )
    .await;
    let received = receiver.wait_for("once", 20).await;
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = receiver.deliveries("once").await.len().max(received.len());
    assert_eq!(received, 20, "each event once");
    let ids: std::collections::BTreeSet<String> = receiver
        .deliveries("once")
        .await
        .iter()
        .map(|d| d["headers"]["webhook-id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 20);
}

#[tokio::test]
async fn a_node_killed_mid_delivery_loses_no_event() {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    // This node delivers only when the test says (its worker is off); the `janua serve`
    // process beside it is the one that dies.
    let app = TestApp::spawn_with(&[("WEBHOOK_DELIVERY_ENABLED", "false")]).await;
    let mut doomed =
        JanuaProcess::start_beside(&app, &[("WEBHOOK_DELIVERY_ENABLED", "true")]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    let created = create_endpoint(
        &app,
        &owner.token,
        &org_webhooks(&org),
        json!({"url": receiver.url("slow"), "event_types": ["role.created"]}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    receiver
        .configure_with("slow", json!({"secret": secret, "hang": 30}))
        .await;
    roles(&app, &owner.token, &org, ["auditor".to_owned()].into_iter()).await;
    let first = receiver.wait_for("slow", 1).await;
    doomed.child.kill().await.unwrap();

    // The claim stands until its lease passes; then another node attempts it again.
    assert_eq!(
        app.app.webhooks.deliver_due().await.unwrap(),
        0,
        "still leased"
    );
    app.clock.advance(Duration::from_secs(3600));
    receiver.follow_clock(&app).await;
    assert_eq!(app.app.webhooks.deliver_due().await.unwrap(), 1);
    let received = receiver.wait_for("slow", 2).await;
    assert_eq!(received[1]["answered"], 200);
    assert_eq!(
        received[1]["headers"]["webhook-id"],
        first[0]["headers"]["webhook-id"]
    );
    assert_eq!(event_of(&received[1])["type"], "role.created");
    let rows = webhook_delivery::Entity::find()
        .all(&app.app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "delivered");

    // Past WEBHOOK_RETENTION_DAYS the delivery log lets it go, with its event.
    assert_eq!(app.app.webhooks.prune().await.unwrap(), 0, "still kept");
    app.clock.advance(Duration::from_secs(31 * 86_400));
    assert_eq!(app.app.webhooks.prune().await.unwrap(), 1);
    assert!(
        webhook_delivery::Entity::find()
            .all(&app.app.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        webhook_event::Entity::find()
            .all(&app.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
