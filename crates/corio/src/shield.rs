//! `shield`: await a task without letting the awaiter's cancellation reach
//! it — asyncio's `asyncio.shield`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Task, TaskError, TaskRef};

/// The future of [`shield`]. Dropping it (the awaiting task was cancelled, a
/// `wait_for` around it timed out, …) leaves the inner task running to
/// completion, detached. Cancelling the inner task itself makes the shield
/// resolve to `Err(TaskError::Cancelled)`.
#[must_use = "futures do nothing unless awaited; dropping a Shield leaves the task running"]
pub struct Shield<T> {
    task: Option<Task<T>>,
}

/// Awaits `task` but protects it from the awaiter's cancellation —
/// asyncio's `await asyncio.shield(task)`.
///
/// ```
/// corio::run(async {
///     let task = corio::create_task(async { "saved" });
///     let probe = task.task_ref();
///     // The awaiter gives up at once (the shield is dropped)...
///     drop(corio::shield(task));
///     // ...but the task runs to its end anyway.
///     while !probe.done() {
///         corio::yield_now().await;
///     }
///     assert!(!probe.cancelled());
/// });
/// ```
pub fn shield<T>(task: Task<T>) -> Shield<T> {
    Shield { task: Some(task) }
}

impl<T> Shield<T> {
    /// A reference to the inner task (to cancel it for real, for example).
    pub fn task_ref(&self) -> Option<TaskRef> {
        self.task.as_ref().map(Task::task_ref)
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self.task.as_mut().expect("Shield polled after completion");
        let res = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(res)
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
