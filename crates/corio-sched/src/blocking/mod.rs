//! Blocking work off the workers: the pool of threads (`pool.rs`, rules
//! there), `to_thread`/`spawn_blocking` tasks on top of it (`task.rs`), and
//! the user-owned `ThreadPool` built on the same machinery
//! (`thread_pool.rs`).

mod pool;
mod task;
mod thread_pool;

pub(crate) use pool::{BlockingPool, OnStart};
pub(crate) use task::spawn_blocking;
pub use thread_pool::ThreadPool;
