//! Time: sleeping, deadlines, intervals and scheduled callbacks, on the
//! runtime's clock (virtual when the runtime was built with
//! `start_paused(true)`).
//!
//! Timers live in a hierarchical wheel (`wheel.rs`) with 1 ms ticks; the
//! driver's `park` sleeps until the next one. A timer never fires before its
//! deadline, and timers with equal deadlines fire in creation order.

pub(crate) mod call_soon;
pub(crate) mod callback;
pub(crate) mod clock;
pub(crate) mod entry;
mod interval;
mod sleep;
mod timeout;
#[doc(hidden)]
pub mod wheel;

use std::time::Duration;

pub use callback::{CallbackHandle, call_at, call_later, call_soon};
pub use interval::{Interval, interval};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Instant;
pub use timeout::{Timeout, TimeoutError, TimeoutHandle, WaitFor, timeout, timeout_at, timeout_with, wait_for};

use crate::driver::IoHandle;

/// The runtime's current time: virtual when the clock is paused, else
/// `Instant::now()` (also outside any runtime).
pub fn now() -> Instant {
    IoHandle::try_current().map_or_else(Instant::now, |h| h.now())
}

/// Moves a paused clock forward by `d`, fires the timers that came due, and
/// yields once so the tasks they woke get to run.
///
/// # Panics
///
/// Outside a runtime, or when the runtime's clock is not paused.
pub async fn advance(d: Duration) {
    let handle = IoHandle::current();
    assert!(
        handle.is_paused(),
        "corio::time::advance: the clock is not paused (build the runtime with Builder::start_paused(true))"
    );
    handle.inner.clock.advance(d);
    handle.process_timers();
    corio_sched::yield_now().await;
}
