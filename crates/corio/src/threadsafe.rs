//! Calling into a runtime from threads outside it: `Handle::
//! run_coroutine_threadsafe` (with its `ConcurrentFuture`) and `Handle::
//! call_soon_threadsafe` — asyncio's functions of the same names.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use crate::time::CallbackHandle;

use crate::{Handle, Task, TaskError};

/// The result of [`Handle::run_coroutine_threadsafe`] — asyncio's
/// `concurrent.futures.Future`: a way for a thread outside the runtime to
/// wait for (or cancel) a task inside it. It is also a `Future` itself, so
/// async code may await it.
///
/// Like a [`Task`], **dropping it cancels the task**; call
/// [`detach`](ConcurrentFuture::detach) to let the task run on unobserved.
#[must_use = "dropping a ConcurrentFuture cancels its task; call .detach() to let it run"]
pub struct ConcurrentFuture<T> {
    task: Option<Task<T>>,
}

impl<T> ConcurrentFuture<T> {
    /// Blocks this thread until the task ends and returns its result.
    ///
    /// Do not call this on a thread of the same runtime: it blocks the
    /// thread (a worker, or a `block_on`) while the task needs the runtime.
    pub fn result(mut self) -> Result<T, TaskError> {
        self.block(None).expect("no deadline")
    }

    /// Blocks at most `d` for the result; `None` if the task is still
    /// running then. After a `Some`, the result has been taken: later calls
    /// give `Some(Err(TaskError::InvalidState))`.
    pub fn result_timeout(&mut self, d: Duration) -> Option<Result<T, TaskError>> {
        self.block(Some(Instant::now() + d))
    }

    /// Cancels the task; `false` if it had already finished.
    pub fn cancel(&self) -> bool {
        self.task.as_ref().is_some_and(|t| t.cancel())
    }

    /// `true` once the task has finished.
    pub fn done(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.done())
    }

    /// `true` if the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.task.as_ref().is_some_and(|t| t.cancelled())
    }

    /// Lets the task run on; its result is dropped.
    pub fn detach(mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }

    fn block(&mut self, deadline: Option<Instant>) -> Option<Result<T, TaskError>> {
        let Some(task) = self.task.as_mut() else { return Some(Err(TaskError::InvalidState)) };
        let waker = Waker::from(Arc::new(Unparker(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(res) = Pin::new(&mut *task).poll(&mut cx) {
                self.task = None;
                return Some(res);
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    thread::park_timeout(left);
                }
            }
        }
    }
}

impl<T> Future for ConcurrentFuture<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.task.as_mut() else { return Poll::Ready(Err(TaskError::InvalidState)) };
        let res = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(res)
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrentFuture").field("task", &self.task).finish()
    }
}

/// Wakes the thread blocked in `ConcurrentFuture::result`.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl Handle {
    /// Submits `future` to this runtime from any thread, as a task, and
    /// returns a [`ConcurrentFuture`] to wait for it — asyncio's
    /// `asyncio.run_coroutine_threadsafe(coro, loop)`.
    ///
    /// ```
    /// let rt = corio::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let answer = std::thread::spawn(move || {
    ///     handle.run_coroutine_threadsafe(async { 6 * 7 }).result().unwrap()
    /// });
    /// assert_eq!(answer.join().unwrap(), 42);
    /// ```
    pub fn run_coroutine_threadsafe<F>(&self, future: F) -> ConcurrentFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ConcurrentFuture { task: Some(self.spawn(future)) }
    }

    /// Schedules `f` to run soon on this runtime, from any thread, after
    /// every callback scheduled before it (FIFO) — asyncio's
    /// `loop.call_soon_threadsafe(f)`. Dropping the returned handle does not
    /// cancel the callback; [`CallbackHandle::cancel`] does, if it has not
    /// run yet. A panic in `f` is printed and swallowed (asyncio logs it).
    ///
    /// ```
    /// let rt = corio::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let handle = rt.handle();
    /// std::thread::spawn(move || {
    ///     handle.call_soon_threadsafe(move || tx.send("ran on the runtime").unwrap());
    /// });
    /// assert_eq!(rx.recv().unwrap(), "ran on the runtime");
    /// ```
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> CallbackHandle {
        let io = corio_io::IoHandle::from_sched(&self.inner)
            .expect("corio: this runtime has no time driver (it was not built by corio::Builder)");
        io.call_soon_on(&self.inner, Box::new(f))
    }
}
