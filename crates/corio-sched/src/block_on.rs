//! What a thread inside `block_on` parks on: its waker, and the count of
//! busy `block_on` threads that `Handle::is_idle` (and so a paused clock)
//! consults.

use std::sync::Arc as StdArc;
use std::task::Wake;

use crate::loom::{Arc, AtomicUsize, Condvar, Mutex, Ordering};
use crate::sched::Scheduler;

/// Wakes a thread blocked in `block_on`, and keeps the runtime's count of
/// busy `block_on` threads (`Scheduler::busy_roots`, read by
/// [`Handle::is_idle`](crate::Handle::is_idle)) exact.
///
/// # Rules
///
/// 1. `state` is `EMPTY`, `PARKED` or `NOTIFIED`. A wake swaps in
///    `NOTIFIED`; if it took the thread out of `PARKED` it notifies the
///    condvar under the mutex (so the notify cannot precede the wait).
/// 2. The thread leaves the busy count only by entering `PARKED` (a CAS from
///    `EMPTY`, under the mutex), and never puts itself back: the wake that
///    takes it out of `PARKED` does.
/// 3. A wake counts the thread busy *before* its swap and takes that back
///    only if the thread was not `PARKED` (it never left the count). So from
///    the moment a wake starts, the woken thread counts as busy: a paused
///    clock never jumps while a woken `block_on` thread is about to run.
pub(crate) struct ThreadWaker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    shared: Arc<Scheduler>,
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

impl ThreadWaker {
    pub(crate) fn new(shared: Arc<Scheduler>) -> ThreadWaker {
        ThreadWaker { state: AtomicUsize::new(EMPTY), mutex: Mutex::new(()), condvar: Condvar::new(), shared }
    }

    /// Parks the `block_on` thread until woken (rules 1 and 2).
    pub(crate) fn park(&self) {
        if self.consume_notification() {
            return;
        }
        let mut guard = self.mutex.lock();
        if self.state.compare_exchange(EMPTY, PARKED, Ordering::SeqCst, Ordering::SeqCst).is_err() {
            // Only a wake moves the state from EMPTY: consume it.
            self.state.swap(EMPTY, Ordering::SeqCst);
            return;
        }
        self.shared.busy_roots.fetch_sub(1, Ordering::SeqCst);
        loop {
            guard = self.condvar.wait(guard);
            if self.consume_notification() {
                return;
            }
        }
    }

    fn consume_notification(&self) -> bool {
        self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }
}

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    /// Rules 1 and 3.
    fn wake_by_ref(self: &StdArc<Self>) {
        self.shared.busy_roots.fetch_add(1, Ordering::SeqCst);
        if self.state.swap(NOTIFIED, Ordering::SeqCst) == PARKED {
            drop(self.mutex.lock());
            self.condvar.notify_one();
        } else {
            self.shared.busy_roots.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Counts a `block_on` thread as busy for the duration of the call.
pub(crate) struct RootBusy(Arc<Scheduler>);

impl RootBusy {
    pub(crate) fn enter(shared: &Arc<Scheduler>) -> RootBusy {
        shared.busy_roots.fetch_add(1, Ordering::SeqCst);
        RootBusy(shared.clone())
    }
}

impl Drop for RootBusy {
    fn drop(&mut self) {
        self.0.busy_roots.fetch_sub(1, Ordering::SeqCst);
    }
}
