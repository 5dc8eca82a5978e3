//! Test support shared by every suite that must pass on both cache backends: the backend
//! choice (in-process always, Redis when `REDIS_URL` is set) and a macro that runs each
//! behaviour as `in_process::<name>` and `redis::<name>`.
#![expect(clippy::expect_used, reason = "test support")]

use std::sync::Arc;

use super::{Cache, connect};

/// Which implementation a behaviour runs against.
#[derive(Clone)]
pub(crate) enum Backend {
    InProcess,
    Redis { url: String },
}

impl Backend {
    /// The Redis backend, or `None` (after saying so) when `REDIS_URL` is unset.
    pub(crate) fn redis_from_env(test_name: &str) -> Option<Self> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Redis { url }),
            _ => {
                println!("skipped redis::{test_name}: REDIS_URL is unset");
                None
            }
        }
    }

    pub(crate) async fn open(&self, key_prefix: &str) -> Arc<dyn Cache> {
        let url = match self {
            Self::InProcess => None,
            Self::Redis { url } => Some(url.as_str()),
        };
        connect(url, key_prefix).await.expect("cache connects")
    }

    /// A cache under a fresh random prefix.
    pub(crate) async fn open_isolated(&self) -> Arc<dyn Cache> {
        self.open(&random_prefix()).await
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::InProcess => "in_process",
            Self::Redis { .. } => "redis",
        }
    }
}

pub(crate) fn random_prefix() -> String {
    format!("test:{}:", uuid::Uuid::now_v7())
}

/// Runs each named behaviour as `in_process::<name>` and `redis::<name>`.
macro_rules! against_both_backends_impl {
    ($($behaviour:ident),* $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    super::$behaviour(super::Backend::InProcess).await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $behaviour() {
                    if let Some(backend) = super::Backend::redis_from_env(stringify!($behaviour)) {
                        super::$behaviour(backend).await;
                    }
                }
            )*
        }
    };
}

pub(crate) use against_both_backends_impl as against_both_backends;
