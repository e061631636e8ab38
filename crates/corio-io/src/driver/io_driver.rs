//! [`IoDriver`], what the scheduler calls — `park`, `unpark`, `shutdown` —
//! and [`new_driver`], which makes it with its handle.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::{DriverShared, IoHandle, TimerState};
use crate::catch::drop_caught;
use crate::loom::{AtomicU64, Mutex};
use crate::reactor::Reactor;
use crate::time::call_soon::CallSoonQueue;
use crate::time::clock::Clock;
use crate::time::entry::{Notify, TimerSlot};

/// The driver: implements [`corio_sched::Driver`].
pub struct IoDriver {
    inner: Arc<DriverShared>,
}

impl fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoDriver").finish_non_exhaustive()
    }
}

/// Makes a driver and its handle. `paused`: virtual time (see
/// `docs/io.md`).
pub fn new_driver(paused: bool) -> io::Result<(IoDriver, IoHandle)> {
    let inner = Arc::new(DriverShared {
        clock: Clock::new(paused),
        timers: Mutex::new(TimerState::new()),
        timers_elapsed: AtomicU64::new(0),
        reactor: Reactor::new()?,
        call_soon: Arc::new(CallSoonQueue::new()),
        #[cfg(not(corio_loom))]
        sigchld: Mutex::new(None),
    });
    Ok((IoDriver { inner: inner.clone() }, IoHandle { inner }))
}

impl corio_sched::Driver for IoDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.inner.park(timeout);
    }

    fn unpark(&self) {
        self.inner.reactor.notify();
    }

    /// Every task is cancelled: pending timers and `call_soon` callbacks
    /// will never run. Their closures may hold `Handle`s, `TaskRef`s or
    /// sockets of this runtime — a cycle through the driver that would leak
    /// the whole runtime — so they are dropped now, outside the locks, and
    /// sockets still open learn that the driver is gone.
    fn shutdown(&self) {
        let timers = {
            let mut state = self.inner.timers.lock();
            state.shut_down = true;
            self.inner.publish_elapsed(&state);
            state.wheel.drain()
        };
        // Marks each timer fired (so a late `cancel` finds nothing to do) and
        // takes its waker or closure out, to drop after the lock.
        let notifies: Vec<Notify> = timers.into_iter().map(TimerSlot::fire).collect();
        let callbacks = self.inner.call_soon.take_all();
        // Rule 6: one panicking destructor must not skip the others nor
        // the reactor's shutdown below.
        notifies.into_iter().for_each(drop_caught);
        callbacks.into_iter().for_each(drop_caught);
        self.inner.reactor.shutdown();
    }
}

impl Drop for IoDriver {
    fn drop(&mut self) {
        self.inner.reactor.shutdown();
    }
}
