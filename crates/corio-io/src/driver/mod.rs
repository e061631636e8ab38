//! The driver a runtime's idle worker blocks in: the reactor and the timer
//! wheel behind one `park`, plus the handle the rest of the crate finds
//! them through. This file holds the driver's protocol; each part lives in
//! its own file:
//!
//! - `shared.rs`: [`DriverShared`], what the driver and every handle share.
//! - `timer_state.rs`: the wheel and the parked thread's sleep record (rule 1).
//! - `fire.rs`: firing due timers and dispatching what they notify (rules 3, 5).
//! - `park.rs`: `park` in real time and the paused clock's auto-advance
//!   (rules 1, 3, 4).
//! - `handle.rs`: [`IoHandle`], how the crate finds its driver and files
//!   timers and callbacks with it.
//! - `io_driver.rs`: [`IoDriver`], what the scheduler calls (`park`,
//!   `unpark`, `shutdown`), and [`new_driver`].
//!
//! The `call_soon` queue (rule 7) is `time/call_soon.rs`; the
//! `catch_unwind` wrappers of rules 5 and 6 are `catch.rs`.
//!
//! # Rules
//!
//! 1. `park` computes its timeout from the wheel's next expiration and, in
//!    the same critical section, records `sleeping_until` (the tick it will
//!    sleep to). A timer inserted earlier than that, under the same lock,
//!    calls `mio::Waker::wake()` and clears the record: the parked thread
//!    (or its next `poll`) returns and recomputes. No timer is slept past.
//! 2. `unpark` is `mio::Waker::wake()`, which wakes the current wait or makes
//!    the next one return at once.
//! 3. After waiting, `park` dispatches I/O events, then fires every timer
//!    whose tick has come. Wakers run on the parking worker's thread, so
//!    the tasks land on that worker's own queue.
//! 4. Paused clock: `park(None)` first polls I/O without blocking; if
//!    nothing happened and the runtime is idle (`corio_sched::Handle::
//!    is_idle`: every worker parked, every `block_on` thread parked, no
//!    queued task, no blocking job), it moves the clock to the next timer
//!    and fires it. If the runtime is not idle it waits at most 1 ms of real
//!    time and returns, so the question is asked again.
//! 5. Foreign code the driver runs — wakers of fired timers and of I/O
//!    events — runs after every lock is released, each call behind
//!    `catch_unwind`: a panic is reported on stderr ("corio: a waker
//!    panicked: ...") and the rest of the timers and events are still
//!    dispatched, so `park` always returns normally.
//! 6. Each `call_soon` callback, each skipped (cancelled) callback's
//!    destructor, and each closure or waker dropped at shutdown runs
//!    behind its own `catch_unwind`: one panic loses none of the others.
//! 7. `call_soon` queue: a push sets `draining` and, if it was clear,
//!    starts one drain job; the job takes the queued batch, runs it, and
//!    under the lock either clears `draining` (queue empty) or starts the
//!    next job. So at most one drain job exists, and every callback pushed
//!    is run by one (loom: `call_soon_push_vs_drain_end_runs_every_callback_once`).

mod fire;
mod handle;
mod io_driver;
mod park;
mod shared;
mod timer_state;

pub use handle::IoHandle;
pub use io_driver::{IoDriver, new_driver};
pub(crate) use shared::DriverShared;
pub(crate) use timer_state::TimerState;
