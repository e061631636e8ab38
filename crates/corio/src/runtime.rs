//! `Runtime`, `Builder`, `Handle` and `run`: the event loop, as asyncio's
//! `asyncio.run` and `loop.run_until_complete` know it.
//!
//! These wrap corio-sched's scheduler and plug the facade's drivers into it;
//! the scheduler itself knows nothing of I/O or time.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use crate::Task;

/// The runtime with corio's I/O and time driver plugged in: the facade's
/// multi-threaded event loop, a [`corio_sched::Runtime`] whose idle workers
/// wait in corio-io's reactor and timer wheel. Worker threads run tasks; a
/// blocking pool runs [`to_thread`](crate::to_thread). `Send + Sync`.
///
/// Workers run spawned tasks whether or not anyone is inside
/// [`block_on`](Runtime::block_on). Dropping the runtime (or
/// [`shutdown_timeout`](Runtime::shutdown_timeout)) cancels every task still
/// alive and drops its future: destructors run, nothing leaks. Several
/// runtimes may exist in one process, each on its own threads.
///
/// ```
/// let rt = corio::Runtime::new().unwrap();
/// let task = rt.spawn(async { 40 + 2 });
/// assert_eq!(rt.block_on(task).unwrap(), 42);
/// ```
pub struct Runtime {
    inner: corio_sched::Runtime,
    _sigquit: Option<crate::observe::SigQuit>,
}

impl Runtime {
    /// A runtime with one worker per available core.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] for custom settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on this thread while the workers run
    /// tasks — asyncio's `loop.run_until_complete`. The future counts as a
    /// task: `current_task()` inside it gives its `TaskRef`, and it appears
    /// in `all_tasks()`.
    ///
    /// # Panics
    ///
    /// When called on a thread that already drives a corio runtime (inside a
    /// task, or inside another `block_on`).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> Handle {
        Handle { inner: self.inner.handle() }
    }

    /// Shuts down like dropping the runtime does, but waits at most `limit`
    /// for workers stuck in a long poll — asyncio's `loop.close`.
    pub fn shutdown_timeout(self, limit: Duration) {
        self.inner.shutdown_timeout(limit);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Builds the runtime with corio's I/O and time driver plugged in (a
/// facade [`Runtime`]), with custom settings; wraps a
/// [`corio_sched::Builder`], which builds a scheduler-only runtime. Takes
/// and returns `self` by value.
///
/// ```
/// let rt = corio::Builder::new().worker_threads(2).thread_name("app").build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    inner: corio_sched::Builder,
    start_paused: bool,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// Default settings: one worker per available core, at most 512
    /// blocking threads kept alive 10 s.
    pub fn new() -> Builder {
        Builder { inner: corio_sched::Builder::new(), start_paused: false }
    }

    /// Number of worker threads; `n >= 1`, else `build` returns an error.
    pub fn worker_threads(self, n: usize) -> Builder {
        Builder { inner: self.inner.worker_threads(n), ..self }
    }

    /// Name prefix of the runtime's threads.
    pub fn thread_name(self, name: impl Into<String>) -> Builder {
        Builder { inner: self.inner.thread_name(name), ..self }
    }

    /// Most threads the blocking pool may run at once (default 512).
    pub fn max_blocking_threads(self, n: usize) -> Builder {
        Builder { inner: self.inner.max_blocking_threads(n), ..self }
    }

    /// How long an idle blocking thread waits for work before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(self, d: Duration) -> Builder {
        Builder { inner: self.inner.blocking_keep_alive(d), ..self }
    }

    /// Virtual time: the clock stands still and jumps to the next timer
    /// when every task is idle, so a test that sleeps an hour finishes in
    /// microseconds; [`time::advance`](crate::time::advance) moves it by
    /// hand.
    pub fn start_paused(self, paused: bool) -> Builder {
        Builder { start_paused: paused, ..self }
    }

    /// Debug mode (asyncio's `slow_callback_duration` and debug mode): a
    /// poll longer than `d` is reported with the task's id, name and
    /// duration; a worker stuck in one poll longer than `d` is reported
    /// while it is still stuck; shutting down with pending tasks names them;
    /// [`Handle::dump`] adds each task's age, polls, busy time and spawner,
    /// and SIGQUIT prints the dump to stderr. Without this call,
    /// `CORIO_DEBUG=1` in the environment turns debug mode on with 100 ms.
    /// See `docs/observability.md`.
    pub fn slow_poll_threshold(self, d: Duration) -> Builder {
        Builder { inner: self.inner.slow_poll_threshold(d), ..self }
    }

    /// Fixes the bytes of freed task cells each worker keeps for its next
    /// spawns (0 turns the cache off; by default the cap starts at 16 MiB,
    /// grows with bursts that outgrow it, up to 1 GiB, and comes back down
    /// after smaller ones); see
    /// [`corio_sched::Builder::task_cell_cache`]. asyncio has no equivalent:
    /// CPython's allocator keeps freed objects in its own pools.
    pub fn task_cell_cache(self, bytes: usize) -> Builder {
        Builder { inner: self.inner.task_cell_cache(bytes), ..self }
    }

    /// Starts the runtime's threads, with corio-io's I/O and time driver
    /// plugged into the scheduler.
    pub fn build(self) -> io::Result<Runtime> {
        let (driver, io) = corio_io::new_driver(self.start_paused)?;
        let mut inner = self.inner.driver(Box::new(driver)).extension(std::sync::Arc::new(io));
        let sigquit = if inner.is_debug() { crate::observe::SigQuit::install() } else { None };
        if let Some(sigquit) = &sigquit {
            inner = inner.watchdog_hook(sigquit.hook());
        }
        let inner = inner.build()?;
        Ok(Runtime { inner, _sigquit: sigquit })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder").field("sched", &self.inner).field("start_paused", &self.start_paused).finish()
    }
}

/// A handle to the runtime with corio's I/O and time driver plugged in (a
/// facade [`Runtime`]): cloneable, usable from any thread, `Send + Sync`. It
/// wraps the scheduler-only [`corio_sched::Handle`] of the same runtime.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: corio_sched::Handle,
}

impl Handle {
    /// The runtime this thread runs in.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with "no running corio runtime".
    #[track_caller]
    pub fn current() -> Handle {
        Handle { inner: corio_sched::Handle::current() }
    }

    /// The runtime this thread runs in, if any.
    pub fn try_current() -> Option<Handle> {
        corio_sched::Handle::try_current().map(|inner| Handle { inner })
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// A snapshot of the runtime's counters and gauges — see
    /// [`RuntimeMetrics`](crate::RuntimeMetrics). Cheap: no task is visited.
    ///
    /// ```
    /// let rt = corio::Runtime::builder().worker_threads(1).build().unwrap();
    /// let m = rt.handle().metrics();
    /// assert_eq!((m.workers(), m.live_tasks(), m.spawned_total()), (1, 0, 0));
    /// ```
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        let m = self.inner.metrics();
        match corio_io::IoHandle::from_sched(&self.inner) {
            Some(io) => m.with_driver_counts(io.io_sources(), io.timers_pending()),
            None => m,
        }
    }

    /// Every live task of the runtime — id, name, state
    /// (`idle`/`scheduled`/`running`), and in debug mode also age, polls,
    /// busy time and spawner; `Display` prints one line per task.
    pub fn dump(&self) -> crate::TaskDump {
        self.inner.dump()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Runs `main` on a new default runtime, then shuts the runtime down —
/// asyncio's `asyncio.run`. Tasks still alive at the end are cancelled and
/// their futures dropped.
///
/// ```
/// let total = corio::run(async {
///     let tasks: Vec<_> = (0..10u64).map(|i| corio::create_task(async move { i * 2 })).collect();
///     let mut sum = 0;
///     for t in tasks {
///         sum += t.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(total, 90);
/// ```
///
/// # Panics
///
/// Inside a running corio runtime (asyncio raises `RuntimeError`), or if the
/// runtime's threads cannot be started.
pub fn run<F: Future>(main: F) -> F::Output {
    corio_sched::forbid_run_inside_runtime();
    let rt = Runtime::new().unwrap_or_else(|e| panic!("corio::run: cannot start the runtime: {e}"));
    rt.block_on(main)
}
