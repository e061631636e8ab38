//! `sleep`, `sleep_until` and the timer entry they are built on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use crate::driver::IoHandle;
use crate::loom::Arc;
use crate::time::entry::{Notify, TimerShared};

/// A timer owned by one future; dropping it takes it out of the wheel.
pub(crate) struct TimerEntry {
    handle: IoHandle,
    shared: Arc<TimerShared>,
}

impl TimerEntry {
    /// A timer filed for `deadline` (`None`: not filed yet).
    pub(crate) fn new(handle: IoHandle, deadline: Option<Instant>) -> TimerEntry {
        TimerEntry::new_at(handle, deadline, |h| h.now())
    }

    /// `new` with the clock read by `now` (see `IoHandle::reset_timer_at`).
    fn new_at(handle: IoHandle, deadline: Option<Instant>, now: impl FnOnce(&IoHandle) -> Instant) -> TimerEntry {
        let shared = TimerShared::new(Notify::Empty);
        handle.reset_timer_at(&shared, deadline, || now(&handle));
        TimerEntry { handle, shared }
    }

    pub(crate) fn handle(&self) -> &IoHandle {
        &self.handle
    }

    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.poll_fired(cx)
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.shared.is_fired()
    }

    /// Moves the deadline; `false` if the timer had fired.
    pub(crate) fn reset(&self, deadline: Option<Instant>) -> bool {
        self.handle.reset_timer(&self.shared, deadline)
    }

    pub(crate) fn cancel(&self) {
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

/// The future of [`sleep`] and [`sleep_until`]: ready once its deadline
/// has passed on the runtime's clock (never before).
pub struct Sleep {
    deadline: Instant,
    /// `None` when the deadline had already passed at creation.
    entry: Option<TimerEntry>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").field("deadline", &self.deadline).finish()
    }
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(handle: IoHandle, deadline: Instant) -> Sleep {
        let now = handle.now();
        Sleep::new_at(handle, deadline, now)
    }

    /// A sleep until `deadline` when the clock read `now` a moment ago: the
    /// clock is read once per sleep.
    fn new_at(handle: IoHandle, deadline: Instant, now: Instant) -> Sleep {
        let entry = (deadline > now).then(|| TimerEntry::new_at(handle, Some(deadline), |_| now));
        Sleep { deadline, entry }
    }

    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// `true` once the deadline has passed and the sleep is ready.
    pub fn is_elapsed(&self) -> bool {
        self.entry.as_ref().is_none_or(TimerEntry::is_fired)
    }

    /// Moves the deadline (the sleep becomes pending again if it is later
    /// than now).
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        // Move the pending timer in place; if it fired meanwhile (the check
        // and the wheel lock are not one step), `reset` refuses and we make
        // a fresh timer below, so the sleep never ends before `deadline`.
        let moved = self
            .entry
            .as_ref()
            .is_some_and(|e| !e.is_fired() && deadline > e.handle().now() && e.reset(Some(deadline)));
        if moved {
            return;
        }
        let handle = self.entry.take().map(|e| e.handle().clone()).unwrap_or_else(IoHandle::current);
        *self = Sleep::new(handle, deadline);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(entry) = &self.entry else { return Poll::Ready(()) };
        let proceed = ready!(corio_sched::coop::poll_proceed(cx));
        ready!(entry.poll_fired(cx));
        proceed.made_progress();
        Poll::Ready(())
    }
}

impl IoHandle {
    /// A [`Sleep`] until `deadline` on this driver's clock. Unlike
    /// [`sleep_until`] it needs no runtime on the calling thread (adapters
    /// such as `corio::hyper::Timer` keep a handle and make sleeps anywhere).
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(self.clone(), deadline)
    }
}

/// Waits until `d` has passed (asyncio's `sleep`). The timer is filed when
/// `sleep` is called, so sleeps with equal deadlines end in the order they
/// were created. Resolution 1 ms; never ends early.
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn sleep(d: Duration) -> Sleep {
    let handle = IoHandle::current();
    let now = handle.now();
    let deadline = now.checked_add(d).unwrap_or_else(crate::time::clock::far_future);
    Sleep::new_at(handle, deadline, now)
}

/// Waits until `deadline` (on the runtime's clock).
///
/// # Panics
///
/// Outside a runtime, with "no running corio runtime".
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(IoHandle::current(), deadline)
}
