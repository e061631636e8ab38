//! `Waker`s that point straight at a task cell.

use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::header::Header;
use super::raw::RawTask;
use super::state::TransitionToNotified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn raw(ptr: *const ()) -> RawTask {
    // SAFETY: rule 9: every RawWaker with this vtable was made from a non-null header
    // pointer by `waker_ref` or `clone`.
    RawTask::from_header(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
}

/// `RawWakerVTable::clone`: one more reference (rule 9).
///
/// # Safety
///
/// - `ptr` was made by `waker_ref` or `clone` from a live task's header, and
///   the waker it belongs to owns a reference (rule 9; `waker_ref`'s borrows
///   the runner's).
unsafe fn clone(ptr: *const ()) -> RawWaker {
    raw(ptr).ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

/// `RawWakerVTable::wake`: rule 1, consuming this waker's reference.
///
/// # Safety
///
/// - `ptr` was made by `waker_ref` or `clone` from a live task's header, and
///   the waker it belongs to owns a reference (rule 9; `waker_ref`'s borrows
///   the runner's).
unsafe fn wake(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_val() {
        TransitionToNotified::Submit => task.schedule(),
        TransitionToNotified::DoNothing => {}
        TransitionToNotified::Dealloc => task.dealloc(),
    }
}

/// `RawWakerVTable::wake_by_ref`: rule 1, keeping the reference.
///
/// # Safety
///
/// - `ptr` was made by `waker_ref` or `clone` from a live task's header, and
///   the waker it belongs to owns a reference (rule 9; `waker_ref`'s borrows
///   the runner's).
unsafe fn wake_by_ref(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_ref() {
        TransitionToNotified::Submit => task.schedule(),
        TransitionToNotified::DoNothing => {}
        TransitionToNotified::Dealloc => unreachable!("wake_by_ref keeps its reference"),
    }
}

/// `RawWakerVTable::drop`: releases this waker's reference (rule 9).
///
/// # Safety
///
/// - `ptr` was made by `waker_ref` or `clone` from a live task's header, and
///   the waker it belongs to owns a reference (rule 9; `waker_ref`'s borrows
///   the runner's).
unsafe fn drop_waker(ptr: *const ()) {
    raw(ptr).ref_dec();
}

/// Whether `waker` is one of `task`'s own wakers (made by `waker_ref` or `clone`).
#[inline]
pub(crate) fn is_waker_of(waker: &Waker, task: RawTask) -> bool {
    ptr::eq(waker.vtable(), &VTABLE) && ptr::eq(waker.data(), task.as_ptr().as_ptr() as *const ())
}

/// A waker borrowed from the runner's reference: no reference is taken until
/// somebody clones it.
#[inline]
pub(crate) fn waker_ref(task: &RawTask) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(task.as_ptr().as_ptr() as *const (), &VTABLE);
    // SAFETY: rules 1 and 9: the vtable's functions follow the RawWaker contract: clone
    // takes a reference, wake/drop release one, wake_by_ref keeps it. The
    // `ManuallyDrop` keeps this borrowed waker from releasing the runner's.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}
