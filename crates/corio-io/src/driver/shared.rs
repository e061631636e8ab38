//! [`DriverShared`]: the clock, timer wheel, reactor and `call_soon` queue
//! that the driver and every [`IoHandle`](super::IoHandle) share.

use std::sync::Arc;

use super::timer_state::TimerState;
use crate::loom::{AtomicU64, Mutex, Ordering};
use crate::reactor::Reactor;
use crate::time::call_soon::CallSoonQueue;
use crate::time::clock::Clock;

/// What the driver and every handle share.
pub(crate) struct DriverShared {
    pub(crate) clock: Clock,
    pub(crate) timers: Mutex<TimerState>,
    /// The wheel's `elapsed` tick, published under the `timers` lock after
    /// every poll of the wheel; `u64::MAX` after shutdown (`time/entry.rs`,
    /// rule 4).
    pub(crate) timers_elapsed: AtomicU64,
    pub(crate) reactor: Reactor,
    pub(crate) call_soon: Arc<CallSoonQueue>,
    /// The runtime's SIGCHLD list of children (`process/mod.rs`, rule 1),
    /// made on first use. Type-erased: the driver stores it without
    /// depending on `process/`, which depends on the driver.
    #[cfg(not(corio_loom))]
    pub(crate) sigchld: Mutex<Option<Arc<dyn std::any::Any + Send + Sync>>>,
}

impl DriverShared {
    /// `time/entry.rs`, rule 4: every timer of a tick `<=` this one has
    /// fired.
    #[inline]
    pub(crate) fn timers_elapsed(&self) -> u64 {
        self.timers_elapsed.load(Ordering::SeqCst)
    }

    /// Rule 4: publishes the wheel's tick (call with the lock held, after
    /// polling the wheel).
    pub(crate) fn publish_elapsed(&self, state: &TimerState) {
        let tick = if state.shut_down { u64::MAX } else { state.wheel.elapsed() };
        // A swap, not a store: the same here, and what loom orders right.
        self.timers_elapsed.swap(tick, Ordering::SeqCst);
    }
}
