//! Per-thread task state: which task this thread is polling, and that
//! task's cooperative budget. (Which runtime and worker the thread belongs
//! to is `sched/thread.rs`'s.)

use std::cell::Cell;

use crate::loom::const_thread_local;
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
    /// The current task asked to go to the back of the queue during this poll
    /// (see [`yield_task`]).
    yielded: Cell<bool>,
    /// Wakes on this thread queue at the back (inside [`wake_to_back`]).
    to_back: Cell<bool>,
}

const_thread_local! {
    static CONTEXT: ThreadContext = ThreadContext {
        current_task: Cell::new(None),
        budget: Cell::new(Budget(None)),
        yielded: Cell::new(false),
        to_back: Cell::new(false),
    };
}

/// Restores the previous task, budget and yield request when a poll ends (even by panic).
pub(crate) struct TaskGuard {
    prev_task: Option<RawTask>,
    prev_budget: Budget,
    prev_yielded: bool,
}

/// Marks `task` as the current one and gives it a fresh budget.
#[inline]
pub(crate) fn enter_task(task: RawTask) -> TaskGuard {
    CONTEXT.with(|c| TaskGuard {
        prev_task: c.current_task.replace(Some(task)),
        prev_budget: c.budget.replace(Budget(Some(TASK_BUDGET))),
        prev_yielded: c.yielded.replace(false),
    })
}

impl TaskGuard {
    /// Whether the task asked, during this poll, to be queued again at the back (and clears
    /// the request).
    #[inline]
    pub(crate) fn take_yield(&self) -> bool {
        CONTEXT.try_with(|c| c.yielded.replace(false)).unwrap_or(false)
    }
}

impl Drop for TaskGuard {
    #[inline]
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| {
            c.current_task.set(self.prev_task);
            c.budget.set(self.prev_budget);
            c.yielded.set(self.prev_yielded);
        });
    }
}

/// Whether the task being polled has asked to be requeued at the back ([`yield_task`]).
#[cfg(all(test, corio_loom))]
pub(crate) fn yield_requested() -> bool {
    CONTEXT.try_with(|c| c.yielded.get()).unwrap_or(false)
}

/// Sends the task whose poll is running (and which `waker` wakes) to the back of the queue once
/// the poll returns `Pending`: `yield_now`, and a spent cooperative budget.
///
/// If `waker` is that task's own waker, no wake is needed: the request is recorded here and the
/// runner does in one state transition what a `wake_by_ref` while running plus the end of the
/// poll do in two (rule 3 in `task/mod.rs`). Any other waker (a combinator's, a `block_on`
/// root's, one polled outside its task) is woken as usual.
#[inline]
pub(crate) fn yield_task(waker: &std::task::Waker) {
    let deferred = CONTEXT
        .try_with(|c| match c.current_task.get() {
            Some(task) if crate::task::is_waker_of(waker, task) => {
                c.yielded.set(true);
                true
            }
            _ => false,
        })
        .unwrap_or(false);
    if !deferred {
        waker.wake_by_ref();
    }
}

/// Runs `f`, a finished task waking its awaiter and firing its done callbacks, so that what it
/// wakes on this worker queues at the back instead of in the LIFO slot (read by the
/// scheduler's `schedule` through [`waking_to_back`]).
///
/// The LIFO slot is for message passing: the task a message wakes runs next, while the data is
/// hot. An awaiter of a finished task is usually a collector (a loop over `Task`s, a
/// `TaskGroup`'s owner) with more of its tasks queued: run at once, it finds the next one not
/// done, parks, and is woken again by it, a poll and a wake per task. Queued at the back it
/// finds them all done. asyncio orders it the same way: a finished task's awaiters resume
/// through `call_soon`, behind the callbacks already ready.
#[inline]
pub(crate) fn wake_to_back(f: impl FnOnce()) {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CONTEXT.try_with(|c| c.to_back.set(self.0));
        }
    }
    let _restore = Restore(CONTEXT.try_with(|c| c.to_back.replace(true)).unwrap_or(false));
    f();
}

/// Whether a wake on this thread now should queue at the back (inside [`wake_to_back`]).
#[inline]
pub(crate) fn waking_to_back() -> bool {
    CONTEXT.try_with(|c| c.to_back.get()).unwrap_or(false)
}

pub(crate) fn current_task() -> Option<RawTask> {
    CONTEXT.try_with(|c| c.current_task.get()).ok().flatten()
}

#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce(&Cell<Budget>) -> R) -> R {
    CONTEXT.with(|c| f(&c.budget))
}
