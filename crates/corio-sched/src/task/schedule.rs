//! The seam between a task and whoever runs it.

use super::raw::{Notified, RawTask};

/// What a task needs from the scheduler that runs it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Queue a task woken by a waker or newly spawned.
    fn schedule(&self, task: Notified);

    /// Queue a task that was woken during its own poll, or that yielded with
    /// its own waker (`context::yield_task`): at the back.
    fn yield_now(&self, task: Notified);

    /// Remove a completed task from the registry. Returns `true` if it was
    /// registered, handing the registry's reference to the caller.
    fn release(&self, task: &RawTask) -> bool;

    /// Run done callbacks on the runtime, never on the caller's stack.
    fn spawn_callbacks(&self, job: Box<dyn FnOnce() + Send>);
}
