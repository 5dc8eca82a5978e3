//! Health: `GET /health` (liveness, always 200 while the process serves) and
//! `GET /health/ready` (503 while the database does not answer), both
//! `{"status", "database", "redis", "version"}`; and the `grpc.health.v1` status, kept in
//! step with readiness by a background probe.
//!
//! A node without Redis is degraded, not unready: revocation checks fall back to the
//! database and the brute-force limits to the node's own counters, so it still serves every
//! request correctly. Taking every node out of a load balancer because the shared cache is
//! down would turn a degraded service into no service. `status` says `"degraded"` and
//! `redis` says `"unavailable"` for monitoring to alert on.

use std::{sync::Arc, time::Duration};

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};
use tonic_health::{ServingStatus, server::HealthReporter};

use super::app::App;
use crate::store;

struct Report {
    ready: bool,
    body: Value,
}

async fn report(app: &App) -> Report {
    let database = store::is_reachable(&app.db).await;
    let redis = match app.config.redis_url {
        None => "not_configured",
        Some(_) if app.cache.ping().await.is_ok() => "ok",
        Some(_) => "unavailable",
    };
    let healthy = database && redis != "unavailable";
    Report {
        ready: database,
        body: json!({
            "status": if healthy { "ok" } else { "degraded" },
            "database": if database { "ok" } else { "unavailable" },
            "redis": redis,
            "version": env!("CARGO_PKG_VERSION"),
        }),
    }
}

pub async fn live(State(app): State<Arc<App>>) -> Json<Value> {
    Json(report(&app).await.body)
}

pub async fn ready(State(app): State<Arc<App>>) -> (StatusCode, Json<Value>) {
    let report = report(&app).await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report.body))
}

/// Sets the gRPC health of the server ("") and of every janua service from readiness.
pub async fn publish(app: &App, reporter: &HealthReporter) {
    let status = if report(app).await.ready {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    let janua = app
        .descriptors
        .services()
        .map(|s| s.full_name().to_owned())
        .filter(|name| name.starts_with("janua."));
    for name in janua.chain([String::new()]) {
        reporter.set_service_status(&name, status).await;
    }
}

/// Keeps the gRPC health in step with readiness until aborted.
pub async fn probe(app: Arc<App>, reporter: HealthReporter) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        publish(&app, &reporter).await;
    }
}
