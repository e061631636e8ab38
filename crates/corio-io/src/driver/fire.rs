//! Firing the timers whose tick has come and dispatching what they notify:
//! wakers woken outside the lock, callbacks queued on `call_soon` (rules 3
//! and 5).

use std::sync::Arc;

use super::DriverShared;
use crate::catch::wake_caught;
use crate::time::entry::{Notify, TimerSlot};

impl DriverShared {
    /// Fires every timer whose tick has come (rule 3); the number fired.
    pub(crate) fn process_timers(self: &Arc<Self>) -> usize {
        let now = self.clock.now_tick();
        let mut fired = Vec::new();
        let mut notifies = Vec::new();
        {
            let mut state = self.timers.lock();
            let due = state.wheel.next_expiration().is_some_and(|t| t <= now);
            state.wheel.poll(now, &mut fired);
            // `time/entry.rs`, rule 4: after the wheel moved, before the wakes.
            self.publish_elapsed(&state);
            if !due {
                return 0;
            }
            notifies.extend(fired.drain(..).map(TimerSlot::fire));
        }
        // Callbacks go to the FIFO `call_soon` queue in firing order. The
        // scheduler puts a task woken on a worker into its LIFO slot, moving
        // the slot's previous task to the back of the local queue: waking
        // the first-fired waker last makes the worker run the woken tasks
        // in firing order (first, then the queue in order).
        let n = notifies.len();
        let mut wakers = Vec::new();
        for notify in notifies {
            match notify {
                Notify::Waker(w) => wakers.push(w),
                other => self.run_notify(other, None),
            }
        }
        // Rule 5: each wake behind `catch_unwind`.
        if !wakers.is_empty() {
            let first = wakers.remove(0);
            wakers.into_iter().for_each(wake_caught);
            wake_caught(first);
        }
        n
    }

    /// Rule 5: runs one fired timer's notification, after the wheel lock:
    /// wakes its waker or queues its callback (on `sched`, or the current
    /// runtime).
    pub(crate) fn run_notify(&self, notify: Notify, sched: Option<&corio_sched::Handle>) {
        match notify {
            Notify::Empty => {}
            Notify::Waker(w) => wake_caught(w),
            Notify::Callback(state, f) => self.call_soon.push((state, f), sched),
        }
    }
}
