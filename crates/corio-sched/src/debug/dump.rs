//! The task dump: every live task with its state, and in debug mode its
//! age, polls, busy time and spawner (asyncio's `python -m asyncio pstree`).

use std::fmt;
use std::time::{Duration, Instant};

use crate::loom::Arc;
use crate::sched::Scheduler;
use crate::task::state::{RUNNING, SCHEDULED};
use crate::task::{RawTask, TaskId};

/// The state a dump shows for a task.
fn state_name(raw: RawTask) -> &'static str {
    let state = raw.header().state.load();
    // A `block_on` main future is RUNNING for its whole life.
    if state.has(RUNNING) {
        "running"
    } else if state.has(SCHEDULED) {
        "scheduled"
    } else {
        "idle"
    }
}

struct DumpEntry {
    id: TaskId,
    name: String,
    state: &'static str,
    /// Debug mode only.
    extra: Option<DumpExtra>,
}

/// The debug-mode columns of a dump line.
struct DumpExtra {
    age: Duration,
    polls: u64,
    busy: Duration,
    spawner: Option<(TaskId, String)>,
}

/// Every live task of a runtime at one moment, from
/// [`Handle::dump`](crate::Handle::dump) — like asyncio's
/// `python -m asyncio ps`. `Display` prints one line per task, ordered by id:
///
/// ```text
/// id=7 name="worker-1" state=idle
/// ```
///
/// and in debug mode also `age=… polls=… busy=… spawner=<id|-> spawner_name="…"`
/// (durations in `Debug` form, e.g. `1.5ms`). Names are quoted with Rust's
/// string escapes.
pub struct TaskDump {
    entries: Vec<DumpEntry>,
}

impl TaskDump {
    pub(crate) fn take(shared: &Arc<Scheduler>) -> TaskDump {
        let now = Instant::now();
        let mut entries: Vec<DumpEntry> = shared
            .all_tasks()
            .into_iter()
            .map(|task| {
                let raw = task.raw();
                let extra = raw.trailer().cold().and_then(|c| {
                    c.debug.as_ref().map(|d| DumpExtra {
                        age: now.saturating_duration_since(d.spawned_at),
                        polls: d.polls,
                        busy: d.busy,
                        spawner: d.spawner.clone(),
                    })
                });
                DumpEntry { id: task.id(), name: task.name(), state: state_name(raw), extra }
            })
            .collect();
        entries.sort_by_key(|e| e.id);
        TaskDump { entries }
    }

    /// Number of tasks in the dump.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` if no task was alive.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            write!(f, "id={} name={:?} state={}", e.id, e.name, e.state)?;
            if let Some(x) = &e.extra {
                write!(f, " age={:.1?} polls={} busy={:.1?}", x.age, x.polls, x.busy)?;
                match &x.spawner {
                    Some((id, name)) => write!(f, " spawner={id} spawner_name={name:?}")?,
                    None => write!(f, " spawner=-")?,
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskDump").field("tasks", &self.entries.len()).finish_non_exhaustive()
    }
}
