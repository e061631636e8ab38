//! `as_completed`: the results of a set of tasks in the order they finish —
//! asyncio's `asyncio.as_completed`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::children::Children;
use crate::{Task, TaskError};

/// Yields the results of its tasks in completion order: call
/// [`next`](AsCompleted::next), or use it as a `futures_core::Stream`.
///
/// It owns the tasks: dropping it cancels the ones whose result was not yet
/// yielded (so `break`ing out of the loop stops the rest; asyncio would
/// leave them running — call [`Task::detach`] on tasks you want to outlive
/// it and pass clones of their work instead).
#[must_use = "streams do nothing unless polled; dropping AsCompleted cancels its tasks"]
pub struct AsCompleted<T> {
    children: Children<T>,
}

/// Yields the tasks' results in the order they finish — asyncio's
/// `for fut in asyncio.as_completed(tasks): result = await fut`.
///
/// ```
/// corio::run(async {
///     let (tx, rx) = corio::sync::oneshot::channel::<()>();
///     let late = corio::create_task(async move { rx.await.unwrap(); "late" });
///     let early = corio::create_task(async { "early" });
///     let mut results = corio::as_completed([late, early]);
///     assert_eq!(results.next().await.unwrap().unwrap(), "early");
///     tx.send(()).unwrap();
///     assert_eq!(results.next().await.unwrap().unwrap(), "late");
///     assert!(results.next().await.is_none());
/// });
/// ```
pub fn as_completed<T>(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
    AsCompleted { children: Children::from_tasks(tasks) }
}

impl<T> AsCompleted<T> {
    /// The next result in completion order; `None` once every task's result
    /// was yielded.
    pub async fn next(&mut self) -> Option<Result<T, TaskError>> {
        std::future::poll_fn(|cx| self.poll_next_result(cx)).await
    }

    /// Number of results still to come.
    pub fn remaining(&self) -> usize {
        self.children.remaining
    }

    fn poll_next_result(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, TaskError>>> {
        self.children.poll_next(cx).map(|next| next.map(|(_, res)| res))
    }
}

impl<T> futures_core::Stream for AsCompleted<T> {
    type Item = Result<T, TaskError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_result(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.children.remaining, Some(self.children.remaining))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("tasks", &self.children.len())
            .field("remaining", &self.children.remaining)
            .finish()
    }
}
