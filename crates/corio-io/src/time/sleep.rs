//! `sleep` and `sleep_until`: a timer with one owner, whose wheel node
//! holds its waker (`time/entry.rs`, rule 4).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use crate::driver::{IoHandle, TimerState};
use crate::time::entry::TimerSlot;
use crate::time::wheel::Key;

/// The future of [`sleep`] and [`sleep_until`]: ready once its deadline
/// has passed on the runtime's clock (never before).
pub struct Sleep {
    deadline: Instant,
    /// `None` when the deadline had already passed at creation.
    timer: Option<SleepTimer>,
}

/// A sleep's timer: a node in the wheel that holds the waker, and no
/// shared state (`time/entry.rs`, rule 4), so filing it allocates nothing.
struct SleepTimer {
    handle: IoHandle,
    /// The tick the node is filed at.
    tick: u64,
    /// The node, while `tick` is ahead of the wheel's.
    key: Key,
    /// The tick was seen reached: the node is gone.
    done: bool,
    /// The waker in the node, as its (data, vtable) addresses: a re-poll by
    /// the same task needs no lock. The node's clone keeps the waker's data
    /// alive, so no other waker can have these addresses meanwhile.
    registered: (usize, usize),
}

/// A waker's identity: what `Waker::will_wake` compares.
fn waker_id(waker: &Waker) -> (usize, usize) {
    (waker.data() as usize, std::ptr::from_ref(waker.vtable()) as usize)
}

impl SleepTimer {
    /// Files a timer at `deadline`'s tick; `None` if that tick was reached.
    fn new(handle: IoHandle, deadline: Instant) -> Option<SleepTimer> {
        let tick = handle.inner.clock.deadline_tick(deadline);
        let (key, notify_driver) = handle.inner.timers.lock().insert(tick, TimerSlot::Sleep(None));
        if notify_driver {
            handle.inner.reactor.notify();
        }
        let key = key.ok()?;
        Some(SleepTimer { handle, tick, key, done: false, registered: (0, 0) })
    }

    /// Rule 4, the lock-free half: `true` once the tick was reached.
    fn reached(&self) -> bool {
        self.done || self.handle.inner.timers_elapsed() >= self.tick
    }

    /// Rule 4 under the lock (exact there): the node is gone, fired or
    /// drained at shutdown; otherwise `key` names it.
    fn reached_locked(&self, state: &TimerState) -> bool {
        state.shut_down || state.wheel.elapsed() >= self.tick
    }

    /// Rule 4: `Ready` once fired; otherwise `cx`'s waker is in the node.
    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.reached() {
            self.done = true;
            return Poll::Ready(());
        }
        let id = waker_id(cx.waker());
        if self.registered == id {
            return Poll::Pending;
        }
        let replaced = {
            let mut state = self.handle.inner.timers.lock();
            if self.reached_locked(&state) {
                drop(state);
                self.done = true;
                return Poll::Ready(());
            }
            let TimerSlot::Sleep(waker) = state.wheel.get_mut(self.key) else {
                unreachable!("a sleep's key names its own node (time/entry.rs, rule 4)")
            };
            waker.replace(cx.waker().clone())
        };
        self.registered = id;
        // The old waker's destructor is foreign code: after the lock.
        drop(replaced);
        Poll::Pending
    }

    /// Rule 4: moves the node to `deadline`'s tick. `false` if the old tick
    /// was reached (nothing changed) or the new one is (the node is gone).
    fn reset(&mut self, deadline: Instant) -> bool {
        if self.reached() {
            return false;
        }
        let tick = self.handle.inner.clock.deadline_tick(deadline);
        let (moved, notify_driver, dropped) = {
            let mut state = self.handle.inner.timers.lock();
            if self.reached_locked(&state) {
                (false, false, None)
            } else {
                let slot = state.wheel.remove(self.key);
                match state.insert(tick, slot) {
                    (Ok(key), notify) => {
                        self.key = key;
                        self.tick = tick;
                        (true, notify, None)
                    }
                    (Err(slot), _) => (false, false, Some(slot)),
                }
            }
        };
        if notify_driver {
            self.handle.inner.reactor.notify();
        }
        if dropped.is_some() {
            // The new tick was reached: the node is out, this timer is over.
            self.done = true;
        }
        drop(dropped);
        moved
    }
}

impl Drop for SleepTimer {
    fn drop(&mut self) {
        if self.reached() {
            return;
        }
        let removed = {
            let mut state = self.handle.inner.timers.lock();
            if self.reached_locked(&state) {
                return;
            }
            state.wheel.remove(self.key)
        };
        // Its waker's destructor is foreign code: after the lock.
        drop(removed);
    }
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
        let timer = if deadline > now { SleepTimer::new(handle, deadline) } else { None };
        Sleep { deadline, timer }
    }

    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// `true` once the deadline has passed and the sleep is ready.
    pub fn is_elapsed(&self) -> bool {
        self.timer.as_ref().is_none_or(SleepTimer::reached)
    }

    /// Moves the deadline (the sleep becomes pending again if it is later
    /// than now).
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        // Move the pending timer in place; if it fired meanwhile (the check
        // and the wheel lock are not one step), `reset` refuses and we make
        // a fresh timer below, so the sleep never ends before `deadline`.
        let moved = self.timer.as_mut().is_some_and(|t| deadline > t.handle.now() && t.reset(deadline));
        if moved {
            return;
        }
        let handle = self.timer.take().map(|t| t.handle.clone()).unwrap_or_else(IoHandle::current);
        *self = Sleep::new(handle, deadline);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(timer) = &mut self.timer else { return Poll::Ready(()) };
        let proceed = ready!(corio_sched::coop::poll_proceed(cx));
        ready!(timer.poll_fired(cx));
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
