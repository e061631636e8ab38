//! [`IoHandle`]: how the crate finds the runtime's driver, reads its clock
//! and files timers and callbacks with it.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use super::DriverShared;
use crate::time::entry::{CallbackState, Insert, TimerShared};

/// A handle to a runtime's I/O and time driver. The facade stores one in
/// the scheduler's extension slot; the crate finds it with
/// [`IoHandle::current`].
#[derive(Clone)]
pub struct IoHandle {
    pub(crate) inner: Arc<DriverShared>,
}

impl fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoHandle").field("paused", &self.inner.clock.is_paused()).finish()
    }
}

impl IoHandle {
    /// The driver of the runtime this thread runs in.
    ///
    /// # Panics
    ///
    /// Outside a runtime ("no running corio runtime"), or in a runtime built
    /// without corio-io's driver.
    #[track_caller]
    pub fn current() -> IoHandle {
        match IoHandle::try_current() {
            Some(h) => h,
            None if corio_sched::Handle::try_current().is_some() => {
                panic!("no running corio runtime with an I/O and time driver: build it with corio::Builder")
            }
            None => panic!("no running corio runtime: call this inside corio::run / Runtime::block_on or a task"),
        }
    }

    /// The driver of the runtime this thread runs in, if any.
    pub fn try_current() -> Option<IoHandle> {
        let sched = corio_sched::Handle::try_current()?;
        IoHandle::from_sched(&sched)
    }

    /// The driver a scheduler handle carries, if any.
    pub fn from_sched(sched: &corio_sched::Handle) -> Option<IoHandle> {
        sched.extension()?.downcast_ref::<IoHandle>().cloned()
    }

    /// The driver's current time.
    pub fn now(&self) -> Instant {
        self.inner.clock.now()
    }

    /// I/O sources registered with the reactor now (for the facade's
    /// `RuntimeMetrics::io_sources`).
    pub fn io_sources(&self) -> usize {
        self.inner.reactor.sources()
    }

    /// Timers armed and not yet fired (for `RuntimeMetrics::timers_pending`).
    pub fn timers_pending(&self) -> usize {
        self.inner.timers.lock().wheel.len()
    }

    /// `true` if this driver's clock is paused (virtual time).
    pub fn is_paused(&self) -> bool {
        self.inner.clock.is_paused()
    }

    /// Rule 1: files `timer` for `deadline` (or takes it out for `None`).
    /// `false` if it had fired already.
    pub(crate) fn reset_timer(&self, timer: &crate::loom::Arc<TimerShared>, deadline: Option<Instant>) -> bool {
        // A deadline already reached fires now: tick 0 is always behind the
        // wheel, which refuses it. (Rounding it up to the next tick instead
        // would give a `wait_for(ZERO)` future up to 1 ms more.)
        let tick = deadline.map(|d| if d <= self.now() { 0 } else { self.inner.clock.deadline_tick(d) });
        let (outcome, notify_driver) = self.inner.timers.lock().file(timer, tick);
        if notify_driver {
            self.inner.reactor.notify();
        }
        match outcome {
            Insert::Pending => true,
            Insert::Fired(notify) => {
                self.inner.run_notify(notify, None);
                true
            }
            Insert::AlreadyFired => false,
        }
    }

    /// Takes `timer` out of the wheel if it is pending.
    pub(crate) fn cancel_timer(&self, timer: &crate::loom::Arc<TimerShared>) -> bool {
        let mut state = self.inner.timers.lock();
        TimerShared::cancel(timer, &mut state.wheel)
    }

    /// Fires every timer whose tick has come (rule 3).
    pub(crate) fn process_timers(&self) -> usize {
        self.inner.process_timers()
    }

    /// Queues `f` to run soon on the runtime, after every callback queued
    /// before it (asyncio's `call_soon` FIFO).
    pub(crate) fn call_soon(&self, state: crate::loom::Arc<CallbackState>, f: Box<dyn FnOnce() + Send>) {
        self.inner.call_soon.push((state, f), None);
    }
}
