//! Runtime metrics (API.md §13): per-worker counters, and the snapshot
//! [`RuntimeMetrics`] that `Handle::metrics()` takes.
//!
//! # Rules
//!
//! 1. Each worker's counters (`polls`, `steals`, `parks`, `busy_ns`,
//!    `busy_since`, `parked`, `current`, `solo_queued`, `cached_cells`) are written only by
//!    that worker, with
//!    a Relaxed load and a Relaxed store (no read-modify-write, no lock), in
//!    its own cache line. Readers (snapshots, the debug watchdog) load them
//!    Relaxed: a counter is a monotonic number, not a publication of data.
//! 2. Busy time is measured per run-loop batch: one clock read when a worker
//!    wakes from parking and one when it parks again, never per poll. A
//!    snapshot adds the running batch of a worker that is not parked. The
//!    three words involved (`busy_ns`, `busy_since`, `parked`) change together
//!    under a sequence count (`busy_seq`, odd while the owner writes), so a
//!    reader retries instead of mixing the words of two batches. Clocks are
//!    read inside the owner's write and before the reader's check, so busy
//!    time can only lag by the few instructions between a clock read and
//!    its publication.
//! 3. Live tasks and spawned tasks are counted by the task registry, under
//!    the shard lock spawn already takes: nothing is added to the spawn path.
//! 4. Gauges (queue depths, blocking pool, I/O sources, timers) are read from
//!    the structures that hold them when the snapshot is taken; the one
//!    exception is a single worker's private run queue (`worker.rs`,
//!    `SoloQueue`), which no other thread may touch: its owner mirrors its
//!    length into `solo_queued` (rule 1). Likewise the bytes in a worker's
//!    cache of freed task cells (`task/cache.rs`, thread-local), which its
//!    owner publishes into `cached_cells` at its maintenance ticks and parks.

use std::fmt;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicBool, AtomicU64, Ordering, fence};

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
    /// Rule 2's sequence count.
    busy_seq: AtomicU64,
    /// Debug mode only: the id of the task being polled, 0 between polls.
    pub(crate) current: AtomicU64,
    /// Tasks in the private run queue of a runtime's only worker (rule 4).
    pub(crate) solo_queued: AtomicU64,
    /// Bytes in the worker's cache of freed task cells, as of its last
    /// maintenance tick or park (rule 4).
    pub(crate) cached_cells: AtomicU64,
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
            busy_seq: AtomicU64::new(0),
            current: AtomicU64::new(0),
            solo_queued: AtomicU64::new(0),
            cached_cells: AtomicU64::new(0),
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

    /// Runs the owner's write of rule 2's three words inside the sequence
    /// count.
    fn write_busy(&self, index: usize, f: impl FnOnce(&WorkerMetrics)) {
        let m = &self.workers[index];
        // ORDERING: Relaxed: only this worker writes the count (rule 1).
        let seq = m.busy_seq.load(Ordering::Relaxed);
        // ORDERING: Relaxed store, then the Release fence: a reader whose
        // Acquire fence sees any of the writes below also sees the odd count
        // (pairs with the fence in `busy`).
        m.busy_seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        f(m);
        // ORDERING: Release: publishes the writes above to a reader whose
        // Acquire load sees the even count (pairs with `busy`'s first load).
        m.busy_seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Worker `index` starts its run loop: a batch begins (rule 2).
    pub(crate) fn worker_started(&self, index: usize) {
        // ORDERING: Relaxed inside the sequence count (rule 2).
        self.write_busy(index, |m| m.busy_since.store(self.now_ns(), Ordering::Relaxed));
    }

    /// Worker `index` is about to park: its batch ends (rule 2).
    #[cold]
    pub(crate) fn park_begin(&self, index: usize) {
        self.write_busy(index, |m| {
            let now = self.now_ns();
            // ORDERING: Relaxed inside the sequence count (rule 2); the
            // watchdog reads `parked` alone, as a hint.
            m.parked.store(true, Ordering::Relaxed);
            // ORDERING: Relaxed: as above.
            let batch = now.saturating_sub(m.busy_since.load(Ordering::Relaxed));
            // ORDERING: Relaxed: as above.
            let total = m.busy_ns.load(Ordering::Relaxed).saturating_add(batch);
            // ORDERING: Relaxed: as above.
            m.busy_ns.store(total, Ordering::Relaxed);
        });
        WorkerMetrics::bump(&self.workers[index].parks);
    }

    /// Worker `index` woke from parking: a new batch begins (rule 2).
    #[cold]
    pub(crate) fn park_end(&self, index: usize) {
        self.write_busy(index, |m| {
            // ORDERING: Relaxed inside the sequence count (rule 2).
            m.busy_since.store(self.now_ns(), Ordering::Relaxed);
            // ORDERING: Relaxed: as above.
            m.parked.store(false, Ordering::Relaxed);
        });
    }

    /// Rule 2, the reader's side: a consistent view of the three words.
    fn busy(&self, m: &WorkerMetrics) -> Duration {
        loop {
            // ORDERING: Acquire: pairs with the Release store that ends a
            // write, so the words read below are at least that new.
            let seq = m.busy_seq.load(Ordering::Acquire);
            if seq % 2 == 1 {
                crate::loom::thread::yield_now();
                continue;
            }
            // ORDERING: Relaxed: validated by the sequence count below.
            let ns = m.busy_ns.load(Ordering::Relaxed);
            // ORDERING: Relaxed: as above.
            let since = m.busy_since.load(Ordering::Relaxed);
            // ORDERING: Relaxed: as above.
            let parked = m.parked.load(Ordering::Relaxed);
            let now = self.now_ns();
            // ORDERING: Acquire fence: pairs with the writer's Release fence,
            // so if any word above came from a newer write, the count read
            // next has moved.
            fence(Ordering::Acquire);
            // ORDERING: Relaxed: ordered by the fence above.
            if m.busy_seq.load(Ordering::Relaxed) != seq {
                continue;
            }
            let running = if parked { 0 } else { now.saturating_sub(since) };
            return Duration::from_nanos(ns.saturating_add(running));
        }
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
            cached_cell_bytes: load(&m.cached_cells) as usize,
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
    cached_cell_bytes: usize,
    pub(crate) busy: Duration,
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

    /// Bytes of freed task cells worker `i` keeps for its next spawns
    /// ([`Builder::task_cell_cache`](crate::Builder::task_cell_cache)), as of
    /// its last maintenance tick or park: a busy worker updates it every
    /// few dozen polls, a parked one when it gives its cells back.
    pub fn cached_cell_bytes(&self, i: usize) -> usize {
        self.worker(i).cached_cell_bytes
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
