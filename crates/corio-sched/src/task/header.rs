//! The hot, type-erased front of every task cell, and its vtable.

use std::ptr::NonNull;

use super::id::TaskId;
use super::state::State;
use crate::loom::UnsafeCell;

/// The hot, type-erased front of every task. `#[repr(C)]` in `Cell` puts it
/// at offset 0, so a `NonNull<Header>` is also a pointer to the cell.
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: TaskId,
    /// The task's key in its registry shard: written and read only under that
    /// shard's lock.
    pub(crate) registry_key: UnsafeCell<usize>,
}

/// The type-specific operations, one static table per `(F, S)`.
pub(crate) struct Vtable {
    /// Runs a queue entry (rule 2); consumes the entry's reference.
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Drops a queue entry at shutdown: the future is dropped, never polled.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// Completes an idle task the caller cancelled in place (rule 5).
    pub(crate) cancel_in_place: unsafe fn(NonNull<Header>),
    /// Hands a queue entry to the task's scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output out for the `Task` handle: writes
    /// `Some(Result<T, TaskError>)` to the `*mut Option<Result<T, TaskError>>`.
    pub(crate) read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops an output nobody retrieved, reporting a panic if it was one.
    pub(crate) drop_output: unsafe fn(NonNull<Header>),
    /// Hands callbacks to the task's scheduler (rule 8).
    pub(crate) spawn_callbacks: unsafe fn(NonNull<Header>, Box<dyn FnOnce() + Send>),
    /// Offset of the `Trailer` from the header.
    pub(crate) trailer_offset: usize,
}
