//! The `call_soon` queue: callbacks waiting to run on the runtime, in FIFO
//! order, and the one drain job that runs them (driver rules 6 and 7).

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::catch::panic_message;
use crate::loom::Mutex;
use crate::time::entry::CallbackState;

/// A queued callback: its cancellation state and the closure.
pub(crate) type Callback = (crate::loom::Arc<CallbackState>, Box<dyn FnOnce() + Send>);

/// The `call_soon` queue and its drain flag (rule 7).
pub(crate) struct CallSoon {
    queue: VecDeque<Callback>,
    draining: bool,
}

impl CallSoon {
    pub(crate) fn new() -> CallSoon {
        CallSoon { queue: VecDeque::new(), draining: false }
    }

    /// Rule 7: queues `cb`; `true` if the caller must start a drain job.
    pub(crate) fn push(&mut self, cb: Callback) -> bool {
        self.queue.push_back(cb);
        !std::mem::replace(&mut self.draining, true)
    }

    /// Rule 7: the drain job takes what is queued now.
    pub(crate) fn take_batch(&mut self) -> VecDeque<Callback> {
        std::mem::take(&mut self.queue)
    }

    /// Rule 7: nothing queued and no drain job (the loom models).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn is_idle(&self) -> bool {
        self.queue.is_empty() && !self.draining
    }

    /// Rule 7: the drain job ran its batch; `true` if it must start another
    /// (callbacks arrived meanwhile), else the flag is cleared.
    pub(crate) fn finish_batch(&mut self) -> bool {
        self.draining = !self.queue.is_empty();
        self.draining
    }
}

/// The runtime's `call_soon` queue behind its lock, shared by the driver,
/// its handles and the drain job.
pub(crate) struct CallSoonQueue {
    queue: Mutex<CallSoon>,
}

impl CallSoonQueue {
    pub(crate) fn new() -> CallSoonQueue {
        CallSoonQueue { queue: Mutex::new(CallSoon::new()) }
    }

    /// Rule 7: queues `cb` and, if no drain job exists, starts one on
    /// `sched` (or the current runtime).
    ///
    /// # Panics
    ///
    /// With no `sched` given, outside a runtime.
    pub(crate) fn push(self: &Arc<Self>, cb: Callback, sched: Option<&corio_sched::Handle>) {
        let start = self.queue.lock().push(cb);
        if start {
            let queue = self.clone();
            let job: Box<dyn FnOnce() + Send> = Box::new(move || queue.drain());
            match sched.cloned().or_else(corio_sched::Handle::try_current) {
                Some(h) => h.run_job(job),
                None => panic!("no running corio runtime: call this inside corio::run / Runtime::block_on or a task"),
            }
        }
    }

    /// Runs the callbacks that were queued when this drain started, in FIFO
    /// order — asyncio runs callbacks added meanwhile on the next loop
    /// iteration, so a callback that keeps rescheduling itself cannot hold a
    /// worker. Whatever arrived meanwhile goes to a fresh drain job, behind
    /// the tasks already queued.
    fn drain(self: &Arc<Self>) {
        let batch = self.queue.lock().take_batch();
        // Rule 6: each callback, and each skipped (cancelled) callback's
        // destructor, behind its own `catch_unwind`: one panic loses none
        // of the others and cannot leave `draining` set.
        for (state, f) in batch {
            if state.begin_run() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                    eprintln!("corio: exception in callback: {}", panic_message(&*payload));
                }
            } else if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(f))) {
                eprintln!("corio: a cancelled callback's destructor panicked: {}", panic_message(&*payload));
            }
        }
        if self.queue.lock().finish_batch() {
            let queue = self.clone();
            let job: Box<dyn FnOnce() + Send> = Box::new(move || queue.drain());
            match corio_sched::Handle::try_current() {
                Some(h) => h.run_job(job),
                None => job(),
            }
        }
    }

    /// Shutdown: every queued callback, taken out to be dropped after the
    /// lock (rule 6).
    pub(crate) fn take_all(&self) -> VecDeque<Callback> {
        std::mem::take(&mut self.queue.lock().queue)
    }
}
