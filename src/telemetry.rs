//! Counters of what happens to accounts, sessions and mail (sign-ins by method and outcome,
//! lockouts, MFA challenges and answers, token refreshes and reuse detections, session
//! revocations, mail and webhook deliveries, the webhook queue's depth), bumped by one call where the domain does the thing.
//!
//! A leaf: it knows no other module of Janua, so any capability may call it without
//! depending on the server, which registers the counters for `/metrics`. The counters are
//! process-wide, like the process they describe; until the server installs them (the CLI
//! commands never do), a call counts nothing. Labels take values from closed sets only.

use std::sync::OnceLock;

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, core::Collector};

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// A session was opened.
    Success,
    /// The first factor was right and a second-factor challenge was issued.
    SecondFactorRequired,
    /// Bad credentials.
    Failure,
}

/// How an answer to an MFA challenge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAnswer {
    Right,
    Wrong,
}

/// What became of one delivery attempt of a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailDelivery {
    /// Handed to the SMTP relay.
    Sent,
    /// No SMTP relay configured: logged and kept in the outbox.
    Logged,
    /// The attempt failed (it is retried, or given up after the last attempt).
    Failed,
}

struct Counters {
    sign_ins: IntCounterVec,
    lockouts: IntCounter,
    mfa_challenges: IntCounter,
    mfa_answers: IntCounterVec,
    refreshes: IntCounter,
    refresh_reuse: IntCounter,
    revocations: IntCounter,
    mail: IntCounterVec,
    webhooks: IntCounterVec,
    webhook_queue: IntGauge,
}

static COUNTERS: OnceLock<Counters> = OnceLock::new();

impl Counters {
    fn new() -> prometheus::Result<Self> {
        let labelled = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels)
        };
        Ok(Self {
            sign_ins: labelled(
                "sign_ins_total",
                "Sign-in attempts by first factor (password, passkey, magic_link, sso) and outcome (success, mfa_required, failure)",
                &["method", "outcome"],
            )?,
            lockouts: IntCounter::new("lockouts_total", "Accounts locked by failed sign-ins")?,
            mfa_challenges: IntCounter::new(
                "mfa_challenges_issued_total",
                "Second-factor challenges issued after a first factor",
            )?,
            mfa_answers: labelled(
                "mfa_challenge_answers_total",
                "Answers to second-factor challenges by outcome (right, wrong)",
                &["outcome"],
            )?,
            refreshes: IntCounter::new(
                "token_refreshes_total",
                "Refresh tokens rotated into new token pairs",
            )?,
            refresh_reuse: IntCounter::new(
                "refresh_token_reuse_detections_total",
                "Rotated refresh tokens presented again (their session is revoked)",
            )?,
            revocations: IntCounter::new(
                "session_revocations_total",
                "Sessions revoked (logout, revocation, reuse, suspension, password change ...)",
            )?,
            mail: labelled(
                "mail_deliveries_total",
                "Mail delivery attempts by outcome (sent, logged, failed)",
                &["outcome"],
            )?,
            webhooks: labelled(
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome (delivered, failed, gave_up)",
                &["outcome"],
            )?,
            webhook_queue: IntGauge::new(
                "webhook_queue_depth",
                "Webhook deliveries pending (due now or waiting for a retry), as the last delivery pass counted",
            )?,
        })
    }
}

/// Makes the counters (once per process) and returns them for a registry.
pub fn collectors() -> prometheus::Result<Vec<Box<dyn Collector>>> {
    let counters = match COUNTERS.get() {
        Some(counters) => counters,
        None => {
            let made = Counters::new()?;
            COUNTERS.get_or_init(|| made)
        }
    };
    Ok(vec![
        Box::new(counters.sign_ins.clone()),
        Box::new(counters.lockouts.clone()),
        Box::new(counters.mfa_challenges.clone()),
        Box::new(counters.mfa_answers.clone()),
        Box::new(counters.refreshes.clone()),
        Box::new(counters.refresh_reuse.clone()),
        Box::new(counters.revocations.clone()),
        Box::new(counters.mail.clone()),
        Box::new(counters.webhooks.clone()),
        Box::new(counters.webhook_queue.clone()),
    ])
}

fn count(bump: impl FnOnce(&Counters)) {
    if let Some(counters) = COUNTERS.get() {
        bump(counters);
    }
}

/// A sign-in attempt, by the first of its `amr` values (its first factor: `pwd`, `hwk`,
/// `email`, `sso`).
pub fn sign_in(amr: &[&str], outcome: SignIn) {
    let method = match amr.first().copied().unwrap_or_default() {
        "pwd" => "password",
        "hwk" | "swk" => "passkey",
        "email" => "magic_link",
        "sso" => "sso",
        _ => "other",
    };
    let outcome = match outcome {
        SignIn::Success => "success",
        SignIn::SecondFactorRequired => "mfa_required",
        SignIn::Failure => "failure",
    };
    count(|c| c.sign_ins.with_label_values(&[method, outcome]).inc());
}

/// A failure settled, which locked its account when `locked`.
pub fn lockout_if(locked: bool) {
    if locked {
        count(|c| c.lockouts.inc());
    }
}

/// A second-factor challenge was issued.
pub fn mfa_challenge_issued() {
    count(|c| c.mfa_challenges.inc());
}

/// A second-factor challenge was answered.
pub fn mfa_answer(outcome: MfaAnswer) {
    let outcome = match outcome {
        MfaAnswer::Right => "right",
        MfaAnswer::Wrong => "wrong",
    };
    count(|c| c.mfa_answers.with_label_values(&[outcome]).inc());
}

/// A refresh token was rotated.
pub fn token_refreshed() {
    count(|c| c.refreshes.inc());
}

/// A rotated refresh token was presented again.
pub fn refresh_token_reused() {
    count(|c| c.refresh_reuse.inc());
}

/// `sessions` sessions were revoked.
pub fn sessions_revoked(sessions: usize) {
    count(|c| {
        c.revocations
            .inc_by(u64::try_from(sessions).unwrap_or(u64::MAX))
    });
}

/// A mail delivery attempt ended.
pub fn mail_delivery(outcome: MailDelivery) {
    let outcome = match outcome {
        MailDelivery::Sent => "sent",
        MailDelivery::Logged => "logged",
        MailDelivery::Failed => "failed",
    };
    count(|c| c.mail.with_label_values(&[outcome]).inc());
}

/// What became of one webhook delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDelivery {
    /// The endpoint answered 2xx.
    Delivered,
    /// The attempt failed and will be retried.
    Failed,
    /// The attempt failed and the schedule is spent (or the endpoint is disabled).
    GaveUp,
}

/// A webhook delivery attempt ended.
pub fn webhook_delivery(outcome: WebhookDelivery) {
    let outcome = match outcome {
        WebhookDelivery::Delivered => "delivered",
        WebhookDelivery::Failed => "failed",
        WebhookDelivery::GaveUp => "gave_up",
    };
    count(|c| c.webhooks.with_label_values(&[outcome]).inc());
}

/// How many webhook deliveries are pending.
pub fn webhook_queue_depth(pending: u64) {
    count(|c| {
        c.webhook_queue
            .set(i64::try_from(pending).unwrap_or(i64::MAX))
    });
}
