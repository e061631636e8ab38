//! Where done-callback drainer jobs (task rule 8) run.
//!
//! While the runtime is up a drainer runs as a task of its own. A drainer
//! job is never lost to shutdown: if the task that carries it is refused (the
//! registry closed between our check and the spawn) or cancelled before it
//! ran (shutdown dropped the queue it sat in), its destructor hands the job
//! to the runtime's *late* queue. One short-lived thread at a time drains
//! that queue, so callbacks still never run on the registrant's or the
//! completer's stack, and a shutdown with many finished tasks does not start
//! one thread per task.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{Arc, Mutex};

/// A drainer job.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Jobs that arrived after shutdown, and whether a thread drains them.
#[derive(Default)]
struct LateJobs {
    jobs: VecDeque<Job>,
    draining: bool,
}

/// The runtime's late queue (one per runtime, shared by its drainer tasks).
pub(crate) struct LateQueue(Mutex<LateJobs>);

impl LateQueue {
    pub(crate) fn new() -> Arc<LateQueue> {
        Arc::new(LateQueue(Mutex::new(LateJobs::default())))
    }
}

/// The future of a drainer task: runs the job on its first poll; dropped
/// unrun, it passes the job to the late queue.
pub(crate) struct CallbackJob {
    job: Option<Job>,
    late: Arc<LateQueue>,
}

impl CallbackJob {
    pub(crate) fn new(job: Job, late: Arc<LateQueue>) -> CallbackJob {
        CallbackJob { job: Some(job), late }
    }
}

impl Future for CallbackJob {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(job) = self.job.take() {
            job();
        }
        Poll::Ready(())
    }
}

impl Drop for CallbackJob {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            run_late(&self.late, job);
        }
    }
}

/// Queues `job` on the late queue, starting its thread if none runs.
pub(crate) fn run_late(queue: &Arc<LateQueue>, job: Job) {
    {
        let mut late = queue.0.lock();
        late.jobs.push_back(job);
        if late.draining {
            return;
        }
        late.draining = true;
    }
    let theirs = queue.clone();
    let spawned = crate::loom::thread::Builder::new().name("corio-callbacks".into()).spawn(move || drain_late(&theirs));
    if spawned.is_err() {
        // No thread to be had: late beats lost, run them here.
        drain_late(queue);
    }
}

/// Runs late jobs until the queue is empty. Each job catches its own
/// callbacks' panics (`task/raw.rs`).
fn drain_late(queue: &LateQueue) {
    loop {
        let job = {
            let mut late = queue.0.lock();
            let job = late.jobs.pop_front();
            if job.is_none() {
                late.draining = false;
            }
            job
        };
        match job {
            Some(job) => job(),
            None => return,
        }
    }
}
