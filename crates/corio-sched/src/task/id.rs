//! Task and callback identifiers.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// A task's identity, unique within the process. Displays as its number, the
/// `N` of the default name `Task-N`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

// Ids are not part of any synchronisation protocol, so they use std's atomic
// even under loom (a loom atomic in a static would need a model around it).
static NEXT_TASK_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_CALLBACK_ID: AtomicU64 = AtomicU64::new(1);

impl TaskId {
    pub(crate) fn next() -> TaskId {
        // ORDERING: Relaxed: only uniqueness matters, which any order gives.
        let id = NEXT_TASK_ID.fetch_add(1, Ordering::Relaxed);
        TaskId(NonZeroU64::new(id).expect("task ids exhausted"))
    }

    /// The number of this id.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Names a done callback so it can be removed again
/// ([`Task::remove_done_callback`](crate::Task::remove_done_callback)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CallbackId(pub(crate) u64);

impl CallbackId {
    pub(crate) fn next() -> CallbackId {
        // ORDERING: Relaxed: only uniqueness matters.
        CallbackId(NEXT_CALLBACK_ID.fetch_add(1, Ordering::Relaxed))
    }
}
