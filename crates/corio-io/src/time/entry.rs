//! What the wheel holds for a timer ([`TimerSlot`]); one timer's shared
//! state, and the protocol between the thread that fires timers and the
//! futures that wait for them; and [`CallbackState`], the run-or-cancel
//! state of a callback a timer (or `call_soon`) carries.
//!
//! # Rules
//!
//! Rules 1–3 are for timers with shared state (`Timeout`, whose handle
//! can move it from another task, and `call_later`); rule 4 for a
//! `Sleep`, which has one owner and so needs no allocation.
//!
//! 1. `state` is `IDLE` (not in the wheel), `PENDING` (in the wheel under
//!    `key`) or `FIRED`. Every change of `state` and of `key` happens while
//!    holding the time driver's wheel lock, so cancel, reset and fire are
//!    serialized: whichever takes the lock first decides, and a cancelled
//!    timer is out of the wheel before the lock is released (no fire after
//!    a cancel returned).
//! 2. Only `FIRED` is read without the lock (a waiting future checks it).
//!    The firer stores `FIRED` before it takes the notification out of
//!    `notify`; a waiter stores its waker into `notify` before it checks
//!    `FIRED` again. Both go through the `notify` mutex, so either the
//!    waiter sees `FIRED` or the firer sees the waker: no lost wake-up.
//! 3. A fired timer's notification (a waker, or a callback for the
//!    `call_soon` queue) is run after the wheel lock is released.
//! 4. A `Sleep`'s wheel node holds its waker ([`TimerSlot::Sleep`]). After
//!    every poll of the wheel, under the lock, the driver publishes the
//!    wheel's `elapsed` tick (`DriverShared::timers_elapsed`); every timer
//!    whose tick is `<=` it has fired (wheel rules 1 and 4). So a sleep
//!    reads the published tick without the lock: at or past its own tick
//!    it is done. Below it, the sleep is pending, and if the waker it
//!    registered last will wake the polling task, there is nothing to do
//!    (the fire, which happens before the publication, wakes that waker
//!    after it). Otherwise it takes the lock, re-checks the wheel's tick
//!    there (exact under the lock) and swaps the waker in its node. Only
//!    the owning sleep takes its node out (reset, drop), and only while
//!    the wheel's tick under the lock is below its own: so its key always
//!    names its own node. At shutdown the wheel is drained and the
//!    published tick is `u64::MAX`: every sleep is done.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, AtomicU8, AtomicUsize, Mutex, Ordering};
use crate::time::wheel::{Key, Wheel};

const IDLE: u8 = 0;
const PENDING: u8 = 1;
const FIRED: u8 = 2;

/// What firing a timer does.
pub(crate) enum Notify {
    /// Nothing registered yet.
    Empty,
    /// Wake a waiting future.
    Waker(Waker),
    /// Queue a callback on the `call_soon` queue (`call_later`, `call_at`).
    Callback(Arc<CallbackState>, Box<dyn FnOnce() + Send>),
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Notify::Empty => "Empty",
            Notify::Waker(_) => "Waker",
            Notify::Callback(..) => "Callback",
        })
    }
}

const CALLBACK_PENDING: u8 = 0;
const CALLBACK_RAN: u8 = 1;
const CALLBACK_CANCELLED: u8 = 2;

/// Whether a scheduled callback (`call_soon`, or a timer's
/// [`Notify::Callback`]) ran, is waiting, or was cancelled.
#[derive(Debug)]
pub(crate) struct CallbackState(AtomicU8);

impl CallbackState {
    pub(crate) fn new() -> Arc<CallbackState> {
        Arc::new(CallbackState(AtomicU8::new(CALLBACK_PENDING)))
    }

    /// The runner's side: `true` if the callback may run (it was not
    /// cancelled first).
    pub(crate) fn begin_run(&self) -> bool {
        self.0.compare_exchange(CALLBACK_PENDING, CALLBACK_RAN, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    pub(crate) fn cancel(&self) -> bool {
        self.0.compare_exchange(CALLBACK_PENDING, CALLBACK_CANCELLED, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) == CALLBACK_CANCELLED
    }
}

/// The state one timer shares between its owner and the wheel.
#[derive(Debug)]
pub(crate) struct TimerShared {
    state: AtomicU8,
    /// The wheel key while `PENDING` (rule 1: only touched under the lock).
    key: AtomicUsize,
    notify: Mutex<Notify>,
}

/// What the wheel holds for one timer.
#[derive(Debug)]
pub(crate) enum TimerSlot {
    /// A `Sleep`'s timer: the waker to wake (rule 4).
    Sleep(Option<Waker>),
    /// A timer with shared state (rules 1–3).
    Shared(Arc<TimerShared>),
}

impl TimerSlot {
    /// Fires a timer the wheel gave up: marks shared state fired (rule 2)
    /// and hands back the notification to run after the lock (rule 3).
    pub(crate) fn fire(self) -> Notify {
        match self {
            TimerSlot::Sleep(waker) => waker.map_or(Notify::Empty, Notify::Waker),
            TimerSlot::Shared(shared) => shared.fire(),
        }
    }
}

/// The wheel as the time driver keeps it.
pub(crate) type TimerWheel = Wheel<TimerSlot>;

/// `true` if a timer was fired by this call (its notification is returned).
#[must_use]
pub(crate) enum Insert {
    /// Filed in the wheel.
    Pending,
    /// Its deadline was already reached: fired at once.
    Fired(Notify),
    /// It had fired before; nothing changed.
    AlreadyFired,
}

impl TimerShared {
    pub(crate) fn new(notify: Notify) -> Arc<TimerShared> {
        Arc::new(TimerShared { state: AtomicU8::new(IDLE), key: AtomicUsize::new(0), notify: Mutex::new(notify) })
    }

    /// `true` once the timer fired (rule 2).
    #[inline]
    pub(crate) fn is_fired(&self) -> bool {
        self.state.load(Ordering::SeqCst) == FIRED
    }

    /// Rule 2: `Ready` once fired; otherwise `cx`'s waker is stored and
    /// will be woken by the fire.
    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_fired() {
            return Poll::Ready(());
        }
        let replaced = {
            let mut notify = self.notify.lock();
            match &mut *notify {
                Notify::Waker(w) if w.will_wake(cx.waker()) => None,
                slot => Some(std::mem::replace(slot, Notify::Waker(cx.waker().clone()))),
            }
        };
        // The old waker's destructor is foreign code: after the lock.
        drop(replaced);
        if self.is_fired() { Poll::Ready(()) } else { Poll::Pending }
    }

    /// Rule 1: files the timer at `tick` (moving it if it was pending).
    /// Call with the wheel lock held (`wheel` is the guarded wheel).
    pub(crate) fn reset(this: &Arc<TimerShared>, wheel: &mut TimerWheel, tick: Option<u64>) -> Insert {
        match this.state.load(Ordering::SeqCst) {
            FIRED => return Insert::AlreadyFired,
            PENDING => {
                Self::remove(this, wheel);
            }
            _ => {}
        }
        let Some(tick) = tick else { return Insert::Pending };
        match wheel.insert(tick, TimerSlot::Shared(this.clone())) {
            Ok(key) => {
                // ORDERING: Relaxed: rule 1, the wheel lock orders every
                // access to `key`.
                this.key.store(key_to_usize(key), Ordering::Relaxed);
                this.state.store(PENDING, Ordering::SeqCst);
                Insert::Pending
            }
            Err(_) => Insert::Fired(this.fire()),
        }
    }

    /// Rule 1: takes a pending timer out of the wheel (it will not fire).
    /// Returns `true` if it was pending. Call with the wheel lock held.
    pub(crate) fn cancel(this: &Arc<TimerShared>, wheel: &mut TimerWheel) -> bool {
        if this.state.load(Ordering::SeqCst) != PENDING {
            return false;
        }
        Self::remove(this, wheel);
        true
    }

    fn remove(this: &Arc<TimerShared>, wheel: &mut TimerWheel) {
        // ORDERING: Relaxed: rule 1.
        let key = key_from_usize(this.key.load(Ordering::Relaxed));
        let removed = wheel.remove(key);
        debug_assert!(matches!(&removed, TimerSlot::Shared(s) if Arc::ptr_eq(s, this)));
        this.state.store(IDLE, Ordering::SeqCst);
    }

    /// Rules 1 and 2: marks the timer fired (it is already out of the
    /// wheel) and hands back its notification to run after the lock.
    pub(crate) fn fire(&self) -> Notify {
        self.state.store(FIRED, Ordering::SeqCst);
        std::mem::replace(&mut *self.notify.lock(), Notify::Empty)
    }
}

fn key_to_usize(key: Key) -> usize {
    key.into_raw()
}

fn key_from_usize(raw: usize) -> Key {
    Key::from_raw(raw)
}
