//! `Scheduler`: what a runtime's workers, handles and tasks share —
//! spawning, remote scheduling, waking parked workers, shutdown.

use std::future::Future;

use crossbeam_utils::CachePadded;

use super::callbacks;
use super::idle::Idle;
use super::lifo;
use super::park::{Parker, SharedDriver};
use crate::blocking::BlockingPool;
use crate::loom::{Arc, AtomicBool, AtomicUsize, Injector, Ordering, Steal, Stealer, fence};
use crate::task::registry::Registry;
use crate::task::{Notified, Schedule, Task, TaskRef};

/// Tuning knobs, fixed when the runtime is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Every this many ticks a worker looks at the injector before its own
    /// queue.
    pub(crate) global_queue_interval: u32,
    /// Every this many ticks a busy worker polls the driver without blocking.
    pub(crate) event_interval: u32,
    /// Consecutive polls through the LIFO slot before it goes to the back of
    /// the queue (two tasks waking each other cannot starve the rest).
    pub(crate) max_lifo_polls: u32,
    /// Debug mode's slow-poll threshold (`None`: debug mode off).
    pub(crate) slow_poll: Option<std::time::Duration>,
    /// Bytes of freed task cells each worker may keep at first
    /// (`task/cache.rs` rule 3).
    pub(crate) cell_cache: usize,
    /// The most that cap grows to (equal to `cell_cache` when the builder
    /// fixed it).
    pub(crate) cell_cache_ceiling: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            global_queue_interval: 61,
            event_interval: 61,
            max_lifo_polls: 3,
            slow_poll: None,
            cell_cache: crate::task::cache::DEFAULT_CAP,
            cell_cache_ceiling: crate::task::cache::DEFAULT_CEILING,
        }
    }
}

/// The scheduler of one runtime: what its workers, its handles and every
/// task it runs share (queues, parkers, the idle protocol, the registry,
/// the driver, the blocking pool).
pub(crate) struct Scheduler {
    pub(crate) injector: Injector<Notified>,
    pub(crate) stealers: Box<[Stealer<Notified>]>,
    pub(crate) parkers: Box<[Parker]>,
    /// Each worker's LIFO slot, stealable (`lifo.rs`).
    pub(crate) lifo: Box<[CachePadded<lifo::LifoSlot>]>,
    /// A parked worker watches the LIFO slots (`lifo.rs`, rule 4).
    lifo_watcher: AtomicBool,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) driver: Option<SharedDriver>,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Config,
    pub(crate) extension: Option<crate::extension::Extension>,
    /// `block_on` threads running or woken (not parked); see
    /// `block_on.rs`, `ThreadWaker`.
    pub(crate) busy_roots: AtomicUsize,
    /// Done-callback jobs that arrived after shutdown (`callbacks.rs`).
    pub(crate) late_callbacks: Arc<callbacks::LateQueue>,
    /// Per-worker counters and debug-mode settings (`metrics.rs`).
    pub(crate) obs: crate::metrics::Observer,
    shutdown: AtomicBool,
}

impl Scheduler {
    pub(crate) fn new(
        stealers: Box<[Stealer<Notified>]>,
        driver: Option<SharedDriver>,
        blocking: BlockingPool,
        config: Config,
        extension: Option<crate::extension::Extension>,
    ) -> Scheduler {
        let workers = stealers.len();
        Scheduler {
            injector: Injector::new(),
            parkers: (0..workers).map(|_| Parker::new()).collect(),
            lifo: (0..workers).map(|_| CachePadded::new(lifo::LifoSlot::new())).collect(),
            lifo_watcher: AtomicBool::new(false),
            stealers,
            idle: Idle::new(workers),
            registry: Registry::new(workers),
            driver,
            blocking,
            obs: crate::metrics::Observer::new(workers, config.slow_poll),
            config,
            extension,
            busy_roots: AtomicUsize::new(0),
            late_callbacks: callbacks::LateQueue::new(),
            shutdown: AtomicBool::new(false),
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.stealers.len()
    }

    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Spawns a task on this runtime.
    #[inline(always)]
    pub(crate) fn spawn<F>(this: &Arc<Scheduler>, future: F, name: Option<Box<str>>) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (raw, notified, task) = crate::task::new_task(future, this.clone(), name);
        if this.obs.slow_poll.is_some() {
            crate::debug::on_spawn(raw);
        }
        #[cfg(feature = "tracing")]
        crate::debug::trace_spawn(raw);
        if this.registry.insert(raw) {
            this.schedule(notified);
        } else {
            // Shut down: the registry's reference was never taken, and the
            // entry's drop cancels the task without polling it.
            raw.ref_dec();
            drop(notified);
        }
        task
    }

    /// Queues a task from outside this runtime's workers.
    pub(crate) fn schedule_remote(&self, task: Notified) {
        if self.is_shutdown() {
            // Dropping the entry cancels the task in place.
            drop(task);
            return;
        }
        self.injector.push(task);
        fence(Ordering::SeqCst);
        if self.is_shutdown() {
            // Shutdown may have drained the injector before our push landed.
            self.drain_injector();
            return;
        }
        self.notify_parked();
    }

    /// Wakes a parked worker if the idle protocol says so (`idle.rs`, rule 3).
    #[inline]
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.parkers[worker].unpark(self.driver.as_ref());
        }
    }

    /// A worker filled its empty LIFO slot: make sure a parked worker
    /// watches the slots (`lifo.rs`, rule 4), waking one if none does. One
    /// wake per busy period, not per task: the watcher stays until every
    /// worker is parked.
    #[inline]
    pub(crate) fn ensure_lifo_watcher(&self) {
        // ORDERING: Relaxed: a hint; a stale reading costs one spare wake-up
        // or a late watcher, never a task (rule 4).
        if self.workers() > 1 && !self.lifo_watcher.load(Ordering::Relaxed) {
            self.notify_parked();
        }
    }

    /// `true` if the caller became the LIFO watcher.
    pub(crate) fn claim_lifo_watcher(&self) -> bool {
        // ORDERING: Relaxed: the flag guards no data; it only keeps the
        // number of watchers at one.
        self.lifo_watcher.compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    pub(crate) fn release_lifo_watcher(&self) {
        // ORDERING: Relaxed: as in `claim_lifo_watcher`.
        self.lifo_watcher.store(false, Ordering::Relaxed);
    }

    /// `true` if any queue other than a worker's LIFO slot holds a task.
    pub(crate) fn has_visible_work(&self) -> bool {
        !self.injector.is_empty() || (0..self.workers()).any(|i| self.local_queue_depth(i) > 0)
    }

    /// Tasks in worker `i`'s queue: its deque, or the private run queue of a
    /// runtime's only worker, seen through the count it publishes
    /// (`metrics.rs`, rule 4).
    fn local_queue_depth(&self, i: usize) -> usize {
        // ORDERING: Relaxed: a gauge (metrics rule 1). Only the solo worker
        // pushes to that queue, and it never parks with tasks in it, so no
        // wake-up depends on this read.
        let solo = self.obs.workers[i].solo_queued.load(Ordering::Relaxed);
        self.stealers[i].len() + solo as usize
    }

    /// See `Handle::is_idle`.
    pub(crate) fn is_idle(&self) -> bool {
        self.idle.all_parked()
            && self.busy_roots.load(Ordering::SeqCst) == 0
            && !self.has_visible_work()
            && self.blocking.is_idle()
    }

    fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                Steal::Success(task) => drop(task),
                Steal::Empty => break,
                Steal::Retry => continue,
            }
        }
    }

    pub(crate) fn all_tasks(&self) -> Vec<TaskRef> {
        self.registry.snapshot()
    }

    /// See `Handle::metrics` (metrics rules 3 and 4).
    pub(crate) fn metrics(&self) -> crate::RuntimeMetrics {
        let (live_tasks, spawned_total) = self.registry.counts();
        let (blocking_threads, blocking_queue_depth) = self.blocking.counts();
        crate::RuntimeMetrics {
            live_tasks,
            spawned_total,
            injector_depth: self.injector.len(),
            blocking_threads,
            blocking_queue_depth,
            io_sources: 0,
            timers_pending: 0,
            workers: (0..self.workers()).map(|i| self.obs.worker_snapshot(i, self.local_queue_depth(i))).collect(),
        }
    }

    /// Stops the workers (they drain their own queues as they exit).
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        for parker in self.parkers.iter() {
            parker.unpark(self.driver.as_ref());
        }
    }

    /// After the workers stopped: cancels every task still alive and drops
    /// whatever is still queued. Destructors of the futures run here.
    pub(crate) fn finish_shutdown(&self) {
        let pending = self.registry.close();
        if self.obs.slow_poll.is_some() {
            crate::debug::report_pending(&pending);
        }
        for task in pending {
            task.cancel();
        }
        self.drain_injector();
        self.blocking.shutdown();
        if let Some(driver) = &self.driver {
            driver.shutdown();
        }
    }
}
