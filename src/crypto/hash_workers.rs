//! The threads that compute password hashes: a fixed number (the cores), each owning one working block for
//! its whole life, fed from one FIFO queue. A worker goes from one hash straight to the next
//! queued one without waking the async runtime, so the cores stay busy while sign-ins wait
//! (handing each hash to the blocking pool through a semaphore left them idle about 12 % of
//! the time). A job whose caller has gone (its client disconnected while queued) is skipped,
//! not computed. The workers end when the pool is dropped.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Arc, Mutex, PoisonError,
        mpsc::{self, Receiver, Sender},
    },
};

use anyhow::Context;
use argon2::Block;
use prometheus::{IntCounter, IntGauge};

/// What the pool reports: the queue, the hashes running, and the jobs skipped because their
/// caller went away.
#[derive(Clone)]
pub struct WorkerMetrics {
    pub in_flight: IntGauge,
    pub waiting: IntGauge,
    pub abandoned: IntCounter,
}

type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

pub struct HashWorkers {
    queue: Sender<Job>,
    metrics: WorkerMetrics,
}

impl HashWorkers {
    /// Starts `workers` threads, each with a block of `block_kib` KiB allocated on its first
    /// job.
    pub fn start(workers: usize, block_kib: usize, metrics: WorkerMetrics) -> anyhow::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..workers.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || work(&jobs, block_kib))
                .context("starting a password hashing thread")?;
        }
        Ok(Self { queue, metrics })
    }

    /// Runs `job` on the next free worker, lending it the worker's block. If the returned
    /// future is dropped before a worker takes the job, the job never runs.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let waiting = Counted::new(&self.metrics.waiting);
        let (in_flight, abandoned) = (
            self.metrics.in_flight.clone(),
            self.metrics.abandoned.clone(),
        );
        let queued: Job = Box::new(move |block| {
            drop(waiting);
            if answer.is_closed() {
                abandoned.inc();
                return;
            }
            // Counted out before the caller hears, so a caller never sees its own job running.
            let hashed = {
                let _running = Counted::new(&in_flight);
                job(block)
            };
            // The receiver may go in the meantime; the hash is then simply unused.
            let _ = answer.send(hashed);
        });
        self.queue
            .send(queued)
            .map_err(|_| anyhow::anyhow!("password hashing is shut down"))?;
        answered.await.context("a password hashing job failed")
    }
}

/// A worker's life: take the next job, lend it the block, until the pool is dropped. A job
/// that panics answers nobody (its caller sees an error) and the worker goes on.
fn work(jobs: &Mutex<Receiver<Job>>, block_kib: usize) {
    let mut block: Option<Box<[Block]>> = None;
    loop {
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else { return };
        let block =
            block.get_or_insert_with(|| vec![Block::default(); block_kib].into_boxed_slice());
        if catch_unwind(AssertUnwindSafe(|| job(block))).is_err() {
            tracing::error!("a password hashing job panicked");
        }
    }
}

/// One in `gauge` while it lives, however its scope ends.
struct Counted(IntGauge);

impl Counted {
    fn new(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use std::{collections::HashSet, sync::mpsc, time::Duration};

    use super::*;

    fn workers(count: usize) -> Arc<HashWorkers> {
        let metrics = WorkerMetrics {
            in_flight: IntGauge::new("in_flight", "test").unwrap(),
            waiting: IntGauge::new("waiting", "test").unwrap(),
            abandoned: IntCounter::new("abandoned", "test").unwrap(),
        };
        Arc::new(HashWorkers::start(count, 4, metrics).unwrap())
    }

    async fn until(gauge: &IntGauge, value: i64) {
        while gauge.get() != value {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn each_worker_keeps_one_block_for_every_job() {
        let workers = workers(2);
        let mut blocks = HashSet::new();
        for _ in 0..8 {
            blocks.insert(workers.run(|block| block.as_ptr() as usize).await.unwrap());
        }
        assert!(
            (1..=2).contains(&blocks.len()),
            "{} blocks for 2 workers",
            blocks.len()
        );
    }

    #[tokio::test]
    async fn jobs_whose_caller_left_are_skipped() {
        // One worker, so the queue's order is the order jobs finish in.
        let workers = workers(1);
        let metrics = workers.metrics.clone();
        let (release, held) = mpsc::channel::<()>();
        let busy = {
            let workers = workers.clone();
            tokio::spawn(async move { workers.run(move |_| held.recv().unwrap()).await })
        };
        until(&metrics.in_flight, 1).await;
        // Three callers queue behind it, then their clients go away.
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let workers = workers.clone();
                tokio::spawn(async move { workers.run(|_| ()).await })
            })
            .collect();
        until(&metrics.waiting, 3).await;
        for caller in queued {
            caller.abort();
            assert!(caller.await.unwrap_err().is_cancelled());
        }
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        // FIFO on one worker: once a later job has run, the abandoned ones were skipped.
        workers.run(|_| ()).await.unwrap();
        assert_eq!(metrics.abandoned.get(), 3);
        assert_eq!(metrics.in_flight.get(), 0);
        assert_eq!(metrics.waiting.get(), 0);
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_its_caller_and_the_worker_goes_on() {
        let workers = workers(1);
        #[expect(clippy::panic, reason = "the panic under test")]
        let failed = workers.run(|_| -> u8 { panic!("job panics") }).await;
        assert!(failed.is_err());
        assert_eq!(workers.run(|_| 7u8).await.unwrap(), 7);
        assert_eq!(workers.metrics.in_flight.get(), 0);
    }
}
