//! A user-owned thread pool: the blocking pool's machinery (`pool.rs`)
//! with its own threads and cap, for asyncio's
//! `loop.run_in_executor(ThreadPoolExecutor(n), f)`.
//!
//! The facade wraps it as `corio::ThreadPool`.

use std::time::Duration;

use super::BlockingPool;
use crate::Handle;
use crate::task::Task;

/// How long an idle pool thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A pool of at most `n` threads that run blocking closures, owned by the
/// user rather than by a runtime. Threads start on demand and serve one FIFO
/// queue. Dropping the pool stops new work; queued and running jobs finish;
/// the drop does not block.
pub struct ThreadPool {
    pool: BlockingPool,
    threads: usize,
}

impl ThreadPool {
    /// A pool of at most `threads` threads named `{name}-{i}`.
    ///
    /// # Panics
    ///
    /// If `threads` is 0.
    #[track_caller]
    pub fn new(threads: usize, name: impl Into<String>) -> ThreadPool {
        assert!(threads > 0, "a ThreadPool needs at least one thread, got 0");
        ThreadPool { pool: BlockingPool::new(threads, KEEP_ALIVE, name.into(), None), threads }
    }

    /// Runs `f` on the pool; the returned task, spawned on `handle`'s
    /// runtime, resolves to its result (a panic in `f` becomes
    /// `TaskError::Panicked`). Cancelling the task cannot stop `f`.
    pub fn spawn<F, R>(&self, handle: &Handle, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        super::spawn_blocking(|wait| handle.spawn(wait), &self.pool, f)
    }

    /// The most threads the pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.threads
    }

    /// Threads alive now.
    pub fn thread_count(&self) -> usize {
        self.pool.thread_count()
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.pool.shutdown();
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool").field("max_threads", &self.threads).finish()
    }
}
