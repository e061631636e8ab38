//! corio-sched's `Handle`: a cloneable reference to a runtime, usable from
//! any thread.

use std::fmt;
use std::future::Future;

use crate::extension::Extension;
use crate::loom::Arc;
use crate::sched::Scheduler;
use crate::task::{Task, TaskRef};

/// corio-sched's handle: a cloneable reference to a scheduler-only
/// [`Runtime`](crate::Runtime), usable from any thread (the facade's
/// `corio::Handle` wraps it).
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Scheduler>,
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
        crate::sched::thread::handle().map(|shared| Handle { shared })
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Scheduler::spawn(&self.shared, future, None)
    }

    pub(crate) fn spawn_named<F>(&self, future: F, name: Option<Box<str>>) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Scheduler::spawn(&self.shared, future, name)
    }

    /// Runs `f` on the blocking pool; the task resolves to its result.
    pub fn spawn_blocking<F, R>(&self, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::spawn_blocking(|wait| self.spawn(wait), &self.shared.blocking, f)
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
