//! One worker thread: its queues and its run loop.

use std::cell::Cell;
use std::time::Duration;

use super::Shared;
use crate::context;
use crate::loom::{Arc, Ordering, Steal, Worker, fence};
use crate::task::Notified;

/// A worker's own state. Lives on the worker's stack for the whole run loop
/// and is reached from tasks through `context::with_worker`.
pub(crate) struct WorkerContext {
    shared: Arc<Shared>,
    index: usize,
    local: Worker<Notified>,
    /// The task most recently woken or spawned by this worker: polled next,
    /// for message-passing locality. Never stolen.
    lifo: Cell<Option<Notified>>,
    tick: Cell<u32>,
    searching: Cell<bool>,
    rng: Cell<u64>,
    /// This worker's counters in `shared.obs` (`metrics.rs`), cached.
    metrics: std::ptr::NonNull<crate::metrics::WorkerMetrics>,
}

impl WorkerContext {
    pub(crate) fn new(shared: Arc<Shared>, index: usize, local: Worker<Notified>) -> WorkerContext {
        let metrics = std::ptr::NonNull::from(&*shared.obs.workers[index]);
        WorkerContext {
            shared,
            index,
            local,
            lifo: Cell::new(None),
            tick: Cell::new(0),
            searching: Cell::new(false),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
            metrics,
        }
    }

    #[inline]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Queues a task woken or spawned on this worker. A yield goes to the
    /// back of the local queue; anything else into the LIFO slot, pushing
    /// the slot's previous task to the queue (where others can steal it).
    #[inline]
    pub(crate) fn schedule_local(&self, task: Notified, is_yield: bool) {
        let displaced = if is_yield { Some(task) } else { self.lifo.replace(Some(task)) };
        if let Some(task) = displaced {
            self.local.push(task);
            fence(Ordering::SeqCst);
            self.shared.notify_parked();
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
        let tick = self.tick.get();
        if tick.is_multiple_of(self.shared.config.global_queue_interval)
            && let Some(task) = self.pop_injector()
        {
            return Some(task);
        }
        if let Some(task) = self.lifo.take() {
            return Some(task);
        }
        self.local.pop().or_else(|| self.pop_injector())
    }

    fn pop_injector(&self) -> Option<Notified> {
        loop {
            match self.shared.injector.steal_batch_and_pop(&self.local) {
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
        while let Some(task) = self.lifo.take() {
            if lifo_polls >= self.shared.config.max_lifo_polls || self.shared.is_shutdown() {
                self.local.push(task);
                fence(Ordering::SeqCst);
                self.shared.notify_parked();
                break;
            }
            lifo_polls += 1;
            crate::debug::run(self.metrics(), task);
        }
    }

    /// Every `event_interval` ticks a busy worker looks at the driver, so
    /// I/O events are not left waiting while all workers are busy.
    fn maintenance(&self) {
        if self.tick.get().is_multiple_of(self.shared.config.event_interval)
            && let Some(driver) = &self.shared.driver
        {
            driver.try_with(|d| d.park(Some(Duration::ZERO)));
        }
    }

    fn has_local_work(&self) -> bool {
        // A peek through `take` and `set`: the slot ends as it started.
        let task = self.lifo.take();
        let has = task.is_some();
        self.lifo.set(task);
        has || !self.local.is_empty()
    }

    /// Parks until notified (`idle.rs`, rule 5). Returns when there may be
    /// work, or at shutdown.
    fn park(&self) {
        let was_searching = self.searching.replace(false);
        if self.shared.idle.transition_to_parked(self.index, was_searching) {
            fence(Ordering::SeqCst);
            if self.shared.has_visible_work() {
                self.shared.notify_parked();
            }
        }
        let parker = &self.shared.parkers[self.index];
        self.shared.obs.park_begin(self.index);
        let _awake = crate::metrics::ParkGuard(&self.shared.obs, self.index);
        loop {
            parker.park(self.shared.driver.as_ref());
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

    /// At shutdown: drop every task still queued here (their futures are
    /// dropped, not polled).
    fn drain_local(&self) {
        context::leave_worker();
        self.stop_searching();
        drop(self.lifo.take());
        while let Some(task) = self.local.pop() {
            drop(task);
        }
    }
}

/// The run loop of worker `index`.
pub(crate) fn run_worker(shared: Arc<Shared>, index: usize, local: Worker<Notified>) {
    let worker = WorkerContext::new(shared.clone(), index, local);
    let _enter = context::enter(shared, true, &worker);
    worker.shared.obs.worker_started(index);
    while !worker.shared.is_shutdown() {
        worker.tick.set(worker.tick.get().wrapping_add(1));
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
    worker.drain_local();
}
