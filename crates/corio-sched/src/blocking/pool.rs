//! The blocking pool behind `to_thread`: threads made on demand up to a cap,
//! kept alive for a while when idle, serving one FIFO queue.
//!
//! # Rules
//!
//! 1. All state is under one mutex. A job is pushed to the back of the queue
//!    and taken from the front.
//! 2. A submitter that sees an idle thread (`idle > 0`) moves one count from
//!    `idle` to `notified` and signals the condvar; otherwise, below the cap,
//!    it starts a thread. So each pushed job has a thread coming for it, and
//!    two quick submissions never count on the same sleeper.
//! 3. A thread that wakes takes a `notified` count if there is one;
//!    otherwise it woke spuriously or timed out, and is still counted idle
//!    (it removes itself when it gives up).
//! 4. At shutdown threads finish the jobs already queued, then exit; nobody
//!    waits for them (a blocking closure cannot be interrupted).

use std::collections::VecDeque;
use std::time::Duration;

use crate::loom::{Arc, Condvar, Mutex, thread};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    notified: usize,
    shutdown: bool,
    next_id: usize,
}

struct Pool {
    state: Mutex<PoolState>,
    condvar: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    name: String,
    /// Called when a pool thread is spawned, on the spawning thread; what it
    /// returns runs first on the new thread (the runtime uses it to make
    /// `Handle::current()` work inside blocking closures). Spawn time, not
    /// start time: a thread the OS starts late must still find a runtime
    /// that was alive when its job was submitted.
    on_start: Option<OnStart>,
}

/// What a pool thread runs first, prepared on the thread that spawns it; the
/// value it returns lives as long as the thread.
pub(crate) type OnStart = Arc<dyn Fn() -> Box<dyn FnOnce() -> Box<dyn std::any::Any> + Send> + Send + Sync>;

/// A pool of threads for blocking work. Cloning gives another handle to the
/// same pool.
#[derive(Clone)]
pub(crate) struct BlockingPool {
    inner: Arc<Pool>,
}

/// Returned when a job is offered to a pool that has shut down.
#[derive(Debug)]
pub(crate) struct PoolShutDown;

impl BlockingPool {
    pub(crate) fn new(
        max_threads: usize,
        keep_alive: Duration,
        name: String,
        on_start: Option<OnStart>,
    ) -> BlockingPool {
        assert!(max_threads > 0, "a blocking pool needs at least one thread");
        BlockingPool {
            inner: Arc::new(Pool {
                state: Mutex::new(PoolState::default()),
                condvar: Condvar::new(),
                max_threads,
                keep_alive,
                name,
                on_start,
            }),
        }
    }

    /// Queues `job` (rule 2).
    pub(crate) fn submit(&self, job: Job) -> Result<(), PoolShutDown> {
        let mut state = self.inner.state.lock();
        if state.shutdown {
            return Err(PoolShutDown);
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.notified += 1;
            drop(state);
            self.inner.condvar.notify_one();
        } else if state.threads < self.inner.max_threads {
            state.threads += 1;
            let id = state.next_id;
            state.next_id += 1;
            drop(state);
            self.spawn_thread(id);
        }
        Ok(())
    }

    fn spawn_thread(&self, id: usize) {
        let inner = self.inner.clone();
        let enter = self.inner.on_start.as_ref().map(|f| f());
        let spawned = thread::Builder::new().name(format!("{}-{id}", self.inner.name)).spawn(move || {
            let _ctx = enter.map(|enter| enter());
            run(inner)
        });
        if let Err(e) = spawned {
            let mut state = self.inner.state.lock();
            state.threads -= 1;
            // With no thread at all the queue would never drain.
            assert!(state.threads > 0, "corio: could not start a blocking thread: {e}");
        }
    }

    /// Rule 4: refuse new jobs; threads exit once the queue is empty.
    pub(crate) fn shutdown(&self) {
        self.inner.state.lock().shutdown = true;
        self.inner.condvar.notify_all();
    }

    /// `true` if no job is queued and every thread is idle (none running a
    /// job or woken for one).
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.inner.state.lock();
        state.queue.is_empty() && state.threads == state.idle
    }

    /// Threads alive now and jobs queued, for `Handle::metrics`.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let state = self.inner.state.lock();
        (state.threads, state.queue.len())
    }

    /// Threads alive now (for tests).
    pub(crate) fn thread_count(&self) -> usize {
        self.inner.state.lock().threads
    }
}

fn run(inner: Arc<Pool>) {
    let mut state = inner.state.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            // A panicking job is caught where it was made (`to_thread`
            // catches it for its task); this is a last line of defence.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            state = inner.state.lock();
            continue;
        }
        if state.shutdown {
            break;
        }
        state.idle += 1;
        let (next, timed_out) = inner.condvar.wait_timeout(state, inner.keep_alive);
        state = next;
        if state.notified > 0 {
            // Rule 3: a submitter counted on us.
            state.notified -= 1;
        } else {
            state.idle -= 1;
            if timed_out && state.queue.is_empty() {
                break;
            }
        }
    }
    state.threads -= 1;
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingPool")
            .field("max_threads", &self.inner.max_threads)
            .field("keep_alive", &self.inner.keep_alive)
            .finish()
    }
}
