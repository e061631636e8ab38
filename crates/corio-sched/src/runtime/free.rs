//! The free functions that find the current runtime: `run`,
//! `create_task`/`spawn`, `current_task`, `all_tasks`, `to_thread`.

use std::future::Future;

use crate::context;
use crate::task::{Task, TaskRef};

use super::handle::Handle;
use super::runtime::Runtime;

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
/// threads are started. Scheduler by this crate's `run` and the facade's.
#[doc(hidden)]
#[track_caller]
pub fn forbid_run_inside_runtime() {
    if crate::sched::thread::is_entered() {
        panic!(
            "corio::run called from inside a running corio runtime; \
             asyncio.run() cannot be called from a running event loop either — await the future instead"
        );
    }
}
