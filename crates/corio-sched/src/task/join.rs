//! `Task<T>`: the handle to a spawned task (asyncio's `Task`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::raw::RawTask;
use super::state::{CANCEL_OUTCOME, COMPLETE, JOIN_WAKER};
use super::{CallbackId, TaskError, TaskId, TaskRef};

/// A spawned task, and the way to its result — asyncio's `Task`.
///
/// Awaiting it gives `Ok(value)`, or a [`TaskError`] if the task was
/// cancelled or panicked. **Dropping it cancels the task** (asyncio asks you
/// to keep a reference anyway); call [`detach`](Task::detach) to let a task
/// run on in the background.
///
/// ```
/// let answer = corio_sched::run(async {
///     let task = corio_sched::create_task(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[must_use = "dropping a Task cancels it; call .detach() to let it run in the background"]
pub struct Task<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: rules 4 and 6: the handle only moves a `T` out of the cell (so `T: Send` is
// needed and enough); everything else it touches is synchronised by the
// state word.
unsafe impl<T: Send> Send for Task<T> {}
// SAFETY: rule 7: `&Task` offers no access to the `T` at all, and every
// method that writes the join-waker slot takes `&mut self`.
unsafe impl<T: Send> Sync for Task<T> {}
impl<T> Unpin for Task<T> {}

impl<T> Task<T> {
    /// # Safety
    ///
    /// - `raw` is a task whose output type is `T`, and the caller gives this
    ///   handle one reference and the task's `JOIN_INTEREST`.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Task<T> {
        Task { raw, _output: PhantomData }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.raw.header().id
    }

    /// The task's name: the one given, or `Task-N`.
    pub fn name(&self) -> String {
        self.raw.name()
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        self.raw.set_name(name.into());
    }

    /// `true` once the task has finished (with a value, a panic, or
    /// cancelled).
    pub fn done(&self) -> bool {
        self.raw.header().state.load().has(COMPLETE)
    }

    /// `true` if the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.raw.header().state.load().has(CANCEL_OUTCOME)
    }

    /// Requests cancellation. The future is dropped at its next suspension
    /// point — at once if it is not running, right after the current poll if
    /// it is — and awaiting the task then gives `Err(TaskError::Cancelled)`.
    /// Returns `false` if the task had already finished.
    pub fn cancel(&self) -> bool {
        self.raw.cancel(None)
    }

    /// [`cancel`](Task::cancel) with a message, returned in
    /// `TaskError::Cancelled(Some(msg))`.
    pub fn cancel_with(&self, msg: impl Into<String>) -> bool {
        self.raw.cancel(Some(msg.into()))
    }

    /// Takes the result of a finished task without waiting.
    /// `Err(TaskError::InvalidState)` if the task is not done or the result
    /// was taken already.
    pub fn result(&mut self) -> Result<T, TaskError> {
        if !self.done() {
            return Err(TaskError::InvalidState);
        }
        self.read_output()
    }

    /// Calls `f` once the task is done, on the runtime (never inside this
    /// call or inside the task's last poll), in registration order; also when
    /// the task is done already.
    pub fn add_done_callback(&self, f: impl FnOnce(&TaskRef) + Send + 'static) -> CallbackId {
        let id = CallbackId::next();
        self.raw.add_done_callback(id.0, Box::new(f));
        id
    }

    /// Removes a callback that has not run yet; `true` if it was found.
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        self.raw.remove_done_callback(id.0)
    }

    /// Lets the task run on in the background; its output is dropped.
    pub fn detach(self) {
        let raw = self.raw;
        std::mem::forget(self);
        release_handle(raw);
    }

    /// A shareable reference to the task (for `all_tasks`, callbacks, …).
    pub fn task_ref(&self) -> TaskRef {
        self.raw.ref_inc();
        TaskRef::from_raw(self.raw)
    }

    /// `Ready(())` once the task is done, without taking its output; else
    /// registers `cx`'s waker as the join waker (replacing any other) and
    /// returns `Pending`. Spends no cooperative budget. For combinators that
    /// hand finished tasks back to the caller (`corio::wait`).
    ///
    /// It takes `&mut self` because it writes the join-waker slot, which only
    /// the handle's owner may do (rule 7): two threads sharing a `&Task`
    /// cannot race on it.
    // `Task::poll` takes the output, which `wait` must leave in place for
    // `Task::result`.
    pub fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.register_join_waker(cx.waker()) { Poll::Ready(()) } else { Poll::Pending }
    }

    fn read_output(&mut self) -> Result<T, TaskError> {
        let mut out: Option<Result<T, TaskError>> = None;
        let read = self.raw.header().vtable.read_output;
        // SAFETY: rule 4: COMPLETE was seen and we hold JOIN_INTEREST, so the
        // stage is ours; the output type of the task is `T` (`from_raw`'s
        // contract), so `out` has the type `read_output` writes.
        unsafe { read(self.raw.as_ptr(), (&mut out as *mut Option<Result<T, TaskError>>).cast()) };
        out.expect("read_output always writes a result")
    }

    /// Rule 7: publishes `waker` as the join waker. `true` if the task
    /// completed meanwhile (the output can be read). `&mut self`: only the
    /// handle's owner may write the slot.
    fn register_join_waker(&mut self, waker: &Waker) -> bool {
        let header = self.raw.header();
        let slot = &self.raw.trailer().join_waker;
        let snapshot = header.state.load();
        if snapshot.has(COMPLETE) {
            return true;
        }
        if snapshot.has(JOIN_WAKER) {
            // SAFETY: rule 7: while JOIN_WAKER is set the slot is only read.
            let same = slot.with(|w| unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(waker)));
            if same {
                return false;
            }
            if header.state.unset_join_waker().is_err() {
                return true;
            }
        }
        // SAFETY: rule 7: JOIN_WAKER is clear and the task is not complete,
        // so only this handle touches the slot.
        slot.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        header.state.set_join_waker().is_err()
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let proceed = std::task::ready!(crate::coop::poll_proceed(cx));
        if !self.register_join_waker(cx.waker()) {
            return Poll::Pending;
        }
        proceed.made_progress();
        Poll::Ready(self.read_output())
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // Rule 6: `COMPLETE` never clears, so a finished task's output is
        // the handle's and the state word need not change (on a complete
        // task `transition_to_cancel` and `unset_join_interest` write
        // nothing either, so skipping them is the same).
        if self.done() {
            let_go(self.raw, true);
        } else {
            // Structured by default: an unfinished task dies with its handle.
            self.raw.cancel(None);
            release_handle(self.raw);
        }
    }
}

/// Rule 6, and the handle's reference.
fn release_handle(raw: RawTask) {
    let_go(raw, raw.header().state.unset_join_interest());
}

/// The handle's last step: drops the output if the task completed before
/// the handle let go (rule 6), then the handle's reference.
fn let_go(raw: RawTask, completed: bool) {
    if completed {
        let drop_output = raw.header().vtable.drop_output;
        // SAFETY: rule 6: the task completed before we let go, so the
        // output is ours; we still hold our reference.
        unsafe { drop_output(raw.as_ptr()) };
    }
    raw.ref_dec();
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).field("name", &self.name()).field("done", &self.done()).finish()
    }
}
