//! `interval`: a periodic ticker.

use std::time::{Duration, Instant};

use crate::driver::IoHandle;
use crate::time::sleep::Sleep;

/// Ticks every `period`; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    handle: IoHandle,
    next: Instant,
    period: Duration,
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
    Interval { handle, next, period }
}

impl Interval {
    /// Waits for the next tick and returns when it was due.
    pub async fn tick(&mut self) -> Instant {
        let due = self.next;
        if due > self.handle.now() {
            Sleep::new(self.handle.clone(), due).await;
        }
        let now = self.handle.now();
        let next = due.checked_add(self.period).unwrap_or_else(crate::time::clock::far_future);
        self.next = if next <= now { now + self.period } else { next };
        due
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
