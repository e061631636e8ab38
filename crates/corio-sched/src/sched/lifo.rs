//! A worker's LIFO slot: the task it woke or spawned last (except wakes and
//! spawns of a finished task's completion, which queue at the back:
//! `context::wake_to_back`), polled next for message-passing locality — and stealable, so a task that lands in the
//! slot of a worker which then blocks inside a poll is not stranded there.
//!
//! # Rules
//!
//! 1. The slot holds at most one queue entry (`Notified`, with its
//!    reference), as a raw pointer; null means empty. Every move in or out
//!    is one atomic `swap`, so an entry is owned by exactly one party: the
//!    slot, the owner, or one stealer. No entry is lost or run twice.
//! 2. Only the owning worker puts into the slot. A put returns the entry it
//!    displaced, which the owner pushes to its deque (where it is visible to
//!    stealers) followed by a SeqCst fence and `notify_parked` (`idle.rs`,
//!    rule 3) — at once, or, for a put by the driver's dispatch inside the
//!    owner's `park`, when `park` returns (`worker.rs`, `publish_parked_work`).
//! 3. The owner takes from the slot; anybody may steal from it. Both are a
//!    swap with null.
//! 4. The owner's poll count (`metrics.rs`, written only by the owner)
//!    measures its progress. A watcher (a parked
//!    worker, see `worker.rs`) that sees it unchanged over a whole watch
//!    period, with the slot full, knows the owner is stuck in one poll and
//!    steals the slot. Stealing early costs locality, never correctness; a
//!    missed steal costs latency, never a task: the owner runs the entry when
//!    its poll returns. A worker filling its empty slot makes sure a watcher
//!    exists, except when the driver's dispatch fills it inside the worker's
//!    `park`: the worker polls that entry next, unless its injector countdown
//!    comes first (`global_queue_interval`) and that task blocks — a missed
//!    watcher, which costs latency as above, never the task.

use std::ptr;

use crate::loom::{AtomicPtr, Ordering};
use crate::task::Notified;
use crate::task::header::Header;

pub(crate) struct LifoSlot {
    task: AtomicPtr<Header>,
}

impl LifoSlot {
    pub(crate) fn new() -> LifoSlot {
        LifoSlot { task: AtomicPtr::new(ptr::null_mut()) }
    }

    /// Rule 2 (owner only): puts `task` in, returning the displaced entry.
    #[inline]
    pub(crate) fn put(&self, task: Notified) -> Option<Notified> {
        // ORDERING: Release publishes the task cell to a stealer's Acquire
        // swap; Acquire pairs with the Release of the put that stored the
        // entry we displace.
        let prev = self.task.swap(task.into_raw().as_ptr().as_ptr(), Ordering::AcqRel);
        // SAFETY: rule 1: a non-null pointer in the slot is an entry the slot
        // owned, and the swap handed it to us.
        unsafe { from_ptr(prev) }
    }

    /// Rule 3: takes the entry, if any (the owner, or a stealer).
    #[inline]
    pub(crate) fn take(&self) -> Option<Notified> {
        // ORDERING: Relaxed: a peek; the swap below does the synchronising.
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        // ORDERING: Acquire pairs with the Release of the `put` that stored
        // the entry, so the task cell it points to is visible.
        let prev = self.task.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: rule 1: the swap moved the slot's entry to us.
        unsafe { from_ptr(prev) }
    }

    /// `true` if the slot holds an entry right now.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        // ORDERING: Relaxed: a hint; whoever acts on it takes with a swap.
        !self.task.load(Ordering::Relaxed).is_null()
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        // Normally empty (workers drain their slot at shutdown); an entry
        // left over is cancelled, never leaked.
        drop(self.take());
    }
}

/// # Safety
///
/// - `ptr` is null or the header of a task whose queue entry (with its
///   reference) the caller owns.
unsafe fn from_ptr(ptr: *mut Header) -> Option<Notified> {
    let ptr = ptr::NonNull::new(ptr)?;
    // SAFETY: the caller owns the entry (rule 1).
    Some(unsafe { Notified::from_raw(crate::task::RawTask::from_header(ptr)) })
}
