//! `wait_for`, `timeout`, `timeout_at`, `timeout_with`: a deadline around a
//! future.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::driver::IoHandle;
use crate::loom::{Arc, AtomicBool, Mutex, Ordering};
use crate::time::entry::{Notify, TimerShared};

/// The deadline of a [`Timeout`] passed before its future completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for TimeoutError {}

impl From<TimeoutError> for std::io::Error {
    fn from(e: TimeoutError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// A timeout's timer: shared state (`time/entry.rs`, rules 1–3), because
/// a [`TimeoutHandle`] can move it from another task. Dropping it takes it
/// out of the wheel.
struct TimerEntry {
    handle: IoHandle,
    shared: Arc<TimerShared>,
}

impl TimerEntry {
    /// A timer filed for `deadline` (`None`: not filed yet).
    fn new(handle: IoHandle, deadline: Option<Instant>) -> TimerEntry {
        let shared = TimerShared::new(Notify::Empty);
        handle.reset_timer(&shared, deadline);
        TimerEntry { handle, shared }
    }

    fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.poll_fired(cx)
    }

    fn is_fired(&self) -> bool {
        self.shared.is_fired()
    }

    /// Moves the deadline; `false` if the timer had fired.
    fn reset(&self, deadline: Option<Instant>) -> bool {
        self.handle.reset_timer(&self.shared, deadline)
    }

    fn cancel(&self) {
        if !self.shared.is_fired() {
            self.handle.cancel_timer(&self.shared);
        }
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        self.cancel();
    }
}

struct TimeoutShared {
    entry: TimerEntry,
    deadline: Mutex<Option<Instant>>,
    finished: AtomicBool,
}

/// Moves or reads the deadline of a running [`Timeout`] (asyncio's
/// `Timeout` context manager: `when()`, `reschedule()`, `expired()`).
#[derive(Clone)]
pub struct TimeoutHandle {
    shared: Arc<TimeoutShared>,
}

impl fmt::Debug for TimeoutHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutHandle").field("when", &self.when()).field("expired", &self.expired()).finish()
    }
}

impl TimeoutHandle {
    pub(crate) fn new(handle: IoHandle, deadline: Option<Instant>) -> TimeoutHandle {
        TimeoutHandle {
            shared: Arc::new(TimeoutShared {
                entry: TimerEntry::new(handle, deadline),
                deadline: Mutex::new(deadline),
                finished: AtomicBool::new(false),
            }),
        }
    }

    /// The current deadline (`None`: no deadline).
    pub fn when(&self) -> Option<Instant> {
        *self.shared.deadline.lock()
    }

    /// Moves the deadline (`None` removes it). `false`, and nothing
    /// changes, once the timeout expired or its future finished. A deadline
    /// already past expires the timeout at once.
    pub fn reschedule(&self, when: Option<Instant>) -> bool {
        let mut deadline = self.shared.deadline.lock();
        if self.shared.finished.load(Ordering::SeqCst) || self.shared.entry.is_fired() {
            return false;
        }
        let moved = self.shared.entry.reset(when);
        if moved {
            *deadline = when;
        }
        moved
    }

    /// `true` once the deadline has passed (the timer fired).
    pub fn expired(&self) -> bool {
        self.shared.entry.is_fired()
    }

    fn finish(&self) {
        let _deadline = self.shared.deadline.lock();
        self.shared.finished.store(true, Ordering::SeqCst);
        self.shared.entry.cancel();
    }
}

/// A future with a deadline: `Ok(output)` if it completes first,
/// `Err(TimeoutError)` otherwise. See [`timeout`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Option<Pin<Box<F>>>,
    handle: TimeoutHandle,
}

/// The future of [`wait_for`] (the same type as [`Timeout`]).
pub type WaitFor<F> = Timeout<F>;

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").field("handle", &self.handle).field("done", &self.future.is_none()).finish()
    }
}

impl<F> Timeout<F> {
    fn new(handle: TimeoutHandle, future: F) -> Timeout<F> {
        Timeout { future: Some(Box::pin(future)), handle }
    }

    /// A handle to move or read the deadline while the future runs.
    pub fn handle(&self) -> TimeoutHandle {
        self.handle.clone()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let future = this.future.as_mut().expect("Timeout polled after it completed");
        // The inner future first: a value produced in the same instant as
        // the deadline is returned, never lost.
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            this.future = None;
            this.handle.finish();
            return Poll::Ready(Ok(out));
        }
        if this.handle.shared.entry.poll_fired(cx).is_ready() {
            // The inner future is dropped before the error is returned.
            this.future = None;
            this.handle.finish();
            return Poll::Ready(Err(TimeoutError));
        }
        Poll::Pending
    }
}

impl<F> Drop for Timeout<F> {
    fn drop(&mut self) {
        self.handle.finish();
    }
}

/// Runs `f` with a time limit of `d` (asyncio's `wait_for`). On timeout the
/// inner future is dropped (a `Task` is cancelled) before
/// `Err(TimeoutError)` is returned; a value it produced is never lost.
/// With `Duration::ZERO` an already-ready future still gives its value.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn wait_for<F: IntoFuture>(f: F, timeout: Duration) -> WaitFor<F::IntoFuture> {
    self::timeout(timeout, f)
}

/// Runs `f` with a time limit of `d` (asyncio's `timeout`); see
/// [`wait_for`].
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn timeout<F: IntoFuture>(d: Duration, f: F) -> Timeout<F::IntoFuture> {
    let handle = IoHandle::current();
    let deadline = handle.now().checked_add(d).unwrap_or_else(crate::time::clock::far_future);
    Timeout::new(TimeoutHandle::new(handle, Some(deadline)), f.into_future())
}

/// Runs `f` until `deadline` (asyncio's `timeout_at`).
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, f: F) -> Timeout<F::IntoFuture> {
    Timeout::new(TimeoutHandle::new(IoHandle::current(), Some(deadline)), f.into_future())
}

/// Runs the future `body` builds with a time limit of `d` (`None`: no limit
/// yet); `body` gets the [`TimeoutHandle`] so it can move its own deadline.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn timeout_with<B, F>(d: Option<Duration>, body: B) -> Timeout<F>
where
    B: FnOnce(TimeoutHandle) -> F,
    F: Future,
{
    let handle = IoHandle::current();
    let deadline = d.map(|d| handle.now().checked_add(d).unwrap_or_else(crate::time::clock::far_future));
    let th = TimeoutHandle::new(handle, deadline);
    let future = body(th.clone());
    Timeout::new(th, future)
}
