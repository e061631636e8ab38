//! # corio — Python's asyncio, done right in Rust
//!
//! Tasks, gather, wait, timeouts, shield, queues, locks and streams under
//! asyncio's names, on a multi-threaded work-stealing runtime.
//!
//! ```
//! let total = corio::run(async {
//!     let tasks: Vec<_> = (0..1000u64).map(|i| corio::create_task(async move { i * 2 })).collect();
//!     let mut sum = 0;
//!     for t in tasks {
//!         sum += t.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(total, 999_000);
//! ```
//!
//! | asyncio | corio |
//! |---|---|
//! | `asyncio.run(main())` | [`corio::run(main())`](run) |
//! | `asyncio.create_task(coro)` | [`corio::create_task(fut)`](create_task) (alias [`spawn`]) |
//! | `await task` | `task.await` → `Result<T, TaskError>` |
//! | `task.cancel()` | [`Task::cancel`], or drop the `Task` |
//! | `asyncio.current_task()` / `all_tasks()` | [`current_task`] / [`all_tasks`] |
//! | `await asyncio.sleep(0)` | [`yield_now().await`](yield_now) |
//! | `await asyncio.to_thread(f)` | [`to_thread(f).await`](to_thread) |
//! | `loop.run_until_complete(f)` | [`Runtime::block_on`] |
//!
//! See `docs/asyncio.md` in the repository for the full table and for the
//! places where corio deliberately differs.

#[cfg(feature = "hyper")]
pub mod hyper;
pub mod net;
mod observe;
mod runtime;
pub mod signal;
pub mod streams;
pub mod subprocess;
pub mod sync;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;

// The asyncio layer: combinators, threadsafe calls, executors.
mod as_completed;
mod children;
mod executor;
mod gather;
mod ready;
mod shield;
mod task_group;
mod threadsafe;
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use executor::{ThreadPool, run_in_executor};
pub use gather::{Gather, GatherSettled, gather};
pub use shield::{Shield, shield};
pub use task_group::{GroupClosed, GroupError, GroupFailure, TaskGroup, TaskGroupHandle};
pub use threadsafe::ConcurrentFuture;
pub use wait::{ReturnWhen, Wait, wait};

/// Items `gather!` expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::gather::{GatherTuple, TupleChild, TupleChildren};
}

pub use runtime::{Builder, Handle, Runtime, run};
pub use streams::{open_connection, start_server};
pub use sync::create_future;
pub use time::{
    CallbackHandle, TimeoutError, call_at, call_later, call_soon, sleep, sleep_until, timeout, timeout_at,
    timeout_with, wait_for,
};

pub use corio_sched::{
    CallbackId, PanicPayload, RuntimeMetrics, Task, TaskDump, TaskError, TaskId, TaskRef, all_tasks, create_task,
    current_task, spawn, to_thread, yield_now,
};

/// Tasks: the handle, its errors, and spawning with a name.
pub mod task {
    pub use corio_sched::task::Builder;
    pub use corio_sched::{
        CallbackId, PanicPayload, Task, TaskError, TaskId, TaskRef, all_tasks, create_task, current_task, spawn,
        to_thread, yield_now,
    };
}
