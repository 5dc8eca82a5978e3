//! PostgreSQL stopped and started again under a stream of concurrent sign-ups and sign-ins
//! over gRPC, each with a client deadline.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use janua::proto::janua::auth::v1::{
    LoginRequest, RegisterRequest, auth_service_client::AuthServiceClient,
};
use tonic::{Code, Request, Status, transport::Channel};
use tonic_types::StatusExt;

use super::{
    Node, node_env,
    services::{Postgres, available},
    unique_email,
};
use crate::{
    auth::PASSWORD,
    helpers::{TestApp, random_key},
};

/// Every call's client deadline: a call not answered by then counts as hung.
const DEADLINE: Duration = Duration::from_secs(10);
const WORKERS: usize = 4;
/// How long PostgreSQL stays down at least, and at most while no call has reached it yet.
const OUTAGE: Duration = Duration::from_secs(3);
const LONGEST_OUTAGE: Duration = Duration::from_secs(20);

/// What one worker saw.
#[derive(Default)]
struct Outcomes {
    /// Emails whose registration was acknowledged.
    acknowledged: Vec<String>,
    /// (code, reason) of every failed call.
    failures: Vec<(Code, String)>,
    /// When each successful call ended.
    successes: Vec<Instant>,
    slowest: Duration,
}

impl Outcomes {
    fn note<T>(&mut self, started: Instant, result: &Result<T, Status>) {
        self.slowest = self.slowest.max(started.elapsed());
        match result {
            Ok(_) => self.successes.push(Instant::now()),
            Err(status) => {
                let reason = status
                    .get_details_error_info()
                    .map(|info| format!("{}/{}", info.domain, info.reason))
                    .unwrap_or_default();
                self.failures.push((status.code(), reason));
            }
        }
    }
}

fn with_deadline<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(DEADLINE);
    request
}

/// Signs up and signs in new accounts, one after the other, until `stop`.
async fn stream(
    channel: Channel,
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicUsize>,
    worker: usize,
) -> Outcomes {
    let mut client = AuthServiceClient::new(channel);
    let mut outcomes = Outcomes::default();
    while !stop.load(Ordering::SeqCst) {
        let email = unique_email(&format!("stream{worker}"));
        let started = Instant::now();
        let registered = client
            .register(with_deadline(RegisterRequest {
                email: email.clone(),
                password: PASSWORD.into(),
                display_name: "Stream".into(),
            }))
            .await;
        outcomes.note(started, &registered);
        if registered.is_err() {
            failed.fetch_add(1, Ordering::SeqCst);
            // Do not spin while the database is down.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        outcomes.acknowledged.push(email.clone());
        let started = Instant::now();
        let login = client
            .login(with_deadline(LoginRequest {
                email,
                password: PASSWORD.into(),
            }))
            .await;
        outcomes.note(started, &login);
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_loses_no_acknowledged_sign_up_and_recovers_by_itself() {
    if !available("postgres_restart_loses_no_acknowledged_sign_up_and_recovers_by_itself") {
        return;
    }
    let mut postgres = Postgres::start().await;
    let app = TestApp::spawn_on(node_env(&postgres.url(), None, &random_key(), &[])).await;
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let channel = app.channel().await;
        let (stop, failed) = (stop.clone(), failed.clone());
        workers.push(tokio::spawn(stream(channel, stop, failed, worker)));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    postgres.stop().await;
    let stopped = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    // Sign-ups queue for password hashing first: keep the database down until one reached it.
    while failed.load(Ordering::SeqCst) == 0 {
        assert!(
            stopped.elapsed() < LONGEST_OUTAGE,
            "no call reached the stopped database"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    postgres.start_again().await;
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Outcomes::default();
    for worker in workers {
        let outcomes = worker.await.unwrap();
        all.acknowledged.extend(outcomes.acknowledged);
        all.failures.extend(outcomes.failures);
        all.successes.extend(outcomes.successes);
        all.slowest = all.slowest.max(outcomes.slowest);
    }

    assert!(
        !all.failures.is_empty(),
        "no call failed: the outage was not seen"
    );
    for (code, reason) in &all.failures {
        assert!(
            matches!(
                (code, reason.as_str()),
                (Code::Internal, "janua/INTERNAL_ERROR") | (Code::Unavailable, _)
            ),
            "an outage gives a clean INTERNAL_ERROR or UNAVAILABLE, not {code:?} {reason:?}"
        );
    }
    assert!(
        all.slowest < DEADLINE,
        "a call took {:?}, past its deadline",
        all.slowest
    );
    let after = all.successes.iter().filter(|at| **at > restarted).count();
    assert!(after > 0, "nothing succeeded after the restart");
    let node = Node::of(&app);
    for email in &all.acknowledged {
        let (status, _) = node.login(email, PASSWORD).await;
        assert_eq!(status, 200, "acknowledged sign-up {email} is gone");
    }
    assert_eq!(node.get("/health/ready").await.0, 200);
    eprintln!(
        "{} sign-ups acknowledged, {} calls failed during the outage, {after} succeeded after it, slowest {:?}",
        all.acknowledged.len(),
        all.failures.len(),
        all.slowest
    );
}
