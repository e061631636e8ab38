//! The cooperative budget: how many times a task may find a corio resource
//! ready before it has to yield.
//!
//! Each poll of a task starts with a budget of [`BUDGET`] units. Resources
//! (a `Task` being awaited, and later sockets, timers and channels) call
//! [`poll_proceed`] before doing work: once the budget is spent they return
//! `Pending` after asking for the task to be queued again at the back (as
//! `yield_now` does), so a loop over always-ready resources
//! goes back to the scheduler instead of starving its worker. Outside a
//! corio task the budget is unlimited.

use std::cell::Cell;
use std::task::{Context, Poll};

use crate::context::{self, Budget};

/// Units of budget a task gets per poll.
pub const BUDGET: u8 = context::TASK_BUDGET;

/// Permission to do one unit of work; gives the unit back unless
/// [`made_progress`](Proceed::made_progress) is called.
#[derive(Debug)]
#[must_use]
pub struct Proceed {
    spent: bool,
}

impl Proceed {
    /// Keeps the unit spent: the resource did make progress.
    pub fn made_progress(mut self) {
        self.spent = false;
    }
}

impl Drop for Proceed {
    fn drop(&mut self) {
        if self.spent {
            context::with_budget(|b: &Cell<Budget>| {
                if let Budget(Some(n)) = b.get() {
                    b.set(Budget(Some(n.saturating_add(1))));
                }
            });
        }
    }
}

/// Spends one unit of the current task's budget, or sends the task to the
/// back of the queue (as `yield_now` does) and returns `Pending` when the
/// budget is exhausted.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<Proceed> {
    context::with_budget(|b: &Cell<Budget>| match b.get() {
        Budget(None) => Poll::Ready(Proceed { spent: false }),
        Budget(Some(0)) => {
            context::yield_task(cx.waker());
            Poll::Pending
        }
        Budget(Some(n)) => {
            b.set(Budget(Some(n - 1)));
            Poll::Ready(Proceed { spent: true })
        }
    })
}

/// Has the task being polled queued again at the back of its worker's queue once this poll
/// returns `Pending`, as `yield_now` does. With the task's own waker no wake is needed (the
/// runner is told through the thread's context); any other waker is woken by reference.
#[inline]
pub fn yield_task(waker: &std::task::Waker) {
    context::yield_task(waker);
}

/// `true` if the current task still has budget left.
pub fn has_budget_remaining() -> bool {
    context::with_budget(|b: &Cell<Budget>| !matches!(b.get(), Budget(Some(0))))
}
