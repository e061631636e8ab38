//! `ThreadPool` and `run_in_executor`: blocking work on threads the user
//! owns — asyncio's `loop.run_in_executor(ThreadPoolExecutor(n), f)`. (For
//! the runtime's own blocking pool, use [`to_thread`](crate::to_thread),
//! asyncio's `run_in_executor(None, f)`.)

use std::fmt;

use crate::Task;

/// A user-owned pool of at most `n` threads for blocking closures —
/// asyncio's `concurrent.futures.ThreadPoolExecutor(max_workers=n)`.
///
/// Threads start on demand and serve one FIFO queue. Dropping the pool
/// stops new work; queued and running jobs finish; the drop does not block.
///
/// ```
/// let pool = corio::ThreadPool::new(2);
/// let sum = corio::run(async {
///     let tasks: Vec<_> = (1..=4u64).map(|i| corio::run_in_executor(&pool, move || i * 10)).collect();
///     corio::gather(tasks).await.unwrap().into_iter().map(|r| r.unwrap()).sum::<u64>()
/// });
/// assert_eq!(sum, 100);
/// ```
pub struct ThreadPool {
    inner: corio_sched::ThreadPool,
}

impl ThreadPool {
    /// A pool of at most `n` threads.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    #[track_caller]
    pub fn new(n: usize) -> ThreadPool {
        assert!(n > 0, "ThreadPool::new(0): a thread pool needs at least one thread");
        ThreadPool { inner: corio_sched::ThreadPool::new(n, "corio-pool") }
    }

    /// The most threads the pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.inner.max_threads()
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Runs the blocking `f` on `pool`; the returned task resolves to its
/// result — asyncio's `await loop.run_in_executor(pool, f)`. A panic in `f`
/// ends the task with `TaskError::Panicked`. Cancelling the task cannot stop
/// the thread: `f` runs to its end and its result is dropped.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn run_in_executor<F, R>(pool: &ThreadPool, f: F) -> Task<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    pool.inner.spawn(&corio_sched::Handle::current(), f)
}
