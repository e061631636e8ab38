//! [`TimerState`]: the timer wheel and the tick the parked thread sleeps
//! to, kept under one lock so no timer is slept past (rule 1).

use crate::time::entry::{Insert, TimerShared, TimerSlot, TimerWheel};
use crate::time::wheel::Key;

/// The wheel and rule 1's record, behind the driver's timer lock.
pub(crate) struct TimerState {
    pub(crate) wheel: TimerWheel,
    /// Rule 1: the tick the parked thread sleeps to, if one does.
    sleeping_until: Option<u64>,
    /// The driver shut down and drained the wheel (`time/entry.rs`, rule 4).
    pub(crate) shut_down: bool,
}
impl TimerState {
    pub(crate) fn new() -> TimerState {
        TimerState { wheel: TimerWheel::new(), sleeping_until: None, shut_down: false }
    }

    /// Rule 1: files `timer` at `tick`; the flag says the parked thread
    /// sleeps past it and must be notified.
    pub(crate) fn file(&mut self, timer: &crate::loom::Arc<TimerShared>, tick: Option<u64>) -> (Insert, bool) {
        let outcome = TimerShared::reset(timer, &mut self.wheel, tick);
        (outcome, tick.is_some_and(|t| self.filed(t)))
    }

    /// Rule 1: files a sleep's `slot` at `tick` (`Err` hands it back if
    /// the tick was reached); the flag says the parked thread must be
    /// notified.
    pub(crate) fn insert(&mut self, tick: u64, slot: TimerSlot) -> (Result<Key, TimerSlot>, bool) {
        let key = self.wheel.insert(tick, slot);
        (key, self.filed(tick))
    }

    /// Rule 1: a timer was filed at `tick`: `true` if the parked thread
    /// sleeps past it (the record is cleared: one notification is enough).
    fn filed(&mut self, tick: u64) -> bool {
        match self.sleeping_until {
            Some(until) if tick < until => {
                self.sleeping_until = None;
                true
            }
            _ => false,
        }
    }

    /// Rule 1: the next expiration, recorded as what the parker sleeps to.
    pub(crate) fn begin_sleep(&mut self) -> Option<u64> {
        let next = self.wheel.next_expiration();
        self.sleeping_until = Some(next.unwrap_or(u64::MAX));
        next
    }

    /// Rule 4: the next expiration and, unless the runtime is `idle` with
    /// a timer to jump to, rule 1's record, in one critical section: a
    /// timer filed from now on (say by a `block_on` thread woken from
    /// outside) notifies the wait that follows.
    pub(crate) fn begin_paused_wait(&mut self, idle: bool) -> Option<u64> {
        let next = self.wheel.next_expiration();
        if !(idle && next.is_some()) {
            self.sleeping_until = Some(u64::MAX);
        }
        next
    }

    pub(crate) fn end_sleep(&mut self) {
        self.sleeping_until = None;
    }
}
