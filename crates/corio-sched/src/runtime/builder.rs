//! corio-sched's `Builder`: the settings of a scheduler-only runtime, and
//! starting its worker threads.

use std::fmt;
use std::io;
use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::blocking::BlockingPool;
use crate::extension::Extension;
use crate::loom::{Arc, Condvar, Mutex, Worker, thread};
use crate::sched::{self, Config, Scheduler, SharedDriver};
use crate::task::Notified;

use super::runtime::Runtime;

/// corio-sched's builder: settings for a scheduler-only [`Runtime`] (no I/O
/// or timers unless a [`Driver`](crate::Driver) is plugged in; the facade's
/// `corio::Builder` does that).
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

    /// Fixes the bytes of freed task cells each worker keeps for its next
    /// spawns (0 turns the cache off). A burst of short tasks then reuses the
    /// memory of the last one instead of asking the allocator, and the
    /// kernel, for it again. A cell is reused only for a task of the same
    /// size; a worker parked for a second gives everything back.
    ///
    /// Without this call the cap starts at 16 MiB and follows the bursts
    /// that outgrow it, up to 1 GiB: a cell freed into a full cache raises
    /// it, and is kept, as long as the burst since the worker last parked
    /// allocated that much the cache did not have. Each time the worker
    /// parks with nothing left to run, the cache is trimmed towards the most
    /// cells that burst had out at once (never below 16 MiB), at most 1,024
    /// cells and 1 MiB per park, so smaller bursts after a large one bring it
    /// back down; it drops to nothing when the worker gives its cells back. See
    /// `docs/architecture.md` (`task/cache.rs`).
    pub fn task_cell_cache(mut self, bytes: usize) -> Builder {
        self.config.cell_cache = bytes;
        self.config.cell_cache_ceiling = bytes;
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
        let shared = Arc::new(Scheduler::new(stealers, driver, blocking, self.config, self.extension));
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

impl Runtime {
    /// A runtime with one worker per available core.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] for custom settings.
    pub fn builder() -> Builder {
        Builder::new()
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
            .field("task_cell_cache", &self.config.cell_cache)
            .field("task_cell_cache_ceiling", &self.config.cell_cache_ceiling)
            .finish()
    }
}

/// The runtime's blocking threads must know their runtime (so that
/// `Handle::current()` works in `to_thread` closures), but the pool is made
/// before the runtime: they find it through this late-bound weak cell.
type Home = StdArc<std::sync::OnceLock<std::sync::Weak<Scheduler>>>;
type OnStart = Option<crate::blocking::OnStart>;

#[cfg(not(corio_loom))]
fn blocking_home() -> (Home, OnStart) {
    let home: Home = StdArc::default();
    let cell = home.clone();
    // Upgraded when the thread is spawned (the runtime is alive: a job was
    // just submitted), entered when it starts.
    let on_start: crate::blocking::OnStart = Arc::new(move || {
        let shared = cell.get().and_then(|w| w.upgrade());
        Box::new(move || -> Box<dyn std::any::Any> {
            match shared {
                Some(shared) => Box::new(crate::sched::thread::enter(shared, false, std::ptr::null())),
                None => Box::new(()),
            }
        })
    });
    (home, Some(on_start))
}

#[cfg(not(corio_loom))]
fn set_blocking_home(home: &Home, shared: &Arc<Scheduler>) {
    let _ = home.set(Arc::downgrade(shared));
}

// loom's `Arc` has no `Weak`; the models do not need a handle on blocking
// threads.
#[cfg(corio_loom)]
fn blocking_home() -> (Home, OnStart) {
    (StdArc::default(), None)
}

#[cfg(corio_loom)]
fn set_blocking_home(_home: &Home, _shared: &Arc<Scheduler>) {}

/// Counts a worker out when its thread ends (even by panic).
struct ExitSignal(Arc<(Mutex<usize>, Condvar)>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        let (count, cv) = &*self.0;
        *count.lock() -= 1;
        cv.notify_all();
    }
}
