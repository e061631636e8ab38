//! Debug mode's per-task extras (`debug/`), kept in the task's cold part.

use std::time::{Duration, Instant};

use super::id::TaskId;

/// The per-task extras of debug mode, in the task's cold part.
#[derive(Debug)]
pub(crate) struct TaskDebug {
    pub(crate) spawned_at: Instant,
    pub(crate) spawner: Option<(TaskId, String)>,
    pub(crate) polls: u64,
    pub(crate) busy: Duration,
}
