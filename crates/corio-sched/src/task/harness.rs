//! The typed side of a task: running, completing and cancelling a cell.
//! Each function here is one vtable entry; the rules are in `task/mod.rs`.

use std::alloc::Layout;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::cell::{Cell, Stage};
use super::header::{Header, Vtable};
use super::raw::{Notified, RawTask};
use super::state::{self, Completed, TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{PanicPayload, Schedule, Task, TaskError, TaskId};
use crate::context;

struct VtableFor<F, S>(std::marker::PhantomData<(F, S)>);

impl<F, S> VtableFor<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    const VTABLE: Vtable = Vtable {
        poll: poll::<F, S>,
        shutdown: shutdown::<F, S>,
        cancel_in_place: cancel_in_place::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        read_output: read_output::<F, S>,
        drop_output: drop_output::<F, S>,
        spawn_callbacks: spawn_callbacks::<F, S>,
        trailer_offset: std::mem::offset_of!(Cell<F, S>, trailer),
    };
}

/// Allocates a `Cell<F, S>` with its vtable and `state` (one of
/// `state::INITIAL*`); returns its header.
#[inline(always)]
pub(super) fn allocate<F, S>(future: F, scheduler: S, name: Option<Box<str>>, state: usize) -> NonNull<Header>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    Cell::allocate(future, scheduler, TaskId::next(), name, state, &VtableFor::<F, S>::VTABLE)
}

/// Makes a task: the one constructor every scheduler (and every loom model)
/// uses. Returns the task, its first queue entry, and the user's handle.
/// The cell starts with three references (`state::INITIAL`, rule 9): the
/// entry's, the handle's, and the registry's, which the caller must either
/// hand to its registry (`Registry::insert`) or release (`RawTask::ref_dec`).
#[inline(always)]
pub(crate) fn new_task<F, S>(future: F, scheduler: S, name: Option<Box<str>>) -> (RawTask, Notified, Task<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::from_header(allocate(future, scheduler, name, state::INITIAL));
    // SAFETY: rule 1: the initial state made one queue entry, reference
    // included.
    let notified = unsafe { Notified::from_raw(raw) };
    // SAFETY: rule 6: the output type is `F::Output`, and the initial state
    // gave the handle its reference and JOIN_INTEREST.
    let handle = unsafe { Task::from_raw(raw) };
    (raw, notified, handle)
}

/// # Safety
///
/// - `ptr` points to a live `Cell<F, S>` (every header with this vtable does).
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: rule 9: the vtable is only installed in a `Cell<F, S>`, whose header is
    // its first field (`#[repr(C)]`); the caller keeps the cell alive.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

/// Rule 2, then the poll, then rule 3 or rule 4.
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>` and the caller hands over a queue entry
///   (rules 1 and 2), reference included.
unsafe fn poll<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: rules 2 and 9: the caller hands us a queue entry, whose reference keeps the
    // cell alive until we release it.
    let cell = unsafe { cell::<F, S>(ptr) };
    let raw = RawTask::from_header(ptr);
    if cell.header.state.transition_to_running() == TransitionToRunning::Cancelled {
        return cancel_and_complete(cell, raw);
    }
    let waker = waker_ref(&raw);
    let (polled, yielded) = {
        let task = context::enter_task(raw);
        let polled = catch_unwind(AssertUnwindSafe(|| poll_future(cell, &waker)));
        (polled, task.take_yield())
    };
    match polled {
        Ok(Poll::Ready(output)) => match drop_future(cell, raw) {
            None => complete(cell, raw, Ok(output), 0),
            Some(panic) => {
                // The output was never delivered: drop it behind the fault
                // boundary too, then report the destructor's panic as the
                // task's result.
                crate::fault::guard(|| describe("dropping the output", raw), || drop(output));
                complete(cell, raw, Err(TaskError::Panicked(PanicPayload::new(panic))), state::PANICKED);
            }
        },
        Ok(Poll::Pending) => {
            match cell.header.state.transition_to_idle(yielded) {
                TransitionToIdle::Idle => {}
                // SAFETY: rule 3: our reference became a new queue entry.
                TransitionToIdle::Notified => cell.core.scheduler.yield_now(unsafe { Notified::from_raw(raw) }),
                TransitionToIdle::Cancelled => cancel_and_complete(cell, raw),
            }
        }
        Err(panic) => {
            // A panic in the destructor too is swallowed: the first one is
            // what the task reports.
            let _ = drop_future(cell, raw);
            complete(cell, raw, Err(TaskError::Panicked(PanicPayload::new(panic))), state::PANICKED);
        }
    }
}

fn poll_future<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> Poll<F::Output> {
    let mut cx = Context::from_waker(waker);
    cell.core.stage.with_mut(|stage| {
        // SAFETY: we hold RUNNING (rule 2), so the stage is ours alone.
        match unsafe { &mut *stage } {
            // SAFETY: rule 2: the future lives in the heap cell and is never moved
            // until it is dropped in place.
            Stage::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(&mut cx),
            _ => unreachable!("a task was polled after its future was gone"),
        }
    })
}

/// Drops the future in place (the holder of RUNNING calls this). Returns the
/// payload if a destructor panicked.
pub(super) fn drop_future<F: Future, S>(cell: &Cell<F, S>, raw: RawTask) -> Option<Box<dyn std::any::Any + Send>> {
    let _task = context::enter_task(raw);
    catch_unwind(AssertUnwindSafe(|| {
        cell.core.stage.with_mut(|stage| {
            // SAFETY: we hold RUNNING (rules 2 and 5): the stage is ours.
            unsafe { *stage = Stage::Consumed };
        });
    }))
    .err()
}

/// Rules 3 and 5: the future is dropped and the task ends as cancelled.
fn cancel_and_complete<F, S>(cell: &Cell<F, S>, raw: RawTask)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    match drop_future(cell, raw) {
        None => {
            let msg = cell.trailer.cold().and_then(|mut c| c.cancel_msg.take());
            complete(cell, raw, Err(TaskError::Cancelled(msg)), state::CANCEL_OUTCOME);
        }
        Some(panic) => {
            complete(cell, raw, Err(TaskError::Panicked(PanicPayload::new(panic))), state::PANICKED);
        }
    }
}

/// Rule 4. Consumes the completer's reference and the registry's (released
/// in the `COMPLETE` transition itself when nothing is left to do).
pub(super) fn complete<F, S>(cell: &Cell<F, S>, raw: RawTask, output: Result<F::Output, TaskError>, outcome: usize)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    cell.core.stage.with_mut(|stage| {
        // SAFETY: we still hold RUNNING (rule 4): the stage is ours, and
        // every caller dropped the future first.
        unsafe { *stage = Stage::Finished(output) };
    });
    #[cfg(feature = "tracing")]
    crate::debug::trace_complete(raw, outcome);
    // Leave the registry first, so `all_tasks()` never lists a done task.
    let registered = cell.core.scheduler.release(&raw);
    // The completer's reference and the registry's.
    let refs = 1 + usize::from(registered);
    let prev = match cell.header.state.transition_to_complete(outcome, refs) {
        // The handle takes the output and nobody waits: all done.
        Completed::Released => return,
        Completed::Kept(prev) => prev,
    };
    let join = prev.has(state::JOIN_INTEREST);
    if !join {
        // SAFETY: rule 4: without a handle the output is ours to drop.
        unsafe { drop_output::<F, S>(raw.as_ptr()) };
    }
    let wake_awaiter = join && prev.has(state::JOIN_WAKER);
    // The awaiter and the done callbacks queue behind the tasks already ready, as asyncio's
    // `call_soon` queues a finished task's callbacks (`context::wake_to_back`).
    if wake_awaiter || prev.has(state::CALLBACKS) {
        context::wake_to_back(|| {
            if wake_awaiter {
                cell.trailer.join_waker.with(|waker| {
                    // SAFETY: rule 7: JOIN_WAKER was set when we set COMPLETE, so the
                    // slot is filled and the handle will not write it again.
                    let waker = unsafe { &*waker };
                    let waker = waker.as_ref().expect("JOIN_WAKER set with an empty slot");
                    // A foreign waker is user code: it must not stop us from
                    // firing callbacks and releasing our references below.
                    crate::fault::guard(|| describe("waking the awaiter", raw), || waker.wake_by_ref());
                });
            }
            if prev.has(state::CALLBACKS) {
                raw.fire_callbacks();
            }
        });
    }
    if cell.header.state.ref_dec_n(refs) {
        raw.dealloc();
    }
}

/// Drops a queue entry without polling it: the task is cancelled (rule 5).
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>` and the caller hands over a queue entry,
///   reference included.
unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: rules 5 and 9: the caller hands us a queue entry, which keeps
    // the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    cell.header.state.transition_to_running_for_shutdown();
    cancel_and_complete(cell, RawTask::from_header(ptr));
}

/// Rule 5: completes an idle task its canceller took `RUNNING` of.
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>`; the caller holds `RUNNING` and one reference,
///   both of which this consumes.
unsafe fn cancel_in_place<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: rule 5: the caller holds RUNNING and a reference for us.
    let cell = unsafe { cell::<F, S>(ptr) };
    cancel_and_complete(cell, RawTask::from_header(ptr));
}

/// Rule 1: hands a new queue entry to the task's scheduler.
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>` and the caller made a queue entry for it
///   (`TransitionToNotified::Submit`), reference included, which moves in.
unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller made a queue entry (rule 1) and keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: rule 1: the caller's queue entry, reference included, moves
    // into it.
    let notified = unsafe { Notified::from_raw(RawTask::from_header(ptr)) };
    cell.core.scheduler.schedule(notified);
}

/// Rule 9: frees the cell.
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>` made by `Cell::allocate`, and the caller owned
///   its last reference.
unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    /// Gives the memory back even if a field's destructor panics.
    struct Free(NonNull<u8>, Layout);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: `Cell::allocate` took this memory from `cache::allocate`
            // with this layout; its fields are dropped (or being unwound
            // past) and nothing else refers to it (the last reference).
            unsafe { super::cache::free(self.0, self.1) };
        }
    }
    let _free = Free(ptr.cast(), Layout::new::<Cell<F, S>>());
    // SAFETY: the caller owned the last reference (rule 9); the cell was
    // fully written by `Cell::allocate` with this very type.
    unsafe { std::ptr::drop_in_place(ptr.cast::<Cell<F, S>>().as_ptr()) };
}

/// # Safety
///
/// - The caller holds a reference, has seen `COMPLETE` and holds
///   `JOIN_INTEREST` (rule 4), so the stage is its to take.
/// - `dst` points to a valid `Option<Result<F::Output, TaskError>>`.
unsafe fn read_output<F, S>(ptr: NonNull<Header>, dst: *mut ())
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: rule 9: the handle holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    let output = cell.core.stage.with_mut(|stage| {
        // SAFETY: the caller saw COMPLETE and holds JOIN_INTEREST (rule 4).
        match std::mem::replace(unsafe { &mut *stage }, Stage::Consumed) {
            Stage::Finished(output) => output,
            _ => Err(TaskError::InvalidState),
        }
    });
    // SAFETY: rule 4: the caller passes a `*mut Option<Result<F::Output, TaskError>>`.
    unsafe { *dst.cast::<Option<Result<F::Output, TaskError>>>() = Some(output) };
}

/// Drops an output nobody took; a panic in it is reported once (API.md §2).
///
/// # Safety
///
/// - The caller owns the output (rules 4 and 6) and holds a reference.
unsafe fn drop_output<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller owns the output (rules 4 and 6) and a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    let stage = cell.core.stage.with_mut(|stage| {
        // SAFETY: rules 4 and 6, as above: the output is ours.
        std::mem::replace(unsafe { &mut *stage }, Stage::Consumed)
    });
    let raw = RawTask::from_header(ptr);
    if let Stage::Finished(Err(TaskError::Panicked(payload))) = &stage {
        report_unretrieved_panic(raw, payload);
    }
    // The output's destructor is user code, and nobody awaits it: a panic is
    // reported, never unwound into the completer (a worker) or the handle's
    // drop.
    crate::fault::guard(|| describe("dropping the output", raw), || drop(stage));
}

/// Names a task in a fault report: "<what> of task 'NAME' (id N)".
#[cold]
fn describe(what: &str, raw: RawTask) -> String {
    format!("{what} of task '{}' (id {})", raw.name(), raw.header().id)
}

#[cold]
fn report_unretrieved_panic(raw: RawTask, payload: &PanicPayload) {
    eprintln!(
        "corio: task '{}' (id {}) panicked and nobody retrieved the panic: {}",
        raw.name(),
        raw.header().id,
        payload.message().as_deref().unwrap_or("(non-string payload)")
    );
}

/// Rule 8: hands a drainer job to the task's scheduler.
///
/// # Safety
///
/// - `ptr` is a `Cell<F, S>` and the caller holds a reference.
unsafe fn spawn_callbacks<F, S>(ptr: NonNull<Header>, job: Box<dyn FnOnce() + Send>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: rule 9: the caller holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    cell.core.scheduler.spawn_callbacks(job);
}
