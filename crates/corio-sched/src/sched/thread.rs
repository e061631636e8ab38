//! Which runtime this thread belongs to (what `Handle::current()` finds)
//! and, on a worker thread, which worker it is.
//!
//! The worker is kept as an untyped pointer: `worker.rs` owns its type and
//! casts it back (`with_worker`), so this file needs nothing from it.

use std::cell::{Cell, RefCell};
use std::ptr;

use super::Scheduler;
use crate::loom::{Arc, const_thread_local};

/// The plain part: no destructor, so reading the worker on every wake is one load.
struct RuntimeThread {
    /// The `WorkerContext` for the lifetime of a worker's run loop.
    worker: Cell<*const ()>,
    /// A runtime is being driven on this thread (a worker, or `block_on`).
    entered: Cell<bool>,
}

const_thread_local! {
    static THREAD: RuntimeThread = RuntimeThread { worker: Cell::new(ptr::null()), entered: Cell::new(false) };
}

const_thread_local! {
    /// The runtime whose handle `Handle::current()` gives here.
    static HANDLE: RefCell<Option<Arc<Scheduler>>> = RefCell::new(None);
}

/// This thread's worker (`worker.rs` casts it back), or null.
#[inline]
pub(crate) fn worker_ptr() -> *const () {
    THREAD.try_with(|c| c.worker.get()).unwrap_or(ptr::null())
}

/// The handle of the runtime this thread belongs to.
pub(crate) fn handle() -> Option<Arc<Scheduler>> {
    HANDLE.try_with(|h| h.borrow().clone()).ok().flatten()
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
    let prev_handle = HANDLE.with(|h| h.replace(Some(shared)));
    THREAD.with(|c| EnterGuard {
        prev_handle,
        prev_entered: c.entered.replace(entered),
        prev_worker: c.worker.replace(worker),
    })
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = THREAD.try_with(|c| {
            c.worker.set(self.prev_worker);
            c.entered.set(self.prev_entered);
        });
        let prev = self.prev_handle.take();
        // The handle we replace is dropped after the borrow ends: the last `Arc` of a runtime
        // may run its destructor, which must be free to look at this thread-local.
        let _ = HANDLE.try_with(|h| drop(h.replace(prev)));
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
