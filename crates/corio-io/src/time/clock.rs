//! The runtime's clock: the real one, or a paused (virtual) one that only
//! moves when told to (`advance`) or when the runtime is idle.
//!
//! Timer deadlines are kept in ticks of 1 ms since the clock's `origin`.
//! A deadline is rounded *up* to its tick and the current time *down*, so a
//! timer never fires before its deadline.

use std::time::{Duration, Instant};

use crate::loom::{AtomicU64, Ordering};

const NANOS_PER_TICK: u32 = 1_000_000;
const TICKS_PER_SEC: u64 = 1_000;

/// Real or virtual time.
#[derive(Debug)]
pub(crate) struct Clock {
    origin: Instant,
    paused: bool,
    /// Virtual nanoseconds since `origin` (paused clocks only).
    offset_ns: AtomicU64,
}

impl Clock {
    pub(crate) fn new(paused: bool) -> Clock {
        Clock { origin: Instant::now(), paused, offset_ns: AtomicU64::new(0) }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    /// The current time.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        if self.paused {
            self.origin + Duration::from_nanos(self.offset_ns.load(Ordering::SeqCst))
        } else {
            Instant::now()
        }
    }

    /// The current tick (rounded down).
    pub(crate) fn now_tick(&self) -> u64 {
        let d = self.now().saturating_duration_since(self.origin);
        // In u64 (a u128 division is a libcall): whole seconds are whole ticks.
        d.as_secs().saturating_mul(TICKS_PER_SEC).saturating_add(u64::from(d.subsec_nanos() / NANOS_PER_TICK))
    }

    /// The tick of `deadline` (rounded up, so firing at it is never early).
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let d = deadline.saturating_duration_since(self.origin);
        d.as_secs().saturating_mul(TICKS_PER_SEC).saturating_add(u64::from(d.subsec_nanos().div_ceil(NANOS_PER_TICK)))
    }

    /// When tick `tick` begins.
    pub(crate) fn tick_instant(&self, tick: u64) -> Instant {
        self.origin.checked_add(Duration::from_millis(tick)).unwrap_or_else(far_future)
    }

    /// Moves a paused clock forward by `d`.
    pub(crate) fn advance(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let _ = self.offset_ns.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| Some(cur.saturating_add(ns)));
    }

    /// Moves a paused clock forward to `t` if it is behind it.
    pub(crate) fn advance_to(&self, t: Instant) {
        let ns = u64::try_from(t.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        self.offset_ns.fetch_max(ns, Ordering::SeqCst);
    }
}

/// An instant about 30 years from now: "never" for deadlines that overflow.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The u64 tick arithmetic is the plain u128 one: deadlines round
        /// up, the current time rounds down.
        #[test]
        fn ticks_match_the_nanosecond_arithmetic(secs in 0u64..(1 << 40), nanos in 0u32..1_000_000_000) {
            let clock = Clock::new(true);
            let d = Duration::new(secs, nanos);
            let Some(deadline) = clock.origin.checked_add(d) else { return Ok(()) };
            let ns = d.as_nanos();
            prop_assert_eq!(u128::from(clock.deadline_tick(deadline)), ns.div_ceil(1_000_000));
            clock.advance(d);
            let want = if ns > u128::from(u64::MAX) { u128::from(u64::MAX) / 1_000_000 } else { ns / 1_000_000 };
            prop_assert_eq!(u128::from(clock.now_tick()), want);
        }
    }
}
