//! Redis killed (SIGKILL, no persistence: it comes back empty) and Redis refusing writes (out
//! of memory, its data kept) under two nodes: the service stays up and says so in `/health`,
//! revoked sessions stay refused through the database, the brute-force limits fall back to
//! each node's own counters, and everything is shared again once Redis is back, without a
//! restart of Janua.

use std::time::Duration;

use serde_json::json;

use super::{
    Node, node_env,
    services::{Postgres, Redis, available},
    session_id, unique_email,
};
use crate::{
    auth::PASSWORD,
    helpers::{TestApp, random_key},
};

const WRONG: &str = "not the password at all";
/// Delays from the 3rd failure and a lock at the 3rd: one attempt too many shows.
const LIMITS: [(&str, &str); 3] = [
    ("LOGIN_DELAY_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_SECONDS", "120"),
];
/// Redis reconnects within a second; health reports it at the next check.
const RECONNECT: Duration = Duration::from_secs(10);

async fn fail_logins(node: &Node, email: &str, times: usize) {
    for _ in 0..times {
        assert_eq!(node.login(email, WRONG).await.0, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_keeps_the_service_up_and_revocations_and_limits_enforced() {
    if !available("redis_killed_keeps_the_service_up_and_revocations_and_limits_enforced") {
        return;
    }
    let postgres = Postgres::start().await;
    let mut redis = Redis::start().await;
    let env = node_env(&postgres.url(), Some(&redis.url()), &random_key(), &LIMITS);
    let app_a = TestApp::spawn_on(env).await;
    let app_b = app_a.spawn_beside(&[]).await;
    let (a, b) = (Node::of(&app_a), Node::of(&app_b));
    let admin = a.admin_session().await;
    let email = unique_email("outage");
    a.register(&email).await;
    let kept = a.session(&email).await;
    let ended = a.session(&email).await;
    let (status, health) = a.get("/health/ready").await;
    assert_eq!((status, &health["redis"]), (200, &json!("ok")), "{health}");

    redis.kill().await;

    let health = a.wait_for_redis("unavailable", RECONNECT).await;
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["database"], "ok");
    assert_eq!(a.get("/health/ready").await.0, 200, "still serving");
    assert_eq!(
        a.post("/api/v1/auth/logout", Some(&ended), json!({}))
            .await
            .0,
        200
    );
    for node in [&a, &b] {
        assert_eq!(node.me(&ended).await, 401, "revoked while Redis is down");
        assert!(!node.active(&admin, &ended).await);
        assert_eq!(node.me(&kept).await, 200, "a live session still works");
    }
    let locked = unique_email("locked");
    a.register(&locked).await;
    fail_logins(&a, &locked, 3).await;
    assert_eq!(
        a.login(&locked, PASSWORD).await.0,
        423,
        "node A locks on its own count"
    );
    assert_eq!(
        b.login(&locked, PASSWORD).await.0,
        200,
        "node B counted none of node A's failures"
    );

    redis.start_again().await;

    for node in [&a, &b] {
        let health = node.wait_for_redis("ok", RECONNECT).await;
        assert_eq!(health["status"], "ok");
        assert_eq!(
            node.me(&ended).await,
            401,
            "still revoked on an empty Redis"
        );
        assert!(!node.active(&admin, &ended).await);
        assert_eq!(node.me(&kept).await, 200);
    }
    let shared = unique_email("shared");
    a.register(&shared).await;
    fail_logins(&a, &shared, 1).await;
    fail_logins(&b, &shared, 1).await;
    fail_logins(&a, &shared, 1).await;
    assert_eq!(
        b.login(&shared, PASSWORD).await.0,
        423,
        "limits are shared again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_redis_refused_to_store_is_still_refused_on_every_node() {
    if !available("a_revocation_redis_refused_to_store_is_still_refused_on_every_node") {
        return;
    }
    let postgres = Postgres::start().await;
    let redis = Redis::start().await;
    let env = node_env(&postgres.url(), Some(&redis.url()), &random_key(), &[]);
    let app_a = TestApp::spawn_on(env).await;
    let app_b = app_a.spawn_beside(&[]).await;
    let (a, b) = (Node::of(&app_a), Node::of(&app_b));
    let email = unique_email("oom");
    a.register(&email).await;
    let ended = a.session(&email).await;
    let kept = a.session(&email).await;
    assert_eq!(b.me(&ended).await, 200);

    // Out of memory: Redis keeps its data and answers reads but refuses every write, so the
    // revocation marker cannot be stored while node B's reads keep working.
    redis.config_set("maxmemory", "1").await;
    assert_eq!(
        a.post("/api/v1/auth/logout", Some(&ended), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(b.me(&ended).await, 401, "refused on node B at once");
    assert_eq!(a.me(&ended).await, 401);
    assert_eq!(b.me(&kept).await, 200);

    redis.config_set("maxmemory", "0").await;

    // The nodes repair the cache from the database by themselves.
    let marker = format!("faults:{{revocations}}:session:{}", session_id(&ended));
    let deadline = std::time::Instant::now() + RECONNECT;
    while !redis.exists(&marker).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the marker was never repaired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for node in [&a, &b] {
        assert_eq!(
            node.me(&ended).await,
            401,
            "still refused once Redis stores again"
        );
        assert_eq!(node.me(&kept).await, 200);
    }
}
