//! `interval`: a periodic ticker.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use crate::driver::IoHandle;
use crate::time::sleep::Sleep;

/// Ticks every `period`; see [`interval`]. Also a `futures_core::Stream`
/// of the ticks' due times (it never ends).
///
/// Cancel-safe: a tick is taken only in the poll that returns it, so a
/// `tick()` (or a stream `next()`) dropped before, or after its wake-up but
/// before its next poll, leaves the tick for the next call.
#[derive(Debug)]
pub struct Interval {
    handle: IoHandle,
    next: Instant,
    period: Duration,
    /// The timer for `next`, kept across dropped `tick` calls.
    sleep: Option<Sleep>,
}

/// A ticker whose first tick completes at once and the following ones every
/// `period`. When a tick is taken late, the next one is due a full period
/// after it (missed ticks are not made up in a burst).
///
/// # Panics
///
/// If `period` is zero, or outside a runtime ("no running corio runtime").
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "corio::time::interval: the period must be non-zero");
    let handle = IoHandle::current();
    let next = handle.now();
    Interval { handle, next, period, sleep: None }
}

impl Interval {
    /// Waits for the next tick and returns when it was due.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// `tick` as a poll function.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let due = self.next;
        if due > self.handle.now() {
            let handle = &self.handle;
            let sleep = self.sleep.get_or_insert_with(|| Sleep::new(handle.clone(), due));
            ready!(Pin::new(sleep).poll(cx));
        }
        self.sleep = None;
        let now = self.handle.now();
        let next = due.checked_add(self.period).unwrap_or_else(crate::time::clock::far_future);
        self.next = if next <= now { now + self.period } else { next };
        Poll::Ready(due)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
