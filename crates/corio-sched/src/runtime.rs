//! `Runtime`, its `Builder` and `Handle`, and the free functions that find
//! the current runtime (`create_task`, `run`, `to_thread`, …).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::blocking::BlockingPool;
use crate::context;
use crate::loom::{Arc, AtomicBool, Condvar, Mutex, Ordering, Worker, thread};
use crate::sched::{self, Config, Parker, Shared, SharedDriver};
use crate::task::root::Root;
use crate::task::{Notified, Task, TaskRef};

/// A value a runtime carries for the layers above it (see
/// [`Builder::extension`]).
pub type Extension = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// let rt = corio_sched::Builder::new().worker_threads(2).thread_name("app").build().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    driver: Option<Box<dyn sched::park::Driver>>,
    extension: Option<Extension>,
    config: Config,
    slow_poll: Option<Duration>,
    watchdog_hook: Option<crate::debug::WatchdogHook>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// Default settings: one worker per available core, 512 blocking
    /// threads kept alive 10 s.
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "corio-worker".to_string(),
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            driver: None,
            extension: None,
            config: Config::default(),
            slow_poll: None,
            watchdog_hook: None,
        }
    }

    /// Number of worker threads (`n >= 1`; `build` fails otherwise).
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = Some(n);
        self
    }

    /// Name prefix of the runtime's threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Most threads the blocking pool (`to_thread`) may run at once.
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before it exits.
    pub fn blocking_keep_alive(mut self, d: Duration) -> Builder {
        self.blocking_keep_alive = d;
        self
    }

    /// Plugs in the driver idle workers block in (the I/O and time driver).
    pub fn driver(mut self, driver: Box<dyn sched::park::Driver>) -> Builder {
        self.driver = Some(driver);
        self
    }

    /// Attaches a value the runtime's handles carry (the facade keeps its
    /// I/O and time driver handle here); see [`Handle::extension`].
    pub fn extension(mut self, ext: Extension) -> Builder {
        self.extension = Some(ext);
        self
    }

    /// Turns debug mode on with this slow-poll threshold — asyncio's
    /// `slow_callback_duration`. A poll that takes longer is reported with
    /// the task's id, name and duration; a worker stuck in one poll longer is
    /// reported while it is still stuck. Without this call, `CORIO_DEBUG=1`
    /// in the environment turns debug mode on with 100 ms. A zero duration
    /// counts as 1 µs.
    pub fn slow_poll_threshold(mut self, d: Duration) -> Builder {
        self.slow_poll = Some(d.max(Duration::from_micros(1)));
        self
    }

    /// Called on every tick of the debug-mode watchdog (the facade answers
    /// SIGQUIT with it).
    #[doc(hidden)]
    pub fn watchdog_hook(mut self, hook: crate::debug::WatchdogHook) -> Builder {
        self.watchdog_hook = Some(hook);
        self
    }

    /// `true` if the runtime this builder makes runs in debug mode (a
    /// threshold was set, or `CORIO_DEBUG=1`).
    #[doc(hidden)]
    pub fn is_debug(&self) -> bool {
        self.slow_poll.or_else(crate::debug::threshold_from_env).is_some()
    }

    /// Every `n` ticks a worker takes from the global queue first (default 61).
    #[doc(hidden)]
    pub fn global_queue_interval(mut self, n: u32) -> Builder {
        self.config.global_queue_interval = n.max(1);
        self
    }

    /// Starts the worker threads.
    pub fn build(mut self) -> io::Result<Runtime> {
        self.config.slow_poll = self.slow_poll.or_else(crate::debug::threshold_from_env);
        let workers = self.worker_threads.unwrap_or_else(num_cpus::get);
        if workers == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "worker_threads must be at least 1, got 0"));
        }
        if self.max_blocking_threads == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "max_blocking_threads must be at least 1, got 0"));
        }
        let locals: Vec<Worker<Notified>> = (0..workers).map(|_| Worker::new_fifo()).collect();
        let stealers = locals.iter().map(|w| w.stealer()).collect();
        let (home, on_start) = blocking_home();
        let blocking = BlockingPool::new(
            self.max_blocking_threads,
            self.blocking_keep_alive,
            format!("{}-blocking", self.thread_name),
            on_start,
        );
        let driver = self.driver.map(SharedDriver::new);
        let shared = Arc::new(Shared::new(stealers, driver, blocking, self.config, self.extension));
        set_blocking_home(&home, &shared);
        let alive = Arc::new((Mutex::new(workers), Condvar::new()));
        for (index, local) in locals.into_iter().enumerate() {
            let shared = shared.clone();
            let alive = alive.clone();
            thread::Builder::new().name(format!("{}-{index}", self.thread_name)).spawn(move || {
                let _exit = ExitSignal(alive);
                sched::run_worker(shared, index, local);
            })?;
        }
        #[cfg(not(corio_loom))]
        if let Some(threshold) = shared.config.slow_poll {
            crate::debug::start_watchdog(&shared, threshold, self.watchdog_hook);
        }
        Ok(Runtime { shared, alive, shut_down: Mutex::new(false) })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("blocking_keep_alive", &self.blocking_keep_alive)
            .field("driver", &self.driver.is_some())
            .field("slow_poll_threshold", &self.slow_poll)
            .finish()
    }
}

/// The runtime's blocking threads must know their runtime (so that
/// `Handle::current()` works in `to_thread` closures), but the pool is made
/// before the runtime: they find it through this late-bound weak cell.
type Home = StdArc<std::sync::OnceLock<std::sync::Weak<Shared>>>;
type OnStart = Option<Arc<dyn Fn() -> Box<dyn std::any::Any> + Send + Sync>>;

#[cfg(not(corio_loom))]
fn blocking_home() -> (Home, OnStart) {
    let home: Home = StdArc::default();
    let cell = home.clone();
    let on_start = Arc::new(move || -> Box<dyn std::any::Any> {
        match cell.get().and_then(|w| w.upgrade()) {
            Some(shared) => Box::new(context::enter(shared, false, std::ptr::null())),
            None => Box::new(()),
        }
    });
    (home, Some(on_start))
}

#[cfg(not(corio_loom))]
fn set_blocking_home(home: &Home, shared: &Arc<Shared>) {
    let _ = home.set(Arc::downgrade(shared));
}

// loom's `Arc` has no `Weak`; the models do not need a handle on blocking
// threads.
#[cfg(corio_loom)]
fn blocking_home() -> (Home, OnStart) {
    (StdArc::default(), None)
}

#[cfg(corio_loom)]
fn set_blocking_home(_home: &Home, _shared: &Arc<Shared>) {}

/// Counts a worker out when its thread ends (even by panic).
struct ExitSignal(Arc<(Mutex<usize>, Condvar)>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        let (count, cv) = &*self.0;
        *count.lock() -= 1;
        cv.notify_all();
    }
}

/// A multi-threaded event loop: worker threads that run tasks, and a
/// blocking pool. `Send + Sync`.
///
/// Workers run spawned tasks whether or not anyone is inside
/// [`block_on`](Runtime::block_on). Dropping the runtime (or
/// [`shutdown_timeout`](Runtime::shutdown_timeout)) cancels every task still
/// alive and drops its future, so destructors run and nothing leaks.
pub struct Runtime {
    shared: Arc<Shared>,
    alive: Arc<(Mutex<usize>, Condvar)>,
    shut_down: Mutex<bool>,
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
    /// task: `current_task()` inside it gives its `TaskRef`.
    ///
    /// # Panics
    ///
    /// When called on a thread that already drives a corio runtime (inside a
    /// task, or inside another `block_on`): that would block a worker.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if context::is_entered() {
            panic!(
                "corio: block_on/run called from inside a running corio runtime; \
                 a runtime cannot be driven from within one of its tasks (asyncio raises \
                 RuntimeError here too) — await the future instead"
            );
        }
        let _enter = context::enter(self.shared.clone(), true, std::ptr::null());
        let root = Root::new(self.shared.clone(), |raw| self.shared.registry.insert(raw));
        let parker = StdArc::new(ThreadWaker {
            parker: Parker::new(),
            idle: AtomicBool::new(false),
            shared: self.shared.clone(),
        });
        let _busy = RootBusy::enter(&self.shared);
        let waker = Waker::from(parker.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            let polled = {
                let _task = context::enter_task(root.raw());
                future.as_mut().poll(&mut cx)
            };
            if let Poll::Ready(out) = polled {
                return out;
            }
            parker.park();
        }
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, None)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> Handle {
        Handle { shared: self.shared.clone() }
    }

    /// Shuts down like dropping the runtime does, but waits at most `limit`
    /// for workers stuck in a long poll; such a worker's task is cancelled
    /// right after that poll returns — asyncio's `loop.close`.
    pub fn shutdown_timeout(self, limit: Duration) {
        self.shutdown(Some(limit));
    }

    fn shutdown(&self, limit: Option<Duration>) {
        {
            let mut done = self.shut_down.lock();
            if *done {
                return;
            }
            *done = true;
        }
        self.shared.begin_shutdown();
        // A runtime dropped on one of its own workers cannot wait for itself.
        let own_worker = context::with_worker(|w| w.is_some_and(|w| Arc::ptr_eq(w.shared(), &self.shared)));
        let limit = if own_worker { Some(Duration::ZERO) } else { limit };
        let deadline = limit.map(|l| Instant::now() + l);
        let (count, cv) = &*self.alive;
        let mut alive = count.lock();
        while *alive > 0 {
            alive = match deadline {
                None => cv.wait(alive),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
                    cv.wait_timeout(alive, left).0
                }
            };
        }
        drop(alive);
        self.shared.finish_shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("workers", &self.shared.workers()).finish()
    }
}

/// Wakes a thread blocked in `block_on`, and keeps the runtime's count of
/// busy `block_on` threads (`Shared::busy_roots`, read by
/// [`Handle::is_idle`]) exact: the thread leaves the count right before it
/// parks (`idle` set), and whoever clears `idle` — the waker, before it
/// unparks, or the thread itself after waking — puts it back, so a woken
/// thread counts as busy from the moment of the wake.
struct ThreadWaker {
    parker: Parker,
    idle: AtomicBool,
    shared: Arc<Shared>,
}

impl ThreadWaker {
    fn park(&self) {
        self.idle.store(true, Ordering::SeqCst);
        self.shared.busy_roots.fetch_sub(1, Ordering::SeqCst);
        self.parker.park(None);
        self.mark_busy();
    }

    fn mark_busy(&self) {
        if self.idle.swap(false, Ordering::SeqCst) {
            self.shared.busy_roots.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.mark_busy();
        self.parker.unpark(None);
    }
}

/// Counts a `block_on` thread as busy for the duration of the call.
struct RootBusy(Arc<Shared>);

impl RootBusy {
    fn enter(shared: &Arc<Shared>) -> RootBusy {
        shared.busy_roots.fetch_add(1, Ordering::SeqCst);
        RootBusy(shared.clone())
    }
}

impl Drop for RootBusy {
    fn drop(&mut self) {
        self.0.busy_roots.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A cloneable reference to a runtime, usable from any thread.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The runtime this thread runs in.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with "no running corio runtime".
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!("no running corio runtime: call this inside corio::run / Runtime::block_on or a task"),
        }
    }

    /// The runtime this thread runs in, if any.
    pub fn try_current() -> Option<Handle> {
        context::handle().map(|shared| Handle { shared })
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, None)
    }

    pub(crate) fn spawn_named<F>(&self, future: F, name: Option<Box<str>>) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, name)
    }

    /// Runs `f` on the blocking pool; the task resolves to its result.
    pub fn spawn_blocking<F, R>(&self, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking_task::spawn_blocking(self, &self.shared.blocking, f)
    }

    /// Runs `job` soon on this runtime, as its own small task; once the
    /// runtime is shutting down, on a short-lived helper thread instead, so
    /// the job is never lost and never runs on the caller's stack.
    #[doc(hidden)]
    pub fn run_job(&self, job: Box<dyn FnOnce() + Send>) {
        use crate::task::Schedule;
        self.shared.spawn_callbacks(job);
    }

    /// Unfinished tasks of this runtime.
    pub fn all_tasks(&self) -> Vec<TaskRef> {
        self.shared.all_tasks()
    }

    /// A snapshot of this runtime's counters and gauges (API.md §13); cheap
    /// to take: no task is visited. The I/O and timer gauges are zero here;
    /// the facade fills them in.
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        self.shared.metrics()
    }

    /// Every live task of this runtime: id, name, state, and in debug mode
    /// age, polls, busy time and spawner. `Display` prints one line per task.
    pub fn dump(&self) -> crate::TaskDump {
        crate::TaskDump::take(&self.shared)
    }

    /// Number of worker threads.
    pub fn worker_threads(&self) -> usize {
        self.shared.workers()
    }

    /// `true` when nothing in this runtime can make progress on its own:
    /// every worker is parked, no queue holds a task, no `block_on` thread
    /// is running or woken, and the blocking pool has no job queued or
    /// running. The hook a paused clock uses to auto-advance (a driver's
    /// `park(None)` on a worker thread asks it); wakes from threads outside
    /// the runtime are invisible to it.
    #[doc(hidden)]
    pub fn is_idle(&self) -> bool {
        self.shared.is_idle()
    }

    /// The value given to [`Builder::extension`], if any.
    pub fn extension(&self) -> Option<&Extension> {
        self.shared.extension.as_ref()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("workers", &self.shared.workers()).finish()
    }
}

/// Runs `main` on a new default runtime and shuts the runtime down after —
/// asyncio's `asyncio.run`. Tasks still alive at the end are cancelled and
/// their futures dropped.
///
/// ```
/// let total = corio_sched::run(async {
///     let tasks: Vec<_> = (0..10u64).map(|i| corio_sched::create_task(async move { i * 2 })).collect();
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
/// Inside a running corio runtime (asyncio raises `RuntimeError`), or if
/// the runtime's threads cannot be started.
pub fn run<F: Future>(main: F) -> F::Output {
    forbid_run_inside_runtime();
    let rt = Runtime::new().unwrap_or_else(|e| panic!("corio::run: cannot start the runtime: {e}"));
    rt.block_on(main)
}

/// Spawns `future` as a task on the current runtime — asyncio's
/// `create_task`. Keep the returned [`Task`]: dropping it cancels the task.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Handle::current().spawn(future)
}

/// Alias of [`create_task`].
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Handle::current().spawn(future)
}

/// The task running this code, if any (also the main future of
/// `run`/`block_on`).
pub fn current_task() -> Option<TaskRef> {
    context::current_task().map(|raw| {
        raw.ref_inc();
        TaskRef::from_raw(raw)
    })
}

/// Unfinished tasks of the current runtime — asyncio's `all_tasks`.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn all_tasks() -> Vec<TaskRef> {
    Handle::current().all_tasks()
}

/// Runs the blocking `f` on the runtime's blocking pool — asyncio's
/// `to_thread`. Cancelling the task cannot stop the thread: `f` runs to its
/// end and its result is dropped. A panic in `f` ends the task with
/// `TaskError::Panicked`.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn to_thread<F, R>(f: F) -> Task<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Handle::current().spawn_blocking(f)
}

/// Panics if this thread drives a corio runtime (a worker, or inside
/// `block_on`): `run` there would block it. Checked before a new runtime's
/// threads are started. Shared by this crate's `run` and the facade's.
#[doc(hidden)]
#[track_caller]
pub fn forbid_run_inside_runtime() {
    if context::is_entered() {
        panic!(
            "corio::run called from inside a running corio runtime; \
             asyncio.run() cannot be called from a running event loop either — await the future instead"
        );
    }
}
