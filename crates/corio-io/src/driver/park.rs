//! `park`: waiting for I/O until the next timer in real time (rules 1 and
//! 3), or, on a paused clock, jumping to the next timer once the runtime is
//! idle (rule 4).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::DriverShared;

/// Real time the paused driver waits before asking again whether the
/// runtime went idle (rule 4).
const PAUSED_RECHECK: Duration = Duration::from_millis(1);

impl DriverShared {
    pub(crate) fn park(self: &Arc<Self>, timeout: Option<Duration>) {
        if self.clock.is_paused() {
            return self.park_paused(timeout);
        }
        let wait = self.prepare_sleep(timeout);
        self.reactor.poll(wait);
        self.timers.lock().end_sleep();
        self.process_timers();
    }
    /// Rule 1: the wait's timeout, and `sleeping_until` recorded.
    fn prepare_sleep(&self, timeout: Option<Duration>) -> Option<Duration> {
        if timeout == Some(Duration::ZERO) {
            return timeout;
        }
        let next = self.timers.lock().begin_sleep();
        let timer_wait = next.map(|tick| self.clock.tick_instant(tick).saturating_duration_since(Instant::now()));
        match (timeout, timer_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Rule 4.
    fn park_paused(self: &Arc<Self>, timeout: Option<Duration>) {
        let events = self.reactor.poll(Some(Duration::ZERO));
        let fired = self.process_timers();
        // The zero-timeout poll above consumes the waker's edge:
        // an unpark that came before it (or during it) is only seen in the
        // flag, and blocking now would sleep through it (reactor rule 6).
        let unparked = self.reactor.take_notified();
        if unparked || events > 0 || fired > 0 || timeout == Some(Duration::ZERO) {
            return;
        }
        let idle = corio_sched::Handle::try_current().is_some_and(|h| h.is_idle());
        let next = self.timers.lock().begin_paused_wait(idle);
        if idle && let Some(tick) = next {
            self.clock.advance_to(self.clock.tick_instant(tick));
            self.process_timers();
            return;
        }
        let wait =
            if idle && timeout.is_none() { None } else { Some(timeout.unwrap_or(PAUSED_RECHECK).min(PAUSED_RECHECK)) };
        self.reactor.poll(wait);
        self.timers.lock().end_sleep();
        self.process_timers();
    }
}
