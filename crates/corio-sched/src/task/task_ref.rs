//! `TaskRef`: a cloneable, type-erased reference to a task.

use std::fmt;

use super::TaskId;
use super::raw::RawTask;
use super::state::{CANCEL_OUTCOME, COMPLETE, PANICKED};

/// A shareable reference to a task, whatever its output type — what
/// `current_task()`, `all_tasks()` and done callbacks give you. Holding one
/// keeps the task's memory, not the task, alive; dropping it cancels nothing.
pub struct TaskRef {
    raw: RawTask,
}

impl TaskRef {
    /// Takes over one reference the caller made for it.
    pub(crate) fn from_raw(raw: RawTask) -> TaskRef {
        TaskRef { raw }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.raw.header().id
    }

    /// The task's name: the one given, or `Task-N`.
    pub fn name(&self) -> String {
        self.raw.name()
    }

    /// `true` once the task has finished.
    pub fn done(&self) -> bool {
        self.raw.header().state.load().has(COMPLETE)
    }

    /// `true` if the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.raw.header().state.load().has(CANCEL_OUTCOME)
    }

    /// `true` if the task ended by panicking.
    pub fn panicked(&self) -> bool {
        self.raw.header().state.load().has(PANICKED)
    }

    /// Requests cancellation, as [`Task::cancel`](crate::Task::cancel).
    /// `false` if the task had finished, and always for the task of a
    /// `block_on`/`run` main future, which cannot be cancelled.
    pub fn cancel(&self) -> bool {
        self.raw.cancel(None)
    }

    /// [`cancel`](TaskRef::cancel) with a message.
    pub fn cancel_with(&self, msg: impl Into<String>) -> bool {
        self.raw.cancel(Some(msg.into()))
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> TaskRef {
        self.raw.ref_inc();
        TaskRef { raw: self.raw }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        self.raw.ref_dec();
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &TaskRef) -> bool {
        self.raw == other.raw
    }
}

impl Eq for TaskRef {}

impl std::hash::Hash for TaskRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("done", &self.done())
            .finish()
    }
}
