//! [`Promise`]: a settable-once result any number of tasks can await (asyncio's `Future`).
//!
//! # Protocol
//!
//! 1. The outcome moves once from pending to done (a value) or cancelled, under the cell's
//!    lock; a second `set_result` fails with [`InvalidStateError`].
//! 2. Completing wakes every waiting handle (each clone is its own waiter entry) and takes the
//!    callback list, both under the lock; callbacks run after it is released, in registration
//!    order.
//! 3. With a [`CallbackScheduler`], callbacks never run on the caller's stack: one job runs all
//!    callbacks of a completion in order, and one job runs each callback added afterwards.
//!    Without one, they run on the completing thread (or inside `add_done_callback` if the
//!    promise is already done).
//! 4. A handle dropped while waiting removes its entry; the outcome stays in the cell, so there
//!    is nothing to pass on.
//! 5. No user code runs under the state lock. The value is written once, into its own cell
//!    (`value`), while completing under the state lock; from then on it never changes. Reading
//!    it (`T::clone`) happens after the state lock is released, under `value`'s re-entrant
//!    lock only: it serializes clones across threads (`T` need not be `Sync`), and a `clone`
//!    that calls back into the promise (`done`, `result`, `Debug`) neither deadlocks nor blocks
//!    `set_result`/`add_done_callback` elsewhere. Lock order: state, then value.
//! 6. Each done callback runs behind its own `catch_unwind`: a panic is reported on stderr
//!    ("corio: exception in a done callback: ...") and the following callbacks still run
//!    (asyncio logs exceptions in callbacks).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::loom::{Arc, Mutex, ReentrantMutex};
use crate::waiters::{Entry, WaitList, WakeList, report_panic};

/// Runs done callbacks on an executor: it receives one boxed job per completion (or per
/// callback added after completion) and must run it later, off the caller's stack.
pub type CallbackScheduler = std::sync::Arc<dyn Fn(Box<dyn FnOnce() + Send>) + Send + Sync>;

type Callback<T> = Box<dyn FnOnce(&Promise<T>) + Send>;

/// A result set once and awaited by any number of handles (asyncio's `Future`).
///
/// Cloning gives another handle to the same cell; every awaiting task awaits its own clone.
///
/// ```
/// # use corio_sync::Promise;
/// let p = Promise::new();
/// let q = p.clone();
/// p.set_result(7).unwrap();
/// assert_eq!(q.result(), Ok(7));
/// assert!(p.set_result(8).is_err());
/// ```
pub struct Promise<T> {
    cell: Arc<Cell<T>>,
    key: Option<Entry<(), ()>>,
}

struct Cell<T> {
    state: Mutex<State<T>>,
    /// Rule 5: the value, set once (under `state`'s lock) before `outcome` becomes `Done`.
    value: ReentrantMutex<RefCell<Option<T>>>,
    scheduler: Option<CallbackScheduler>,
}

struct State<T> {
    outcome: Outcome,
    waiters: WaitList<(), ()>,
    callbacks: Vec<Callback<T>>,
}

#[derive(Clone, Copy)]
enum Outcome {
    Pending,
    /// The value is in `Cell::value`.
    Done,
    Cancelled,
}

/// The promise already has a result or was cancelled (asyncio's `InvalidStateError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStateError;

/// The promise was cancelled (asyncio's `CancelledError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Why [`Promise::result`] has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseError {
    /// No result yet.
    InvalidState,
    /// The promise was cancelled.
    Cancelled,
}

/// Makes a pending [`Promise`] (asyncio's `loop.create_future()`); same as [`Promise::new`].
pub fn create_future<T>() -> Promise<T> {
    Promise::new()
}

impl<T> Promise<T> {
    /// A pending promise whose callbacks run on the completing thread.
    pub fn new() -> Self {
        Self::with(None)
    }

    /// A pending promise whose callbacks are handed to `scheduler`.
    pub fn with_scheduler(scheduler: CallbackScheduler) -> Self {
        Self::with(Some(scheduler))
    }

    fn with(scheduler: Option<CallbackScheduler>) -> Self {
        Self {
            cell: Arc::new(Cell {
                state: Mutex::new(State { outcome: Outcome::Pending, waiters: WaitList::new(), callbacks: Vec::new() }),
                value: ReentrantMutex::new(RefCell::new(None)),
                scheduler,
            }),
            key: None,
        }
    }

    /// Whether a result was set or the promise was cancelled.
    pub fn done(&self) -> bool {
        !matches!(self.cell.state.lock().outcome, Outcome::Pending)
    }

    /// Whether the promise was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(self.cell.state.lock().outcome, Outcome::Cancelled)
    }

    /// The result, cloned.
    pub fn result(&self) -> Result<T, PromiseError>
    where
        T: Clone,
    {
        let outcome = self.cell.state.lock().outcome;
        match outcome {
            Outcome::Pending => Err(PromiseError::InvalidState),
            Outcome::Done => Ok(self.cell.clone_value()),
            Outcome::Cancelled => Err(PromiseError::Cancelled),
        }
    }
}

impl<T> Cell<T> {
    /// Rule 5: clones the value of a done promise, with the state lock released.
    fn clone_value(&self) -> T
    where
        T: Clone,
    {
        let value = self.value.lock();
        let value = value.borrow();
        value.as_ref().expect("a done promise holds its value").clone()
    }
}

impl<T: Send + 'static> Promise<T> {
    /// Sets the result and wakes every waiter; fails if already done or cancelled.
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.complete(Some(value)).then_some(()).ok_or(InvalidStateError)
    }

    /// Cancels the promise if it is pending; `false` if it was already done.
    pub fn cancel(&self) -> bool {
        self.complete(None)
    }

    /// Runs `f` once the promise is done (at once if it already is; see the module docs for
    /// where it runs).
    pub fn add_done_callback(&self, f: impl FnOnce(&Promise<T>) + Send + 'static) {
        let mut state = self.cell.state.lock();
        if let Outcome::Pending = state.outcome {
            state.callbacks.push(Box::new(f));
            return;
        }
        drop(state);
        self.run_callbacks(vec![Box::new(f)]);
    }

    /// Rules 1-2 and 5: `value` is the result, `None` to cancel.
    fn complete(&self, value: Option<T>) -> bool {
        let mut wake = WakeList::new();
        let mut state = self.cell.state.lock();
        if !matches!(state.outcome, Outcome::Pending) {
            drop(state);
            drop(value);
            return false;
        }
        state.outcome = match value {
            Some(value) => {
                // Rule 5: no clone can hold this lock yet (the outcome is still pending), and
                // the `None` replaced has no destructor to run.
                *self.cell.value.lock().borrow_mut() = Some(value);
                Outcome::Done
            }
            None => Outcome::Cancelled,
        };
        state.waiters.notify_all(|()| (), &mut wake);
        let callbacks = core::mem::take(&mut state.callbacks);
        drop(state);
        wake.wake_all();
        self.run_callbacks(callbacks);
        true
    }

    /// Rule 3.
    fn run_callbacks(&self, callbacks: Vec<Callback<T>>) {
        if callbacks.is_empty() {
            return;
        }
        match &self.cell.scheduler {
            Some(scheduler) => {
                let promise = self.clone();
                scheduler(Box::new(move || callbacks.into_iter().for_each(|f| run_caught(f, &promise))));
            }
            None => callbacks.into_iter().for_each(|f| run_caught(f, self)),
        }
    }
}

/// Rule 6: runs one callback, reporting a panic instead of unwinding past the others.
fn run_caught<T>(f: Callback<T>, promise: &Promise<T>) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || f(promise))) {
        report_panic("exception in a done callback", &*payload);
    }
}

impl<T: Clone> Future for Promise<T> {
    type Output = Result<T, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.cell.state.lock();
        let outcome = match state.outcome {
            Outcome::Done => Ok(()),
            Outcome::Cancelled => Err(Cancelled),
            Outcome::Pending => {
                match this.key {
                    // SAFETY: the entry was made by this cell's list. Still pending, so it has
                    // not been notified: `poll` only updates the waker.
                    Some(_) => assert!(unsafe { state.waiters.poll(&mut this.key, cx) }.is_none()),
                    None => this.key = Some(state.waiters.push_back((), Some(cx.waker().clone()))),
                }
                return Poll::Pending;
            }
        };
        if let Some(key) = this.key.take() {
            // Rule 4: the entry was notified (or is dropped now); nothing to pass on.
            // SAFETY: the entry was made by this cell's list.
            let _ = unsafe { state.waiters.cancel(key) };
        }
        drop(state);
        // Rule 5: the clone runs after the state lock is released.
        Poll::Ready(outcome.map(|()| this.cell.clone_value()))
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Rule 4.
            // SAFETY: the entry was made by this cell's list.
            let _ = unsafe { self.cell.state.lock().waiters.cancel(key) };
        }
    }
}

impl<T> Clone for Promise<T> {
    /// Another handle to the same cell (a separate waiter).
    fn clone(&self) -> Self {
        Self { cell: self.cell.clone(), key: None }
    }
}

impl<T> Default for Promise<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.cell.state.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Done => "done",
            Outcome::Cancelled => "cancelled",
        };
        f.debug_struct("Promise").field("state", &state).finish()
    }
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid state: the promise is already done")
    }
}

impl std::error::Error for InvalidStateError {}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the promise was cancelled")
    }
}

impl std::error::Error for Cancelled {}

impl fmt::Display for PromiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidState => f.write_str("invalid state: the promise has no result yet"),
            Self::Cancelled => f.write_str("the promise was cancelled"),
        }
    }
}

impl std::error::Error for PromiseError {}
