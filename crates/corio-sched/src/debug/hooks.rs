//! Debug mode's per-task and per-poll hooks, and its reports.

use std::time::{Duration, Instant};

use crate::loom::Ordering;
use crate::metrics::WorkerMetrics;
use crate::task::debug_info::TaskDebug;
use crate::task::state::{COMPLETE, ROOT};
use crate::task::{Notified, RawTask, TaskRef};

/// The threshold debug mode uses when only `CORIO_DEBUG=1` turned it on.
pub(crate) const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// The threshold from the environment: `Some(100 ms)` if `CORIO_DEBUG` is
/// set to anything but empty or `0`.
pub(crate) fn threshold_from_env() -> Option<Duration> {
    match std::env::var_os("CORIO_DEBUG") {
        Some(v) if !v.is_empty() && v != "0" => Some(DEFAULT_SLOW_POLL),
        _ => None,
    }
}

/// Debug mode: records who spawns `raw` and when.
#[cold]
pub(crate) fn on_spawn(raw: RawTask) {
    let spawner = crate::context::current_task().map(|s| (s.header().id, s.name()));
    raw.trailer().cold_mut().debug =
        Some(Box::new(TaskDebug { spawned_at: Instant::now(), spawner, polls: 0, busy: Duration::ZERO }));
}

/// Runs one queue entry on a worker: the hook the run loop calls for every
/// poll. Counts the poll; in debug mode (or with `tracing`) takes the
/// observed path.
#[inline(always)]
pub(crate) fn run(m: &WorkerMetrics, task: Notified) {
    WorkerMetrics::bump(&m.polls);
    if let Some(threshold) = m.slow_poll {
        return run_observed(m, task, threshold);
    }
    #[cfg(feature = "tracing")]
    return run_traced(task);
    #[cfg(not(feature = "tracing"))]
    task.run();
}

/// Polls inside the task's `task` span (made at spawn, see `trace_spawn`),
/// if a subscriber wanted it.
#[cfg(feature = "tracing")]
fn run_traced(task: Notified) {
    let raw = task.raw();
    // Cloned out so the cold lock is not held while the task runs.
    let span = raw.trailer().cold().and_then(|c| c.span.clone());
    match span {
        Some(span) => {
            let _entered = span.enter();
            task.run();
        }
        None => task.run(),
    }
}

/// The debug-mode poll: timed, attributed, reported when slow.
#[cold]
#[inline(never)]
fn run_observed(m: &WorkerMetrics, task: Notified, threshold: Duration) {
    let raw = task.raw();
    // Keep the cell alive past the poll, which may complete and free it.
    raw.ref_inc();
    let id = raw.header().id;
    // ORDERING: Relaxed: single writer (metrics rule 1); the watchdog only
    // uses the number to find the task in the registry.
    m.current.store(id.as_u64(), Ordering::Relaxed);
    let start = Instant::now();
    #[cfg(feature = "tracing")]
    run_traced(task);
    #[cfg(not(feature = "tracing"))]
    task.run();
    let took = start.elapsed();
    // ORDERING: Relaxed: as above.
    m.current.store(0, Ordering::Relaxed);
    if let Some(mut cold) = raw.trailer().cold()
        && let Some(d) = cold.debug.as_mut()
    {
        d.polls += 1;
        d.busy += took;
    }
    if took >= threshold {
        report(&format!(
            "corio: slow poll: task '{}' (id {}) took {:.1?} in one poll (threshold {:?})",
            raw.name(),
            id,
            took,
            threshold
        ));
    }
    raw.ref_dec();
}

/// A debug-mode report: a WARN event with `tracing`, else a line on stderr.
#[cold]
pub(crate) fn report(msg: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "corio", "{msg}");
    #[cfg(not(feature = "tracing"))]
    eprintln!("{msg}");
}

/// Debug mode, at shutdown: names the tasks that are about to be cancelled
/// while pending (asyncio's "Task was destroyed but it is pending!").
#[cold]
pub(crate) fn report_pending(tasks: &[TaskRef]) {
    for task in tasks {
        let state = task.raw().header().state.load();
        if state.has(ROOT) || state.has(COMPLETE) {
            continue;
        }
        report(&format!("corio: Task was destroyed but it is pending! task '{}' (id {})", task.name(), task.id()));
    }
}

/// `tracing` events for the end of a task (DEBUG level); closes the task's
/// span.
#[cfg(feature = "tracing")]
pub(crate) fn trace_complete(raw: RawTask, outcome: usize) {
    use crate::task::state::{CANCEL_OUTCOME, PANICKED};
    let span = raw.trailer().cold().and_then(|mut c| c.span.take());
    let _entered = span.as_ref().map(|s| s.enter());
    let id = raw.header().id.as_u64();
    if !tracing::enabled!(target: "corio::task", tracing::Level::DEBUG) {
        return;
    }
    let name = raw.name();
    if outcome & PANICKED != 0 {
        tracing::debug!(target: "corio::task", id, name = name.as_str(), "task panicked");
    } else if outcome & CANCEL_OUTCOME != 0 {
        tracing::debug!(target: "corio::task", id, name = name.as_str(), "task cancelled");
    } else {
        tracing::debug!(target: "corio::task", id, name = name.as_str(), "task completed");
    }
}

/// `tracing` at spawn: the task's span and a DEBUG event.
///
/// The span, named `task`, lives as long as the task and is entered around
/// every poll (as tokio's task span is). Besides `id` and `name` it carries
/// the fields tokio's task span has (`kind`, `task.id`, `task.name`), which
/// `console-subscriber` reads. It is kept in the task's cold part only when a
/// subscriber enabled it.
#[cfg(feature = "tracing")]
pub(crate) fn trace_spawn(raw: RawTask) {
    let id = raw.header().id.as_u64();
    let span = tracing::span!(
        target: "corio::task",
        parent: None,
        tracing::Level::DEBUG,
        "task",
        id,
        name = tracing::field::Empty,
        kind = "task",
        task.id = id,
        task.name = tracing::field::Empty,
    );
    let enabled = !span.is_disabled();
    let wants_event = tracing::enabled!(target: "corio::task", tracing::Level::DEBUG);
    if !enabled && !wants_event {
        return;
    }
    let name = raw.name();
    if enabled {
        span.record("name", name.as_str());
        span.record("task.name", name.as_str());
    }
    if wants_event {
        tracing::debug!(target: "corio::task", parent: &span, id, name = name.as_str(), "task spawned");
    }
    if enabled {
        raw.trailer().cold_mut().span = Some(span);
    }
}
