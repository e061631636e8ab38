//! `wait`: wait for a set of tasks until a condition holds, and hand them
//! back split into done and pending — asyncio's `asyncio.wait`.
//!
//! Like every combinator here it re-polls only the tasks that woke it
//! (`ready.rs`), and it never takes a task's output: the caller reads it
//! from the returned tasks with `Task::result` or by awaiting them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::Task;
use crate::ready::ReadySet;

/// The timeout's clock (made at the first poll, on the runtime's timer).
type Timer = Pin<Box<crate::time::Sleep>>;

fn timer(d: Duration) -> Timer {
    Box::pin(crate::time::sleep(d))
}

/// When [`wait`] returns — asyncio's `return_when`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReturnWhen {
    /// When every task is done (`ALL_COMPLETED`).
    AllCompleted,
    /// When at least one task is done; every task done by then is in the
    /// done list (`FIRST_COMPLETED`).
    FirstCompleted,
    /// When a task panicked (a cancelled task does not count), else when
    /// every task is done (`FIRST_EXCEPTION`).
    FirstException,
}

/// The future of [`wait`]: resolves to `(done, pending)`, each in input
/// order.
///
/// Dropping an unfinished `Wait` *detaches* its tasks: cancelling the caller
/// of `wait` does not cancel the children (asyncio).
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    tasks: Vec<Task<T>>,
    done: Vec<bool>,
    ready: ReadySet,
    remaining: usize,
    when: ReturnWhen,
    timeout: Option<Duration>,
    timer: Option<Timer>,
    finished: bool,
}

/// Waits for `tasks` until `when` holds, and returns them as
/// `(done, pending)` — asyncio's `done, pending = await asyncio.wait(tasks)`.
/// Nothing is cancelled: not on return, not on [`timeout`](Wait::timeout),
/// not when the `Wait` is dropped. An empty input returns two empty `Vec`s
/// at once.
///
/// ```
/// use corio::ReturnWhen;
///
/// corio::run(async {
///     let fast = corio::create_task(async { 1 });
///     let slow = corio::create_task(std::future::pending::<i32>());
///     let (done, pending) = corio::wait([fast, slow], ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(pending.len(), 1);
///     // `pending` holds the slow task; dropping it cancels it.
/// });
/// ```
pub fn wait<T>(tasks: impl IntoIterator<Item = Task<T>>, when: ReturnWhen) -> Wait<T> {
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    let n = tasks.len();
    Wait {
        tasks,
        done: vec![false; n],
        ready: ReadySet::new(n),
        remaining: n,
        when,
        timeout: None,
        timer: None,
        finished: false,
    }
}

impl<T> Wait<T> {
    /// Returns after at most `d` with whatever is done by then — asyncio's
    /// `timeout=`. The timeout cancels nothing. Measured from the first
    /// poll.
    pub fn timeout(mut self, d: Duration) -> Wait<T> {
        self.timeout = Some(d);
        self
    }

    /// Polls the tasks that woke us; `true` once `when` holds.
    fn poll_tasks(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.remaining > 0 {
            let i = std::task::ready!(self.ready.poll_woken(cx, |mut child| {
                let i = child.index();
                if self.done[i] {
                    return Poll::Pending;
                }
                child.poll(|cx| self.tasks[i].poll_done(cx)).map(|()| i)
            }));
            self.done[i] = true;
            self.remaining -= 1;
            match self.when {
                ReturnWhen::FirstCompleted => return Poll::Ready(()),
                ReturnWhen::FirstException if self.tasks[i].task_ref().panicked() => return Poll::Ready(()),
                _ => {}
            }
        }
        Poll::Ready(())
    }

    /// Splits the tasks into done (everything done by now) and pending.
    fn split(&mut self) -> (Vec<Task<T>>, Vec<Task<T>>) {
        self.finished = true;
        self.timer = None;
        std::mem::take(&mut self.tasks).into_iter().partition(|t| t.done())
    }
}

impl<T> Future for Wait<T> {
    type Output = (Vec<Task<T>>, Vec<Task<T>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.finished, "Wait polled after completion");
        if this.poll_tasks(cx).is_ready() {
            return Poll::Ready(this.split());
        }
        if let Some(d) = this.timeout.take() {
            this.timer = Some(timer(d));
        }
        if let Some(timer) = this.timer.as_mut()
            && timer.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(this.split());
        }
        Poll::Pending
    }
}

impl<T> Drop for Wait<T> {
    fn drop(&mut self) {
        for task in self.tasks.drain(..) {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.tasks.len())
            .field("remaining", &self.remaining)
            .field("when", &self.when)
            .field("timeout", &self.timeout)
            .finish()
    }
}
