//! The task that stands for a `block_on` main future.
//!
//! The main future is not `Send` or `'static`, so it cannot live in a task
//! cell; it is polled on the caller's stack. A root cell with an empty
//! future stands in for it, so that `current_task()` and `all_tasks()` see
//! the main future as a task (API.md §1). The root is created `RUNNING |
//! ROOT`: wakes ignore it (rule 1), cancellation is refused (rule 5), and the
//! `block_on` caller, as the owner of `RUNNING`, completes it at the end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Schedule;
use super::cell::Cell;
use super::raw::RawTask;
use super::state::INITIAL_ROOT;

/// Never polled: the root's cell only needs a future type.
pub(crate) struct RootFuture;

impl Future for RootFuture {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

/// The root task of one `block_on` call; completes it when dropped.
pub(crate) struct Root<S: Schedule> {
    raw: RawTask,
    _scheduler: std::marker::PhantomData<S>,
}

impl<S: Schedule> Root<S> {
    /// Creates the root; `register` puts it in the registry (taking one
    /// reference) or returns `false`.
    pub(crate) fn new(scheduler: S, register: impl FnOnce(RawTask) -> bool) -> Root<S> {
        // Two references: this holder (the runner) and the registry.
        let ptr = super::harness::allocate(RootFuture, scheduler, None, INITIAL_ROOT);
        let raw = RawTask::from_header(ptr);
        if !register(raw) {
            raw.ref_dec();
        }
        Root { raw, _scheduler: std::marker::PhantomData }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }
}

impl<S: Schedule> Drop for Root<S> {
    fn drop(&mut self) {
        // SAFETY: rules 2 and 4: the root was made by `harness::allocate` with exactly these
        // types, and we hold RUNNING and the runner's reference since `new`.
        let cell = unsafe { self.raw.as_ptr().cast::<Cell<RootFuture, S>>().as_ref() };
        let _ = super::harness::drop_future(cell, self.raw);
        super::harness::complete(cell, self.raw, Ok(()), 0);
    }
}
