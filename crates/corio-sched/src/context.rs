//! Per-thread state: which runtime this thread belongs to, which task it is
//! polling, and that task's cooperative budget.

use std::cell::{Cell, RefCell};
use std::ptr;

use crate::coop::Budget;
use crate::loom::{Arc, thread_local};
use crate::sched::{Scheduler, WorkerContext};
use crate::task::RawTask;

struct ThreadContext {
    /// The task being polled (or dropped) on this thread.
    current_task: Cell<Option<RawTask>>,
    budget: Cell<Budget>,
    /// Set for the lifetime of a worker's run loop.
    worker: Cell<*const WorkerContext>,
    /// The runtime whose handle `Handle::current()` gives here.
    handle: RefCell<Option<Arc<Scheduler>>>,
    /// A runtime is being driven on this thread (a worker, or `block_on`).
    entered: Cell<bool>,
}

// loom's `thread_local!` has no `const` form, and this must compile under both.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static CONTEXT: ThreadContext = ThreadContext {
        current_task: Cell::new(None),
        budget: Cell::new(Budget(None)),
        worker: Cell::new(ptr::null()),
        handle: RefCell::new(None),
        entered: Cell::new(false),
    };
}

/// Restores the previous task and budget when a poll ends (even by panic).
pub(crate) struct TaskGuard {
    prev_task: Option<RawTask>,
    prev_budget: Budget,
}

/// Marks `task` as the current one and gives it a fresh budget.
#[inline]
pub(crate) fn enter_task(task: RawTask) -> TaskGuard {
    CONTEXT.with(|c| TaskGuard {
        prev_task: c.current_task.replace(Some(task)),
        prev_budget: c.budget.replace(Budget(Some(crate::coop::BUDGET))),
    })
}

impl Drop for TaskGuard {
    #[inline]
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| {
            c.current_task.set(self.prev_task);
            c.budget.set(self.prev_budget);
        });
    }
}

pub(crate) fn current_task() -> Option<RawTask> {
    CONTEXT.try_with(|c| c.current_task.get()).ok().flatten()
}

#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce(&Cell<Budget>) -> R) -> R {
    CONTEXT.with(|c| f(&c.budget))
}

/// Runs `f` with this thread's worker, if it is a worker thread.
#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let worker = CONTEXT.try_with(|c| c.worker.get()).unwrap_or(ptr::null());
    // SAFETY: the pointer is set by `enter` for the duration of the
    // worker's run loop, whose `WorkerContext` outlives that guard, and reset
    // when the guard drops; it is only ever read on its own thread.
    f(unsafe { worker.as_ref() })
}

/// The handle of the runtime this thread belongs to.
pub(crate) fn handle() -> Option<Arc<Scheduler>> {
    CONTEXT.try_with(|c| c.handle.borrow().clone()).ok().flatten()
}

/// Undoes `enter_*` when dropped.
pub(crate) struct EnterGuard {
    prev_handle: Option<Arc<Scheduler>>,
    prev_entered: bool,
    prev_worker: *const WorkerContext,
}

/// Enters a runtime on this thread: as a worker (`worker` non-null), as a
/// `block_on` caller (`entered`), or only as its home (blocking threads).
pub(crate) fn enter(shared: Arc<Scheduler>, entered: bool, worker: *const WorkerContext) -> EnterGuard {
    CONTEXT.with(|c| EnterGuard {
        prev_handle: c.handle.replace(Some(shared)),
        prev_entered: c.entered.replace(entered),
        prev_worker: c.worker.replace(worker),
    })
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| {
            c.worker.set(self.prev_worker);
            c.entered.set(self.prev_entered);
            *c.handle.borrow_mut() = self.prev_handle.take();
        });
    }
}

/// `true` if a runtime is being driven on this thread.
pub(crate) fn is_entered() -> bool {
    CONTEXT.try_with(|c| c.entered.get()).unwrap_or(false)
}

/// Stops treating this thread as a worker (at shutdown, so that wakes from
/// destructors take the remote path).
pub(crate) fn leave_worker() {
    let _ = CONTEXT.try_with(|c| c.worker.set(ptr::null()));
}
