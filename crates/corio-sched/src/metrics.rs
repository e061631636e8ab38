//! Runtime metrics (API.md §13): per-worker counters, and the snapshot
//! [`RuntimeMetrics`] that `Handle::metrics()` takes.
//!
//! # Rules
//!
//! 1. Each worker's counters (`polls`, `steals`, `parks`, `busy_ns`,
//!    `busy_since`, `parked`, `current`) are written only by that worker, with
//!    a Relaxed load and a Relaxed store (no read-modify-write, no lock), in
//!    its own cache line. Readers (snapshots, the debug watchdog) load them
//!    Relaxed: a counter is a monotonic number, not a publication of data.
//! 2. Busy time is measured per run-loop batch: one clock read when a worker
//!    wakes from parking and one when it parks again, never per poll. A
//!    snapshot adds the running batch of a worker that is not parked.
//! 3. Live tasks and spawned tasks are counted by the task registry, under
//!    the shard lock spawn already takes: nothing is added to the spawn path.
//! 4. Gauges (queue depths, blocking pool, I/O sources, timers) are read from
//!    the structures that hold them when the snapshot is taken.

use std::fmt;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicBool, AtomicU64, Ordering};

/// One worker's counters (rule 1).
pub(crate) struct WorkerMetrics {
    pub(crate) polls: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) parks: AtomicU64,
    /// Busy nanoseconds of the batches that ended (rule 2).
    busy_ns: AtomicU64,
    /// Start of the running batch, in nanoseconds since `Observer::start`.
    busy_since: AtomicU64,
    /// The worker is parked (waiting for work, not running anything).
    pub(crate) parked: AtomicBool,
    /// Debug mode only: the id of the task being polled, 0 between polls.
    pub(crate) current: AtomicU64,
    /// Debug mode's slow-poll threshold (read-only after build): when set,
    /// polls take the observed path.
    pub(crate) slow_poll: Option<Duration>,
}

impl WorkerMetrics {
    fn new(slow_poll: Option<Duration>) -> WorkerMetrics {
        WorkerMetrics {
            polls: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            busy_since: AtomicU64::new(0),
            parked: AtomicBool::new(false),
            current: AtomicU64::new(0),
            slow_poll,
        }
    }

    /// Adds one to a counter this worker owns (rule 1).
    #[inline(always)]
    pub(crate) fn bump(counter: &AtomicU64) {
        // ORDERING: Relaxed load and store: only the owning worker writes
        // (rule 1), so no increment is lost; readers pair with nothing, they
        // read a number.
        counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    }
}

/// Per-runtime observation state: the workers' counters and the debug-mode
/// settings.
pub(crate) struct Observer {
    pub(crate) workers: Box<[CachePadded<WorkerMetrics>]>,
    start: Instant,
    /// Debug mode: the slow-poll threshold.
    pub(crate) slow_poll: Option<Duration>,
}

impl Observer {
    pub(crate) fn new(workers: usize, slow_poll: Option<Duration>) -> Observer {
        Observer {
            workers: (0..workers).map(|_| CachePadded::new(WorkerMetrics::new(slow_poll))).collect(),
            start: Instant::now(),
            slow_poll,
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Worker `index` starts its run loop: a batch begins (rule 2).
    pub(crate) fn worker_started(&self, index: usize) {
        // ORDERING: Relaxed: rule 1.
        self.workers[index].busy_since.store(self.now_ns(), Ordering::Relaxed);
    }

    /// Worker `index` is about to park: its batch ends (rule 2).
    #[cold]
    pub(crate) fn park_begin(&self, index: usize) {
        let m = &self.workers[index];
        let now = self.now_ns();
        // ORDERING: Relaxed everywhere: rule 1 (single writer, readers only
        // read numbers). `parked` is stored before `busy_ns` grows so a
        // reader that sees the new total never adds the old batch again
        // for long; a snapshot is an estimate at this edge.
        m.parked.store(true, Ordering::Relaxed);
        let batch = now.saturating_sub(m.busy_since.load(Ordering::Relaxed));
        m.busy_ns.store(m.busy_ns.load(Ordering::Relaxed).saturating_add(batch), Ordering::Relaxed);
        WorkerMetrics::bump(&m.parks);
    }

    /// Worker `index` woke from parking: a new batch begins (rule 2).
    #[cold]
    pub(crate) fn park_end(&self, index: usize) {
        let m = &self.workers[index];
        // ORDERING: Relaxed: rule 1.
        m.busy_since.store(self.now_ns(), Ordering::Relaxed);
        // ORDERING: Relaxed: rule 1.
        m.parked.store(false, Ordering::Relaxed);
    }

    fn busy(&self, m: &WorkerMetrics) -> Duration {
        // ORDERING: Relaxed: rule 1; an estimate at batch edges.
        let mut ns = m.busy_ns.load(Ordering::Relaxed);
        // ORDERING: Relaxed: as above.
        if !m.parked.load(Ordering::Relaxed) {
            // ORDERING: Relaxed: as above.
            ns = ns.saturating_add(self.now_ns().saturating_sub(m.busy_since.load(Ordering::Relaxed)));
        }
        Duration::from_nanos(ns)
    }

    /// Per-worker part of a snapshot.
    pub(crate) fn worker_snapshot(&self, index: usize, local_queue_depth: usize) -> WorkerSnapshot {
        let m = &self.workers[index];
        // ORDERING: Relaxed: rule 1.
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerSnapshot {
            polls: load(&m.polls),
            steals: load(&m.steals),
            parks: load(&m.parks),
            local_queue_depth,
            busy: self.busy(m),
        }
    }
}

/// Ends a worker's park (rule 2) however `park` returns.
pub(crate) struct ParkGuard<'a>(pub(crate) &'a Observer, pub(crate) usize);

impl Drop for ParkGuard<'_> {
    fn drop(&mut self) {
        self.0.park_end(self.1);
    }
}

/// One worker's part of a [`RuntimeMetrics`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WorkerSnapshot {
    pub(crate) polls: u64,
    steals: u64,
    pub(crate) parks: u64,
    local_queue_depth: usize,
    busy: Duration,
}

/// A snapshot of a runtime's counters and gauges, from
/// [`Handle::metrics`](crate::Handle::metrics). It never changes once taken.
///
/// Gauges (`usize`) are values at the moment of the snapshot; counters
/// (`u64`) only grow over the runtime's life. Per-worker accessors take a
/// worker index `i` in `0..workers()` and panic outside it.
///
/// ```
/// let rt = corio_sched::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(async { corio_sched::create_task(async {}).await.unwrap() });
/// let m = rt.handle().metrics();
/// assert_eq!(m.workers(), 2);
/// assert!(m.spawned_total() >= 1);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RuntimeMetrics {
    pub(crate) live_tasks: usize,
    pub(crate) spawned_total: u64,
    pub(crate) injector_depth: usize,
    pub(crate) blocking_threads: usize,
    pub(crate) blocking_queue_depth: usize,
    pub(crate) io_sources: usize,
    pub(crate) timers_pending: usize,
    pub(crate) workers: Box<[WorkerSnapshot]>,
}

impl RuntimeMetrics {
    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Tasks spawned and not yet finished (including `block_on` main
    /// futures running now, which count as tasks).
    pub fn live_tasks(&self) -> usize {
        self.live_tasks
    }

    /// Tasks ever spawned on this runtime (including `block_on` main futures
    /// and the small tasks that run done callbacks).
    pub fn spawned_total(&self) -> u64 {
        self.spawned_total
    }

    /// Tasks waiting in the global (injector) queue: woken or spawned from
    /// outside the workers and not yet picked up.
    pub fn injector_depth(&self) -> usize {
        self.injector_depth
    }

    /// Threads of the blocking pool (`to_thread`), running or idle.
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }

    /// Blocking jobs queued and not yet started.
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking_queue_depth
    }

    /// I/O sources (sockets, pipes, signal pipes) registered with the
    /// reactor. Zero for a runtime without an I/O driver.
    pub fn io_sources(&self) -> usize {
        self.io_sources
    }

    /// Timers (sleeps, timeouts, `call_later`) armed and not yet fired.
    /// Zero for a runtime without a time driver.
    pub fn timers_pending(&self) -> usize {
        self.timers_pending
    }

    fn worker(&self, i: usize) -> &WorkerSnapshot {
        match self.workers.get(i) {
            Some(w) => w,
            None => panic!("corio: worker index {i} out of range: this runtime has {} workers", self.workers.len()),
        }
    }

    /// Task polls run by worker `i`.
    pub fn polls(&self, i: usize) -> u64 {
        self.worker(i).polls
    }

    /// Times worker `i` took work from another worker's queue.
    pub fn steals(&self, i: usize) -> u64 {
        self.worker(i).steals
    }

    /// Times worker `i` parked (went to sleep for lack of work).
    pub fn parks(&self, i: usize) -> u64 {
        self.worker(i).parks
    }

    /// Tasks in worker `i`'s local queue (not counting its LIFO slot).
    pub fn local_queue_depth(&self, i: usize) -> usize {
        self.worker(i).local_queue_depth
    }

    /// Time worker `i` spent not parked: running tasks, looking for work and
    /// polling the driver without blocking.
    pub fn busy_duration(&self, i: usize) -> Duration {
        self.worker(i).busy
    }

    /// Fills in what the I/O and time driver counts (the facade calls this).
    #[doc(hidden)]
    pub fn with_driver_counts(mut self, io_sources: usize, timers_pending: usize) -> RuntimeMetrics {
        self.io_sources = io_sources;
        self.timers_pending = timers_pending;
        self
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("workers", &self.workers())
            .field("live_tasks", &self.live_tasks)
            .field("spawned_total", &self.spawned_total)
            .field("injector_depth", &self.injector_depth)
            .field("blocking_threads", &self.blocking_threads)
            .field("blocking_queue_depth", &self.blocking_queue_depth)
            .field("io_sources", &self.io_sources)
            .field("timers_pending", &self.timers_pending)
            .field("per_worker", &self.workers)
            .finish()
    }
}
