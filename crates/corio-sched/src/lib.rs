//! corio's scheduler core: task cells, the work-stealing multi-thread
//! scheduler, and the blocking pool.
//!
//! Most users want the `corio` facade, which re-exports everything here
//! under asyncio's names and adds timers, I/O and combinators. This crate
//! knows nothing of I/O: an event source plugs in through [`Driver`].
//!
//! ```
//! let total = corio_sched::run(async {
//!     let tasks: Vec<_> = (0..1000u64).map(|i| corio_sched::create_task(async move { i * 2 })).collect();
//!     let mut sum = 0;
//!     for t in tasks {
//!         sum += t.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(total, 999_000);
//! ```
//!
//! Where things are: `task/` (the cell, its state protocol, `Task`,
//! `TaskRef`), `sched/` (workers, the LIFO slot, the idle protocol,
//! parking), `blocking/` (the blocking pool, `to_thread`, `ThreadPool`),
//! `runtime/` (`Runtime`, `Builder`, `Handle`, the free functions),
//! `block_on.rs`, `fault.rs` (the boundary around user code), `coop.rs` (the
//! cooperative budget), `loom.rs` (the loom shim).

mod block_on;
mod blocking;
mod context;
pub mod coop;
mod debug;
mod extension;
mod fault;
mod loom;
mod metrics;
mod runtime;
mod sched;
pub mod task;
mod yield_now;

pub use blocking::ThreadPool;
pub use debug::{TaskDump, WatchdogHook};
pub use extension::Extension;
pub use metrics::RuntimeMetrics;
pub use runtime::{
    Builder, Handle, Runtime, all_tasks, create_task, current_task, forbid_run_inside_runtime, run, spawn, to_thread,
};
pub use sched::park::Driver;
pub use task::{CallbackId, PanicPayload, Task, TaskError, TaskId, TaskRef};
pub use yield_now::yield_now;

#[cfg(all(test, corio_loom))]
mod loom_models;

fn _assert_auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<Task<u32>>();
    unpin::<Task<u32>>();
    send_sync::<TaskRef>();
    send_sync::<TaskError>();
}
