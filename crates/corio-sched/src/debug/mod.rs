//! Debug mode (asyncio's `PYTHONASYNCIODEBUG`), the task dump and the
//! `tracing` hooks (API.md §13).
//!
//! Debug mode is on when the builder got a slow-poll threshold or the
//! environment has `CORIO_DEBUG=1` (threshold 100 ms). Then, and only then:
//!
//! - every poll on a worker is timed (two clock reads) and a poll longer than
//!   the threshold is reported with the task's id, name and duration;
//! - the worker publishes the id of the task it polls, and a watchdog thread
//!   reports a worker whose poll counter has not moved for longer than the
//!   threshold while it is not parked — while it is still stuck, once per
//!   incident;
//! - each task carries `TaskDebug` in its cold part (spawn time, polls,
//!   busy time, spawner), shown by the dump;
//! - a runtime shut down with tasks still pending names them.
//!
//! Reports go to stderr, or with the `tracing` feature to WARN events.
//!
//! `hooks.rs` holds what runs per task and per poll (it knows no
//! scheduler); `dump.rs` the task dump and `watchdog.rs` the blocked-worker
//! watchdog, which read the scheduler.

mod dump;
mod hooks;
mod watchdog;

pub use dump::TaskDump;
pub(crate) use hooks::{on_spawn, report_pending, run, threshold_from_env};
#[cfg(feature = "tracing")]
pub(crate) use hooks::{trace_complete, trace_spawn};
pub use watchdog::WatchdogHook;
#[cfg(not(corio_loom))]
pub(crate) use watchdog::start_watchdog;
