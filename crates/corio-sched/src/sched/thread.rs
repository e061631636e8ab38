//! Which runtime this thread belongs to (what `Handle::current()` finds)
//! and, on a worker thread, which worker it is.
//!
//! The worker is kept as an untyped pointer: `worker.rs` owns its type and
//! casts it back (`with_worker`), so this file needs nothing from it.

use std::cell::{Cell, RefCell};
use std::ptr;

use super::Scheduler;
use crate::loom::{Arc, thread_local};

struct RuntimeThread {
    /// The `WorkerContext` for the lifetime of a worker's run loop.
    worker: Cell<*const ()>,
    /// The runtime whose handle `Handle::current()` gives here.
    handle: RefCell<Option<Arc<Scheduler>>>,
    /// A runtime is being driven on this thread (a worker, or `block_on`).
    entered: Cell<bool>,
}

// loom's `thread_local!` has no `const` form, and this must compile under both.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static THREAD: RuntimeThread = RuntimeThread {
        worker: Cell::new(ptr::null()),
        handle: RefCell::new(None),
        entered: Cell::new(false),
    };
}

/// This thread's worker (`worker.rs` casts it back), or null.
#[inline]
pub(crate) fn worker_ptr() -> *const () {
    THREAD.try_with(|c| c.worker.get()).unwrap_or(ptr::null())
}

/// The handle of the runtime this thread belongs to.
pub(crate) fn handle() -> Option<Arc<Scheduler>> {
    THREAD.try_with(|c| c.handle.borrow().clone()).ok().flatten()
}

/// Undoes `enter_*` when dropped.
pub(crate) struct EnterGuard {
    prev_handle: Option<Arc<Scheduler>>,
    prev_entered: bool,
    prev_worker: *const (),
}

/// Enters a runtime on this thread: as a worker (`worker` non-null), as a
/// `block_on` caller (`entered`), or only as its home (blocking threads).
pub(crate) fn enter(shared: Arc<Scheduler>, entered: bool, worker: *const ()) -> EnterGuard {
    THREAD.with(|c| EnterGuard {
        prev_handle: c.handle.replace(Some(shared)),
        prev_entered: c.entered.replace(entered),
        prev_worker: c.worker.replace(worker),
    })
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = THREAD.try_with(|c| {
            c.worker.set(self.prev_worker);
            c.entered.set(self.prev_entered);
            *c.handle.borrow_mut() = self.prev_handle.take();
        });
    }
}

/// `true` if a runtime is being driven on this thread.
pub(crate) fn is_entered() -> bool {
    THREAD.try_with(|c| c.entered.get()).unwrap_or(false)
}

/// Stops treating this thread as a worker (at shutdown, so that wakes from
/// destructors take the remote path).
pub(crate) fn leave_worker() {
    let _ = THREAD.try_with(|c| c.worker.set(ptr::null()));
}
