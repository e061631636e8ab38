//! One worker thread: its queues and its run loop.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::Scheduler;
use super::lifo::LifoSlot;
use super::thread;
use crate::loom::{Arc, Ordering, Steal, Worker, fence};
use crate::task::Notified;
use crate::task::cache;
use crate::task::{RawTask, Schedule};

/// A worker's own state. Lives on the worker's stack for the whole run loop
/// and is reached from tasks through `with_worker`.
pub(crate) struct WorkerContext {
    shared: Arc<Scheduler>,
    index: usize,
    local: Worker<Notified>,
    /// The run queue when this is the runtime's only worker: nobody steals,
    /// so local pushes skip the deque (`SoloQueue`).
    solo: Option<SoloQueue>,
    /// While this worker is the LIFO watcher: each other worker's progress
    /// at the previous watch tick.
    watched: Box<[Cell<u64>]>,
    /// Loop iterations until the next look at the injector first, and at
    /// the driver (`global_queue_interval`, `event_interval`): countdowns,
    /// because `tick % n` with `n` from the config is a division per task.
    until_global: Cell<u32>,
    until_events: Cell<u32>,
    searching: Cell<bool>,
    /// Set while this worker is inside `park`, where the driver it may be
    /// blocked in dispatches events and wakes their tasks onto this
    /// worker's queues. Those pushes wake nobody: `park` returns right after
    /// the dispatch and makes them visible then (`publish_parked_work`). Waking
    /// a worker from inside the dispatch used to pick this very worker, still
    /// on the sleeper list, and cost an eventfd write to itself, a spare
    /// `epoll_wait`, and a searcher count that kept the others asleep.
    in_park: Cell<bool>,
    rng: Cell<u64>,
    /// This worker's counters in `shared.obs` (`metrics.rs`), cached.
    metrics: std::ptr::NonNull<crate::metrics::WorkerMetrics>,
    /// This worker's LIFO slot in `shared.lifo`, looked up once (it is
    /// reached several times per task).
    lifo: std::ptr::NonNull<LifoSlot>,
}

impl WorkerContext {
    pub(crate) fn new(shared: Arc<Scheduler>, index: usize, local: Worker<Notified>) -> WorkerContext {
        let watched = (0..shared.workers()).map(|_| Cell::new(0)).collect();
        let metrics = std::ptr::NonNull::from(&*shared.obs.workers[index]);
        let lifo = std::ptr::NonNull::from(&*shared.lifo[index]);
        let (until_global, until_events) = (shared.config.global_queue_interval, shared.config.event_interval);
        let solo = (shared.workers() == 1).then(SoloQueue::default);
        WorkerContext {
            shared,
            index,
            local,
            solo,
            watched,
            lifo,
            until_global: Cell::new(until_global),
            until_events: Cell::new(until_events),
            searching: Cell::new(false),
            in_park: Cell::new(false),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
            metrics,
        }
    }

    #[inline]
    pub(crate) fn shared(&self) -> &Arc<Scheduler> {
        &self.shared
    }

    /// This worker's LIFO slot (`lifo.rs`).
    #[inline]
    fn lifo(&self) -> &LifoSlot {
        // SAFETY: the pointer was taken from `self.shared.lifo`, a boxed
        // slice never resized, which `self.shared` keeps alive.
        unsafe { self.lifo.as_ref() }
    }

    /// Queues a task woken or spawned on this worker. `to_back` (a yield, or
    /// a wake by a finished task, `context::wake_to_back`) goes to the back
    /// of the local queue; anything else into the LIFO slot, pushing the
    /// slot's previous task to the queue (where others can steal it).
    #[inline]
    pub(crate) fn schedule_local(&self, task: Notified, to_back: bool) {
        if to_back {
            return self.push_local(task);
        }
        match self.lifo().put(task) {
            Some(displaced) => self.push_local(displaced),
            None if self.in_park.get() => {}
            None => self.shared.ensure_lifo_watcher(),
        }
    }

    /// Pushes to the local deque and makes the task visible (`idle.rs`,
    /// rule 3). A runtime of one worker skips the fence and the wake-up:
    /// the only thread that could run the task is this one, awake. So does
    /// a push from the driver's dispatch inside this worker's `park`, which
    /// wakes a worker once it returns (`publish_parked_work`).
    #[inline]
    fn push_local(&self, task: Notified) {
        if let Some(solo) = &self.solo {
            return solo.push(task, self.metrics());
        }
        self.local.push(task);
        if !self.in_park.get() {
            self.announce_pushed();
        }
    }

    /// `idle.rs` rule 3 for work this worker pushed to its deque: a fence,
    /// then wake a sleeper unless somebody searches.
    #[inline]
    fn announce_pushed(&self) {
        fence(Ordering::SeqCst);
        self.shared.notify_parked();
    }

    /// After `park`: the wake-up the dispatch inside it skipped (`in_park`).
    /// Tasks in the deque are `idle.rs` rule 3's pushed work: wake a sleeper
    /// unless somebody searches. A task alone in the LIFO slot wakes nobody,
    /// not even a LIFO watcher: this worker polls it next, so it cannot be
    /// stranded behind another poll of this worker (`lifo.rs` rule 4), and
    /// whatever that poll wakes into the slot asks for a watcher then. (A
    /// watcher woken after every dispatch cost a futex wake and a spare
    /// search per event: 8% more CPU on the echo bench.) The pushes
    /// happened on this thread, which is awake and runs them next, so
    /// deferring the wake-up to here loses nothing: tokio does the same
    /// after its driver turn. (The only worker of a runtime queues in its
    /// `SoloQueue`, never the deque, so it wakes nobody here either.)
    fn publish_parked_work(&self) {
        if !self.local.is_empty() {
            self.announce_pushed();
        }
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: cheap, and good enough to spread steal attempts.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// This worker's counters (`metrics.rs`).
    #[inline(always)]
    fn metrics(&self) -> &crate::metrics::WorkerMetrics {
        // SAFETY: the pointer was taken from `self.shared.obs.workers`, a
        // boxed slice never resized, which `self.shared` keeps alive.
        unsafe { self.metrics.as_ref() }
    }

    /// The local part of the search order.
    fn next_task(&self) -> Option<Notified> {
        if countdown(&self.until_global, self.shared.config.global_queue_interval)
            && let Some(task) = self.pop_injector()
        {
            return Some(task);
        }
        if let Some(task) = self.lifo().take() {
            return Some(task);
        }
        if let Some(solo) = &self.solo {
            return solo.pop(self.metrics()).or_else(|| self.pop_injector());
        }
        self.local.pop().or_else(|| self.pop_injector())
    }

    fn pop_injector(&self) -> Option<Notified> {
        loop {
            // A solo worker takes one task at a time, leaving its deque empty:
            // a batch would cost a deque pop per task on top, as much as the
            // injector's own per-task `steal` it saves.
            let stolen = match self.solo {
                Some(_) => self.shared.injector.steal(),
                None => self.shared.injector.steal_batch_and_pop(&self.local),
            };
            match stolen {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Steals half of a random victim's queue, if the throttle lets us
    /// search (`idle.rs`, rule 2).
    fn steal_work(&self) -> Option<Notified> {
        if !self.searching.get() {
            if !self.shared.idle.transition_to_searching() {
                return None;
            }
            self.searching.set(true);
        }
        let n = self.shared.workers();
        let start = (self.next_random() % n as u64) as usize;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            loop {
                match self.shared.stealers[victim].steal_batch_and_pop(&self.local) {
                    Steal::Success(task) => {
                        crate::metrics::WorkerMetrics::bump(&self.metrics().steals);
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        self.pop_injector()
    }

    /// Rule 4 of `idle.rs`.
    fn stop_searching(&self) {
        if self.searching.replace(false) && self.shared.idle.transition_from_searching() {
            self.shared.notify_parked();
        }
    }

    /// Polls `task`, then whatever it put in the LIFO slot, up to the cap.
    fn run_task(&self, task: Notified) {
        self.stop_searching();
        crate::debug::run(self.metrics(), task);
        let mut lifo_polls = 0;
        while let Some(task) = self.lifo().take() {
            if lifo_polls >= self.shared.config.max_lifo_polls || self.shared.is_shutdown() {
                self.push_local(task);
                break;
            }
            lifo_polls += 1;
            crate::debug::run(self.metrics(), task);
        }
    }

    /// Every `event_interval` ticks a busy worker looks at the driver, so
    /// I/O events are not left waiting while all workers are busy.
    /// At the same ticks it publishes what its cache of freed task cells
    /// holds (`task/cache.rs`).
    fn maintenance(&self) {
        if countdown(&self.until_events, self.shared.config.event_interval) {
            if let Some(driver) = &self.shared.driver {
                driver.try_with(|d| d.park(Some(Duration::ZERO)));
            }
            self.publish_cell_cache();
        }
    }

    /// The bytes in this worker's cell cache, published for
    /// `RuntimeMetrics::cached_cell_bytes` (metrics rule 4) and returned.
    fn publish_cell_cache(&self) -> usize {
        let bytes = cache::bytes();
        // ORDERING: Relaxed: a gauge only this worker writes (metrics rule 1).
        self.metrics().cached_cells.store(bytes as u64, Ordering::Relaxed);
        bytes
    }

    /// `task/cache.rs` rule 4, once per turn of the park loop: a worker
    /// parked for `cache::IDLE` gives its cached cells back. Returns how much
    /// longer to wait for that, if anything is cached (the park's timeout).
    /// The clock is read only while something is.
    fn idle_cell_cache(&self, idle_since: &Cell<Option<Instant>>) -> Option<Duration> {
        if self.publish_cell_cache() == 0 {
            return None;
        }
        let now = Instant::now();
        let since = *idle_since.get().get_or_insert(now);
        idle_since.set(Some(since));
        let idle = now.duration_since(since);
        if idle >= cache::IDLE {
            cache::flush();
            self.publish_cell_cache();
            return None;
        }
        Some(cache::IDLE - idle)
    }

    fn has_local_work(&self) -> bool {
        self.lifo().is_full() || !self.local.is_empty() || self.solo.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// Parks until notified (`idle.rs`, rule 5). Returns when there may be
    /// work, or at shutdown.
    fn park(&self) {
        if let Some(solo) = &self.solo {
            solo.trim();
        }
        let was_searching = self.searching.replace(false);
        self.shared.idle.transition_to_parked(self.index, was_searching);
        fence(Ordering::SeqCst);
        if self.shared.has_visible_work() {
            // The sleeper list is a stack: this wakes this worker, unless
            // another one parked in the meantime.
            self.shared.notify_parked();
        } else {
            // Nothing left to run anywhere: this worker's burst is over
            // (`task/cache.rs` rules 3 and 5: misses forgotten, a step of
            // trimming).
            cache::end_burst();
        }
        let parker = &self.shared.parkers[self.index];
        // Set for the whole loop, cleared however `park` returns.
        struct InPark<'a>(&'a WorkerContext);
        impl Drop for InPark<'_> {
            fn drop(&mut self) {
                self.0.in_park.set(false);
                if !self.0.shared.is_shutdown() {
                    self.0.publish_parked_work();
                }
            }
        }
        self.in_park.set(true);
        let _in_park = InPark(self);
        self.shared.obs.park_begin(self.index);
        let _awake = crate::metrics::ParkGuard(&self.shared.obs, self.index);
        // Whichever way `park` returns, the watcher role goes with it.
        let watch = WatchRole { shared: &self.shared, held: Cell::new(false) };
        let idle_since = Cell::new(None);
        loop {
            watch.held.set(self.update_watch(watch.held.get()));
            // A parked worker still gives back cached cells that go unused
            // (`task/cache.rs`, rule 4): it wakes once per period while any
            // are left.
            let timeout = match (watch.held.get(), self.idle_cell_cache(&idle_since)) {
                (true, _) => Some(LIFO_WATCH_PERIOD),
                (false, left) => left,
            };
            parker.park(self.shared.driver.as_ref(), timeout);
            if watch.held.get() && self.steal_stuck_lifo() {
                self.shared.release_lifo_watcher();
                watch.held.set(false);
            }
            if self.shared.is_shutdown() {
                self.shared.idle.unpark_self(self.index);
                return;
            }
            if self.has_local_work() {
                // The driver woke tasks onto our own queue.
                if self.shared.idle.unpark_self(self.index) {
                    return;
                }
                // Somebody woke us in the meantime: we are a searcher.
                self.searching.set(true);
                return;
            }
            if !self.shared.idle.is_parked(self.index) {
                // Woken by `notify_parked`: we count as searching.
                self.searching.set(true);
                return;
            }
        }
    }

    /// `lifo.rs` rule 4: a parked worker watches the other workers' LIFO
    /// slots while any of them is running, so that one of them blocking
    /// inside a poll cannot strand the task in its slot. Returns whether this
    /// worker is (still) the watcher.
    fn update_watch(&self, watching: bool) -> bool {
        if !WATCH_LIFO || self.shared.workers() == 1 {
            return false;
        }
        let others_running = !self.shared.idle.all_parked();
        match (watching, others_running) {
            (true, false) => {
                self.shared.release_lifo_watcher();
                false
            }
            (false, true) if self.shared.claim_lifo_watcher() => {
                for (metrics, seen) in self.shared.obs.workers.iter().zip(self.watched.iter()) {
                    seen.set(progress(metrics));
                }
                true
            }
            (watching, _) => watching,
        }
    }

    /// One watch tick: steals the entry of a LIFO slot whose owner started
    /// no task during the whole period, into our own slot. `true` if it did.
    fn steal_stuck_lifo(&self) -> bool {
        let workers = self.shared.lifo.iter().zip(self.shared.obs.workers.iter());
        for (victim, ((slot, metrics), seen)) in workers.zip(self.watched.iter()).enumerate() {
            let progress = progress(metrics);
            if victim != self.index
                && progress == seen.get()
                && let Some(task) = slot.take()
            {
                // Our slot may not be empty: the driver, run while we were
                // parked, can have woken a task into it. Dropping that
                // displaced entry would cancel its task, so queue it.
                if let Some(displaced) = self.lifo().put(task) {
                    self.push_local(displaced);
                }
                return true;
            }
            seen.set(progress);
        }
        false
    }

    /// At shutdown: drop every task still queued here (their futures are
    /// dropped, not polled).
    fn drain_local(&self) {
        thread::leave_worker();
        self.stop_searching();
        drop(self.lifo().take());
        while let Some(task) = self.local.pop() {
            drop(task);
        }
        // One at a time, no borrow held: a future's destructor may wake tasks.
        while let Some(task) = self.solo.as_ref().and_then(|solo| solo.pop(self.metrics())) {
            drop(task);
        }
    }
}

/// The run queue of a runtime's only worker (`Builder::worker_threads(1)`).
///
/// With nobody to steal from it, the shared deque buys nothing and costs an
/// atomic read-modify-write per pop, and the deque gives its buffer back as it
/// drains: a burst of 100,000 spawns made it grow to 1 MB and shrink back
/// every round, and glibc then trimmed the heap top with the tasks' freed
/// memory in it, re-faulting it all on the next burst (`spawn_local` at one
/// worker: 64,000 page faults in 20 rounds where smol had 3,700;
/// `docs/benchmarks.md`). This queue is a plain `VecDeque` owned by the
/// worker thread: it keeps its capacity across bursts and gives it back only
/// at a park after which the queue stayed well below it (`trim`).
///
/// Its length is mirrored into the worker's `solo_queued` counter for
/// `Handle::metrics` and `is_idle` (`metrics.rs`, rule 4).
#[derive(Default)]
struct SoloQueue {
    tasks: RefCell<VecDeque<Notified>>,
    /// Most tasks queued at once since the last park.
    peak: Cell<usize>,
}

/// Capacity a solo queue always keeps (32 KiB of task pointers).
const SOLO_KEEP: usize = 4096;

impl SoloQueue {
    #[inline]
    fn push(&self, task: Notified, metrics: &crate::metrics::WorkerMetrics) {
        let mut tasks = self.tasks.borrow_mut();
        tasks.push_back(task);
        let len = tasks.len();
        if len > self.peak.get() {
            self.peak.set(len);
        }
        publish_len(metrics, len);
    }

    #[inline]
    fn pop(&self, metrics: &crate::metrics::WorkerMetrics) -> Option<Notified> {
        let mut tasks = self.tasks.borrow_mut();
        let task = tasks.pop_front()?;
        publish_len(metrics, tasks.len());
        Some(task)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.tasks.borrow().is_empty()
    }

    /// At a park: gives back capacity the bursts since the last park did not
    /// come near (under a quarter of it), keeping twice their peak.
    fn trim(&self) {
        let mut tasks = self.tasks.borrow_mut();
        let peak = self.peak.replace(tasks.len());
        if let Some(keep) = solo_trim(tasks.capacity(), peak) {
            tasks.shrink_to(keep);
        }
    }
}

/// The capacity a solo queue shrinks to at a park, if it does: only when
/// its peak since the last park stayed under a quarter of it.
fn solo_trim(capacity: usize, peak: usize) -> Option<usize> {
    (capacity > SOLO_KEEP && peak < capacity / 4).then(|| (2 * peak).max(SOLO_KEEP))
}

/// Metrics rule 1: only the owning worker writes its counters.
#[inline(always)]
fn publish_len(metrics: &crate::metrics::WorkerMetrics, len: usize) {
    // ORDERING: Relaxed: a gauge read by snapshots (metrics rules 1 and 4).
    metrics.solo_queued.store(len as u64, Ordering::Relaxed);
}

/// Counts `c` down; `true` (and back to `every`) when it reaches zero.
#[inline]
fn countdown(c: &Cell<u32>, every: u32) -> bool {
    match c.get() {
        0 | 1 => {
            c.set(every);
            true
        }
        n => {
            c.set(n - 1);
            false
        }
    }
}

/// How often the LIFO watcher looks at the other workers' slots: a task
/// stranded in the slot of a worker stuck in a poll waits one to two periods.
/// Each look is a timed wake-up of a parked worker while others run: at
/// 1 ms they cost an I/O-bound server about a tenth of its CPU (`scaling
/// echo`, 50 connections, 2 workers: 1.27 of tokio's CPU per round trip at
/// 1 ms, 1.04-1.09 at 10 ms). A worker blocking inside a poll is a bug in
/// the task; rescuing the task behind it within 10-20 ms is the point.
const LIFO_WATCH_PERIOD: Duration = Duration::from_millis(10);

/// loom has no clock (a timed park is an untimed one there), so the models
/// run without a watcher; the slot's hand-off has its own model.
const WATCH_LIFO: bool = !cfg!(corio_loom);

/// The LIFO watcher role (`lifo.rs` rule 4) held by a parked worker,
/// released when its `park` returns by any path: a role left taken would
/// stop every other worker from watching for good.
struct WatchRole<'a> {
    shared: &'a Scheduler,
    held: Cell<bool>,
}

impl Drop for WatchRole<'_> {
    fn drop(&mut self) {
        if self.held.get() {
            self.shared.release_lifo_watcher();
        }
    }
}

/// `lifo.rs` rule 4: a worker's progress is its poll count, which only it
/// writes (`metrics.rs`).
#[inline]
fn progress(metrics: &crate::metrics::WorkerMetrics) -> u64 {
    // ORDERING: Relaxed: a watcher compares two readings a watch period
    // apart; no other memory needs to be visible with them.
    metrics.polls.load(Ordering::Relaxed)
}

/// The run loop of worker `index`.
pub(crate) fn run_worker(shared: Arc<Scheduler>, index: usize, local: Worker<Notified>) {
    // Rule 1 of `task/cache.rs`: workers keep freed cells, and give them
    // all back when they stop (below, after the last task ran here).
    cache::enable(shared.config.cell_cache, shared.config.cell_cache_ceiling);
    let worker = WorkerContext::new(shared.clone(), index, local);
    let _enter = thread::enter(shared, true, (&worker as *const WorkerContext).cast());
    // Every call into user code is guarded where it happens (the task
    // harness, the driver, callbacks). This outer boundary is the last line:
    // should a panic still escape, the worker reports it and goes on instead
    // of dying with its queued tasks and leaving the idle count wrong.
    worker.shared.obs.worker_started(index);
    while crate::fault::guard(|| format!("worker {index}'s run loop"), || worker.run()).is_none() {}
    worker.drain_local();
    cache::disable();
}

impl WorkerContext {
    /// Runs tasks until shutdown.
    fn run(&self) {
        let worker = self;
        while !worker.shared.is_shutdown() {
            worker.maintenance();
            if let Some(task) = worker.next_task() {
                worker.run_task(task);
                continue;
            }
            if let Some(task) = worker.steal_work() {
                worker.run_task(task);
                continue;
            }
            worker.park();
        }
    }
}

/// Runs `f` with this thread's worker, if it is a worker thread.
#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let worker = thread::worker_ptr().cast::<WorkerContext>();
    // SAFETY: the pointer is set by `thread::enter` in `run_worker` for the
    // duration of the run loop, whose `WorkerContext` outlives that guard,
    // and reset when the guard drops; it is only ever read on its own
    // thread, and only `run_worker` stores a non-null one.
    f(unsafe { worker.as_ref() })
}

impl Schedule for Arc<Scheduler> {
    #[inline]
    fn schedule(&self, task: Notified) {
        with_worker(|worker| match worker {
            Some(worker) if Arc::ptr_eq(worker.shared(), self) => {
                worker.schedule_local(task, crate::context::waking_to_back())
            }
            _ => self.schedule_remote(task),
        });
    }

    #[inline]
    fn yield_now(&self, task: Notified) {
        with_worker(|worker| match worker {
            Some(worker) if Arc::ptr_eq(worker.shared(), self) => worker.schedule_local(task, true),
            _ => self.schedule_remote(task),
        });
    }

    #[inline]
    fn release(&self, task: &RawTask) -> bool {
        self.registry.remove(task)
    }

    fn spawn_callbacks(&self, job: Box<dyn FnOnce() + Send>) {
        if self.is_shutdown() {
            // The loop is closing and cannot run them (asyncio would raise
            // "Event loop is closed"); the late queue's thread does.
            super::callbacks::run_late(&self.late_callbacks, job);
            return;
        }
        // Should shutdown land before the task runs, its destructor passes
        // the job to the late queue (`callbacks.rs`).
        Scheduler::spawn(self, super::callbacks::CallbackJob::new(job, self.late_callbacks.clone()), None).detach();
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::{SOLO_KEEP, solo_trim};

    #[test]
    fn a_solo_queue_keeps_its_capacity_while_bursts_come_near_it() {
        // Repeated bursts of 100,000 tasks: the 131,072 slots stay.
        assert_eq!(solo_trim(131_072, 100_000), None);
        assert_eq!(solo_trim(131_072, 32_768), None);
        // The bursts stopped: back to twice the last peak, never below the floor.
        assert_eq!(solo_trim(131_072, 10_000), Some(20_000));
        assert_eq!(solo_trim(131_072, 3), Some(SOLO_KEEP));
        // Small queues are never trimmed.
        assert_eq!(solo_trim(SOLO_KEEP, 0), None);
    }
}
