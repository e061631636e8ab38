//! Untyped pointers to a task cell, and the queue entry type.

use std::ptr::NonNull;

use super::header::Header;
use super::state::TransitionToCancel;

/// A pointer to a task header. Owns nothing by itself: the types built on it
/// (`Notified`, `Task`, `TaskRef`, wakers) each own one reference (rule 9).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask(NonNull<Header>);

// SAFETY: rule 9: a task cell is only created for `F: Send`, `F::Output: Send` and a
// `Send + Sync` scheduler, and all shared access goes through the state word
// and the rules in `task/mod.rs`.
unsafe impl Send for RawTask {}
// SAFETY: rule 9, as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    #[inline]
    pub(crate) fn from_header(ptr: NonNull<Header>) -> RawTask {
        RawTask(ptr)
    }

    #[inline]
    pub(crate) fn as_ptr(self) -> NonNull<Header> {
        self.0
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: rule 9: a `RawTask` is only used while some reference to the cell is
        // held by its user (rule 9), so the header is alive.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Releases one reference, freeing the cell if it was the last.
    #[inline]
    pub(crate) fn ref_dec(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }

    #[inline]
    pub(crate) fn dealloc(self) {
        let dealloc = self.header().vtable.dealloc;
        // SAFETY: called only by the owner of the last reference (rule 9).
        unsafe { dealloc(self.0) }
    }

    /// Hands a new queue entry to the task's scheduler (rule 1).
    #[inline]
    pub(crate) fn schedule(self) {
        let schedule = self.header().vtable.schedule;
        // SAFETY: rule 1: the caller created a queue entry's reference for this call
        // (`TransitionToNotified::Submit`), which `schedule` takes over.
        unsafe { schedule(self.0) }
    }

    /// Requests cancellation (rule 5); `false` if the task had finished (or
    /// is a root task, which cannot be cancelled).
    pub(crate) fn cancel(self, msg: Option<String>) -> bool {
        if let Some(msg) = msg {
            self.set_cancel_msg(msg);
        }
        match self.header().state.transition_to_cancel() {
            TransitionToCancel::AlreadyDone | TransitionToCancel::Refused => false,
            TransitionToCancel::Requested => true,
            TransitionToCancel::RunInPlace => {
                let cancel = self.header().vtable.cancel_in_place;
                // SAFETY: rule 5: the transition gave us `RUNNING` and one reference
                // (rule 5), which `cancel_in_place` consumes.
                unsafe { cancel(self.0) };
                true
            }
        }
    }
}

/// A queue entry: the right to run the task once (rules 1 and 2). Owns one
/// reference. Dropped without running (at shutdown), it drops the future.
pub(crate) struct Notified(RawTask);

impl Notified {
    /// # Safety
    ///
    /// - The caller owns a queue entry for this task (a `Submit` or `Notified`
    ///   transition gave it one), including its reference.
    #[inline]
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified {
        Notified(raw)
    }

    /// Gives up the entry as a bare pointer, reference included (for the
    /// LIFO slot, which stores it in an atomic; `from_raw` undoes this).
    #[inline]
    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.0;
        std::mem::forget(self);
        raw
    }

    /// The task this entry is for.
    #[inline]
    pub(crate) fn raw(&self) -> RawTask {
        self.0
    }

    /// Polls the task once.
    #[inline]
    pub(crate) fn run(self) {
        let raw = self.0;
        std::mem::forget(self);
        let poll = raw.header().vtable.poll;
        // SAFETY: we owned the queue entry and give it to `poll` (rule 2).
        unsafe { poll(raw.as_ptr()) }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        let shutdown = self.0.header().vtable.shutdown;
        // SAFETY: rules 2 and 5: we own the queue entry, which `shutdown`
        // consumes.
        unsafe { shutdown(self.0.as_ptr()) }
    }
}

impl std::fmt::Debug for Notified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Notified").field(&self.0.header().id).finish()
    }
}
