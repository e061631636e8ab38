//! Per-thread task state: which task this thread is polling, and that
//! task's cooperative budget. (Which runtime and worker the thread belongs
//! to is `sched/thread.rs`'s.)

use std::cell::Cell;

use crate::loom::thread_local;
use crate::task::RawTask;

/// Units of cooperative budget a task gets per poll (`coop.rs`).
pub(crate) const TASK_BUDGET: u8 = 128;

/// A task's remaining budget; `None` is unlimited.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget(pub(crate) Option<u8>);

struct ThreadContext {
    /// The task being polled (or dropped) on this thread.
    current_task: Cell<Option<RawTask>>,
    budget: Cell<Budget>,
}

// loom's `thread_local!` has no `const` form, and this must compile under both.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static CONTEXT: ThreadContext = ThreadContext {
        current_task: Cell::new(None),
        budget: Cell::new(Budget(None)),
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
        prev_budget: c.budget.replace(Budget(Some(TASK_BUDGET))),
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
