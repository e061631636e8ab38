//! [`DriverShared`]: the clock, timer wheel, reactor and `call_soon` queue
//! that the driver and every [`IoHandle`](super::IoHandle) share.

use std::sync::Arc;

use super::timer_state::TimerState;
use crate::loom::Mutex;
use crate::reactor::Reactor;
use crate::time::call_soon::CallSoonQueue;
use crate::time::clock::Clock;

/// What the driver and every handle share.
pub(crate) struct DriverShared {
    pub(crate) clock: Clock,
    pub(crate) timers: Mutex<TimerState>,
    pub(crate) reactor: Reactor,
    pub(crate) call_soon: Arc<CallSoonQueue>,
    /// The runtime's SIGCHLD list of children (`process/mod.rs`, rule 1),
    /// made on first use. Type-erased: the driver stores it without
    /// depending on `process/`, which depends on the driver.
    #[cfg(not(corio_loom))]
    pub(crate) sigchld: Mutex<Option<Arc<dyn std::any::Any + Send + Sync>>>,
}
