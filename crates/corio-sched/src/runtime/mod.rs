//! corio-sched's `Runtime` — the scheduler without any I/O driver (the
//! facade's `corio::Runtime` wraps it and plugs one in) — its `Builder` and
//! `Handle`, and the free functions that find the current runtime.

mod builder;
mod free;
mod handle;
#[allow(clippy::module_inception)]
mod runtime;

pub use builder::Builder;
pub use free::{all_tasks, create_task, current_task, forbid_run_inside_runtime, run, spawn, to_thread};
pub use handle::Handle;
pub use runtime::Runtime;
