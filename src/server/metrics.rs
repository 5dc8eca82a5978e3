//! Prometheus metrics at `GET /metrics`: requests and latency by RPC and status code, the
//! database pool, the password-hashing queue, the account and mail counters domain code
//! bumps through `telemetry`, and the standard `process_*` metrics (resident memory, CPU
//! seconds, open file descriptors, start time). Labels only take values from a closed set
//! (known RPC paths, gRPC code names), so a client cannot grow the series count. With
//! `METRICS_BEARER_TOKEN` set, only a scraper presenting it may read them.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::{HeaderMap, header::AUTHORIZATION};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::Code;

use super::request_log::RequestFacts;
use crate::crypto::{HashingMetrics, WorkerMetrics};

pub struct Metrics {
    /// Janua's own metrics, named `janua_*`.
    registry: Registry,
    /// The process collector's, under their standard unprefixed names.
    process: Registry,
    rpc_requests: IntCounterVec,
    rpc_duration: HistogramVec,
    db_pool: IntGaugeVec,
    hashing: HashingMetrics,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("janua".into()), None)?;
        let rpc_requests = IntCounterVec::new(
            Opts::new(
                "rpc_requests_total",
                "RPCs handled, by method and gRPC status code",
            ),
            &["rpc", "code"],
        )?;
        let rpc_duration = HistogramVec::new(
            HistogramOpts::new(
                "rpc_duration_seconds",
                "RPC latency until the response headers, by method and code",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["rpc", "code"],
        )?;
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        let hash_in_flight =
            IntGauge::new("password_hash_in_flight", "Password hashes being computed")?;
        let hash_waiting = IntGauge::new(
            "password_hash_waiting",
            "Password hashes queued for a hashing thread",
        )?;
        let hash_abandoned = IntCounter::new(
            "password_hashes_abandoned_total",
            "Queued password hashes skipped because their caller went away first",
        )?;
        registry.register(Box::new(rpc_requests.clone()))?;
        registry.register(Box::new(rpc_duration.clone()))?;
        registry.register(Box::new(db_pool.clone()))?;
        registry.register(Box::new(hash_in_flight.clone()))?;
        registry.register(Box::new(hash_waiting.clone()))?;
        registry.register(Box::new(hash_abandoned.clone()))?;
        let verifications = IntCounter::new(
            "password_verifications_total",
            "Password verifications, including the dummy one spent on unknown accounts",
        )?;
        registry.register(Box::new(verifications.clone()))?;
        for counter in crate::telemetry::collectors()? {
            registry.register(counter)?;
        }
        Ok(Self {
            registry,
            process: process_registry()?,
            rpc_requests,
            rpc_duration,
            db_pool,
            hashing: HashingMetrics {
                queue: WorkerMetrics {
                    in_flight: hash_in_flight,
                    waiting: hash_waiting,
                    abandoned: hash_abandoned,
                },
                verifications,
            },
        })
    }

    /// The gauges and counter the password hasher keeps up to date.
    pub fn hashing(&self) -> HashingMetrics {
        self.hashing.clone()
    }

    fn observe_rpc(&self, rpc: &str, code: Code, seconds: f64) {
        let code = code_name(code);
        self.rpc_requests.with_label_values(&[rpc, code]).inc();
        self.rpc_duration
            .with_label_values(&[rpc, code])
            .observe(seconds);
    }

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self, pool: (u32, usize)) -> String {
        let (open, idle) = pool;
        self.db_pool
            .with_label_values(&["open"])
            .set(i64::from(open));
        self.db_pool
            .with_label_values(&["idle"])
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
        let mut families = self.registry.gather();
        families.extend(self.process.gather());
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %err, "metrics encoding failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The `process_*` metrics of this process (Linux: read from /proc at each scrape).
fn process_registry() -> prometheus::Result<Registry> {
    let registry = Registry::new();
    #[cfg(target_os = "linux")]
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    Ok(registry)
}

/// What the middleware needs: the metrics and a way to tell known RPC paths.
#[derive(Clone)]
pub struct RpcMetrics {
    pub metrics: Arc<Metrics>,
    pub known: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

/// Middleware on the gRPC stack (so REST calls, which are transcoded into it, count too).
/// The code is read from the response headers: a unary RPC that fails answers trailers-only,
/// so a `grpc-status` there is its outcome; without one the call succeeded.
pub async fn record(State(state): State<RpcMetrics>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let rpc = if (state.known)(&path) {
        path.as_str()
    } else {
        "other"
    };
    let facts = request.extensions().get::<RequestFacts>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(Code::Ok, Code::from_i32);
    state
        .metrics
        .observe_rpc(rpc, code, started.elapsed().as_secs_f64());
    if let Some(facts) = facts {
        facts.note_rpc(rpc, code);
    }
    response
}

/// Whether a scrape may read the metrics: always without a configured token, else only with
/// `authorization: Bearer <token>`, compared in constant time (digests, so the length does
/// not leak either).
pub fn authorized(headers: &HeaderMap, token: Option<&SecretString>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, credential)| credential.trim());
    let expected = Sha256::digest(token.expose_secret().as_bytes());
    let presented = Sha256::digest(presented.as_bytes());
    bool::from(expected.ct_eq(&presented))
}

pub(super) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn a_configured_token_must_be_presented_as_bearer() {
        let token = SecretString::from("a metrics token of some length");
        assert!(authorized(&HeaderMap::new(), None));
        assert!(!authorized(&HeaderMap::new(), Some(&token)));
        for (value, allowed) in [
            ("Bearer a metrics token of some length", true),
            ("bearer a metrics token of some length", true),
            ("Bearer a metrics token of some lengtH", false),
            ("Basic a metrics token of some length", false),
            ("Bearer ", false),
            ("a metrics token of some length", false),
        ] {
            assert_eq!(
                authorized(&with_authorization(value), Some(&token)),
                allowed,
                "{value}"
            );
        }
    }
}
