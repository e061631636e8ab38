//! `call_soon`, `call_later`, `call_at` and the handle that cancels them.

use std::fmt;
use std::time::{Duration, Instant};

use crate::driver::IoHandle;
use crate::loom::Arc;
use crate::time::entry::{CallbackState, Notify, TimerShared};

/// A scheduled callback (asyncio's `Handle`/`TimerHandle`). Dropping it
/// does **not** cancel the callback.
#[derive(Clone)]
pub struct CallbackHandle {
    state: Arc<CallbackState>,
    timer: Option<(IoHandle, Arc<TimerShared>)>,
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle").field("cancelled", &self.cancelled()).finish()
    }
}

impl CallbackHandle {
    pub(crate) fn new(state: Arc<CallbackState>, timer: Option<(IoHandle, Arc<TimerShared>)>) -> CallbackHandle {
        CallbackHandle { state, timer }
    }

    /// Cancels the callback: `true` if it had not run (it never will now),
    /// `false` if it already ran or was cancelled before.
    pub fn cancel(&self) -> bool {
        let cancelled = self.state.cancel();
        if cancelled && let Some((handle, timer)) = &self.timer {
            // Frees the wheel entry early; the state above already
            // guarantees the callback will not run.
            handle.cancel_timer(timer);
        }
        cancelled
    }

    /// `true` if [`cancel`](CallbackHandle::cancel) succeeded.
    pub fn cancelled(&self) -> bool {
        self.state.is_cancelled()
    }
}

impl IoHandle {
    /// `call_soon` from a thread that may be outside the runtime.
    pub fn call_soon_on(&self, sched: &corio_sched::Handle, f: Box<dyn FnOnce() + Send>) -> crate::CallbackHandle {
        let state = CallbackState::new();
        self.inner.call_soon.push((state.clone(), f), Some(sched));
        CallbackHandle::new(state, None)
    }
}

/// Runs `f` soon on the runtime, after every callback scheduled before it
/// (asyncio's `loop.call_soon`; FIFO). A panic in `f` is printed and
/// swallowed, as asyncio logs exceptions in callbacks.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn call_soon(f: impl FnOnce() + Send + 'static) -> CallbackHandle {
    let handle = IoHandle::current();
    let state = CallbackState::new();
    handle.call_soon(state.clone(), Box::new(f));
    CallbackHandle::new(state, None)
}

/// Runs `f` on the runtime once `d` has passed (asyncio's
/// `loop.call_later`). Callbacks due at the same time run in the order
/// they were scheduled.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn call_later(d: Duration, f: impl FnOnce() + Send + 'static) -> CallbackHandle {
    let handle = IoHandle::current();
    let when = handle.now().checked_add(d).unwrap_or_else(crate::time::clock::far_future);
    schedule_at(handle, when, Box::new(f))
}

/// Runs `f` on the runtime at `when` (asyncio's `loop.call_at`).
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn call_at(when: Instant, f: impl FnOnce() + Send + 'static) -> CallbackHandle {
    schedule_at(IoHandle::current(), when, Box::new(f))
}

fn schedule_at(handle: IoHandle, when: Instant, f: Box<dyn FnOnce() + Send>) -> CallbackHandle {
    let state = CallbackState::new();
    let timer = TimerShared::new(Notify::Callback(state.clone(), f));
    handle.reset_timer(&timer, Some(when));
    CallbackHandle::new(state, Some((handle, timer)))
}
