//! Time — asyncio's `sleep`, `wait_for`, `timeout`, `call_later` — on the
//! runtime's clock, which is virtual when the runtime was built with
//! [`Builder::start_paused(true)`](crate::Builder::start_paused).
//!
//! ```
//! use std::time::Duration;
//!
//! corio::run(async {
//!     corio::sleep(Duration::from_millis(1)).await;
//!     let slow = corio::sleep(Duration::from_secs(60));
//!     assert!(corio::wait_for(slow, Duration::from_millis(5)).await.is_err());
//! });
//! ```
//!
//! - A sleep never ends early; resolution is 1 ms. Timers with equal
//!   deadlines fire in creation order; `call_soon` callbacks run FIFO.
//! - On timeout the inner future is dropped (a `Task` is cancelled) before
//!   `TimeoutError` is returned; a value the inner future produced in the
//!   same instant as the deadline is returned, never lost. With
//!   `Duration::ZERO` an already-ready future still gives its value.

pub use corio_io::time::{
    CallbackHandle, Instant, Interval, Sleep, Timeout, TimeoutError, TimeoutHandle, WaitFor, advance, call_at,
    call_later, call_soon, interval, now, sleep, sleep_until, timeout, timeout_at, timeout_with, wait_for,
};
