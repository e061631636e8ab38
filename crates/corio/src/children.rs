//! The children of `gather` and `as_completed`: their tasks, the ready set
//! that says which woke (`ready.rs`), and how many are left.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ready::ReadySet;
use crate::{Task, TaskError};

/// The children and the completion queue, shared by [`Gather`] and
/// [`GatherSettled`].
pub(crate) struct Children<T> {
    tasks: Vec<Option<Task<T>>>,
    ready: ReadySet,
    pub(crate) remaining: usize,
    /// The first poll yielded (see `poll_next`).
    yielded: bool,
}

impl<T> Children<T> {
    #[track_caller]
    pub(crate) fn spawn<I, F>(futs: I) -> Children<T>
    where
        I: IntoIterator<Item = F>,
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let handle = corio_sched::Handle::current();
        let tasks: Vec<Option<Task<T>>> = futs.into_iter().map(|f| Some(handle.spawn(f))).collect();
        let n = tasks.len();
        Children { tasks, ready: ReadySet::new(n), remaining: n, yielded: false }
    }

    /// Children that are running already (`as_completed`): no first yield.
    pub(crate) fn from_tasks(tasks: impl IntoIterator<Item = Task<T>>) -> Children<T> {
        let tasks: Vec<Option<Task<T>>> = tasks.into_iter().map(Some).collect();
        let n = tasks.len();
        Children { tasks, ready: ReadySet::new(n), remaining: n, yielded: true }
    }

    /// No children (what a taken-apart gather leaves behind).
    pub(crate) fn empty() -> Children<T> {
        Children { tasks: Vec::new(), ready: ReadySet::new(0), remaining: 0, yielded: false }
    }

    /// How many children there were to begin with.
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Polls the children that woke us; `Ready((i, result))` for the next
    /// one that finished, `Ready` of `None` once all have.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, Result<T, TaskError>)>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        if !self.yielded {
            // The children were spawned just now and are queued to run: yield
            // once (a task woken during its own poll is queued behind them),
            // so the first poll finds the quick ones finished instead of
            // registering a waker with each and being woken by each.
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let (i, res) = std::task::ready!(self.ready.poll_woken(cx, |mut child| {
            let i = child.index();
            let Some(task) = self.tasks[i].as_mut() else { return Poll::Pending };
            if task.done() {
                // Finished: its output is there without a waker, and the
                // set need not make its slot (`ready.rs`, "Memory"). The
                // poll can only be `Pending` if the coop budget ran out
                // (`poll_woken` hands a child out only with budget left);
                // then the child's own waker below queues it again.
                let mut noop = Context::from_waker(std::task::Waker::noop());
                if let Poll::Ready(res) = Pin::new(&mut *task).poll(&mut noop) {
                    return Poll::Ready((i, res));
                }
            }
            child.poll(|cx| Pin::new(task).poll(cx)).map(|res| (i, res))
        }));
        self.tasks[i] = None;
        self.remaining -= 1;
        Poll::Ready(Some((i, res)))
    }

    /// Lets the unfinished children run on without us (asyncio's gather).
    pub(crate) fn detach_rest(&mut self) {
        for task in self.tasks.drain(..).flatten() {
            task.detach();
        }
    }

    /// Cancels the unfinished children (`cancel_on_error`).
    pub(crate) fn cancel_rest(&mut self) {
        for task in self.tasks.drain(..).flatten() {
            task.cancel();
        }
    }
}
