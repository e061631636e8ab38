//! [`Semaphore`]: a counter of permits with strictly FIFO waiters.
//!
//! # Protocol
//!
//! The permit count lives in one atomic word, `permits << 1 | WAITERS`, so an
//! uncontended acquire or release is one CAS and takes no lock. The lock
//! guards only the waiter list.
//!
//! 1. `WAITERS` is set while the waiter list is non-empty. It is set and
//!    cleared only under the lock.
//! 2. The fast paths (`try_take`, `release_fast`) are CAS loops on the whole
//!    word that give up when `WAITERS` is set: permits must then go to the
//!    queue in FIFO order, so a newcomer never overtakes a waiter.
//! 3. A newcomer that must wait sets `WAITERS` under the lock before it is
//!    queued (if it is set already, others are queued and it queues behind
//!    them). A release whose CAS landed before the flag is seen by the
//!    newcomer's re-check (it is then the head); a release after it takes
//!    the lock. No permit is stranded.
//! 4. Serving (under the lock) hands the released permits, then the word's,
//!    to the head waiters while they fit, puts the rest in the word, and
//!    clears `WAITERS` once no one waits (one read-modify-write for both; a
//!    release handed straight to a waiter does not touch the word).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::{AtomicUsize, Mutex, Ordering};
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A counting semaphore (asyncio's `Semaphore`), strictly FIFO.
///
/// Waiters are served in arrival order: a large request at the head of the queue blocks later
/// small ones even when enough permits for those are free, so no request starves.
///
/// ```
/// # use corio_sync::Semaphore;
/// let sem = Semaphore::new(1);
/// let permit = sem.try_acquire().unwrap();
/// assert!(sem.try_acquire().is_none());
/// drop(permit);
/// assert_eq!(sem.available_permits(), 1);
/// ```
pub struct Semaphore {
    /// `permits << 1 | WAITERS` (protocol above).
    word: AtomicUsize,
    state: Mutex<State>,
}

pub(crate) struct State {
    /// Each entry asks for (and is granted) a number of permits.
    waiters: WaitList<usize, usize>,
}

const WAITERS: usize = 1;
const PERMIT_SHIFT: u32 = 1;

/// The most permits a semaphore can hold.
const MAX_PERMITS: usize = usize::MAX >> PERMIT_SHIFT;

/// Permits held from a [`Semaphore`]; dropping the permit releases them.
#[must_use = "the permit is released at once when dropped"]
pub struct Permit<'a> {
    sem: &'a Semaphore,
    n: usize,
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    waiter: Waiter<'a, Semaphore>,
    n: usize,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` is more than `usize::MAX / 2`.
    pub fn new(permits: usize) -> Self {
        assert!(permits <= MAX_PERMITS, "Semaphore::new: {permits} permits is more than the maximum {MAX_PERMITS}");
        Self { word: AtomicUsize::new(permits << PERMIT_SHIFT), state: Mutex::new(State { waiters: WaitList::new() }) }
    }

    /// Waits for one permit.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken all at once.
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire { waiter: Waiter::new(self), n }
    }

    /// Takes one permit if one is free and nobody is queued before us.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued before us.
    pub fn try_acquire_many(&self, n: usize) -> Option<Permit<'_>> {
        self.try_take(n).then(|| Permit { sem: self, n })
    }

    /// Adds `n` permits, serving queued waiters in order.
    ///
    /// # Panics
    ///
    /// If the count would pass `usize::MAX / 2`.
    pub fn add_permits(&self, n: usize) {
        if n == 0 || self.release_fast(n) {
            return;
        }
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        self.add(&mut state, n, &mut wake);
        drop(state);
        wake.wake_all();
    }

    /// How many permits are free right now.
    pub fn available_permits(&self) -> usize {
        // ORDERING: a snapshot for the caller; it orders nothing.
        self.word.load(Ordering::Relaxed) >> PERMIT_SHIFT
    }

    /// Releases one permit unless that would make more than `bound` free (BoundedSemaphore).
    pub(crate) fn release_bounded(&self, bound: usize) -> bool {
        // Under the lock no waiter is served behind our back, and fast-path
        // takers only lower the count, so the bound check stays true.
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        if self.available_permits() >= bound {
            return false;
        }
        self.add(&mut state, 1, &mut wake);
        drop(state);
        wake.wake_all();
        true
    }

    /// Whether an acquire would wait now: no permit free, or waiters queued (asyncio's `locked`).
    pub(crate) fn locked(&self) -> bool {
        // ORDERING: a snapshot for the caller; it orders nothing.
        let word = self.word.load(Ordering::Relaxed);
        word >> PERMIT_SHIFT == 0 || word & WAITERS != 0
    }

    /// Rule 2: takes `n` permits if nobody waits and enough are free.
    fn try_take(&self, n: usize) -> bool {
        // ORDERING: Acquire pairs with the Release of whoever returned the
        // permits, so the previous holder's work happens before ours.
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            if cur & WAITERS != 0 || cur >> PERMIT_SHIFT < n {
                return false;
            }
            // ORDERING: AcqRel: Acquire as above; Release so the next taker
            // of this word is ordered after us.
            match self.word.compare_exchange_weak(cur, cur - (n << PERMIT_SHIFT), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Rule 2: returns `n` permits if nobody waits; `false` sends the
    /// caller to the slow path.
    fn release_fast(&self, n: usize) -> bool {
        // ORDERING: Acquire to read a current word; the CAS below publishes.
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            if cur & WAITERS != 0 {
                return false;
            }
            // ORDERING: Release publishes the holder's work to the next taker.
            match self.word.compare_exchange_weak(cur, Self::plus(cur, n), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    fn plus(word: usize, n: usize) -> usize {
        let permits = (word >> PERMIT_SHIFT).checked_add(n).filter(|&p| p <= MAX_PERMITS);
        let permits = permits.expect("Semaphore permit count overflow");
        (permits << PERMIT_SHIFT) | (word & WAITERS)
    }

    /// Takes `n` permits whatever `WAITERS` says (callers hold the lock).
    fn take_locked(&self, n: usize) -> bool {
        // ORDERING: AcqRel: the permits were returned with Release.
        self.word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w >> PERMIT_SHIFT >= n).then(|| w - (n << PERMIT_SHIFT))
            })
            .is_ok()
    }

    /// Rule 4 (lock held): `n` permits come back (`0`: just serve). The head waiters are
    /// served first, from these and then from the word's, while they fit; the rest goes to
    /// the word. A hand-over from a release straight to a waiter leaves the word alone: the
    /// lock's two atomics are the whole cost.
    fn add(&self, state: &mut State, n: usize, wake: &mut WakeList) {
        let mut spare = n;
        while let Some(&want) = state.waiters.front() {
            if want <= spare {
                spare -= want;
            } else if self.take_locked(want - spare) {
                spare = 0;
            } else {
                break;
            }
            state.waiters.notify_front(|n| n, wake);
        }
        let clear = state.waiters.is_empty();
        if spare > 0 || clear {
            // ORDERING: AcqRel: the permits are published to whoever takes them; with
            // nobody queued (`WAITERS` cleared) the fast paths may run again.
            let _ = self.word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                let w = Self::plus(w, spare);
                Some(if clear { w & !WAITERS } else { w })
            });
        }
    }

    /// Rule 3 (lock held), for a newcomer: `Ok` if it got its permits,
    /// `Err(n)` to be queued.
    fn take_or_queue(&self, state: &State, n: usize) -> Result<(), usize> {
        if self.try_take(n) {
            return Ok(());
        }
        // ORDERING: Relaxed: `WAITERS` changes only under the lock, which we hold. Set, it
        // means others are queued (rule 1): we queue behind them, and every release already
        // takes the lock.
        let queued = self.word.load(Ordering::Relaxed) & WAITERS != 0;
        debug_assert_eq!(queued, !state.waiters.is_empty(), "rule 1: WAITERS iff someone is queued");
        if queued {
            return Err(n);
        }
        // ORDERING: AcqRel: releases after this see WAITERS and take the
        // lock; permits of releases before it are seen by the re-check.
        self.word.fetch_or(WAITERS, Ordering::AcqRel);
        if self.take_locked(n) {
            // We would have been the head, and a release landed between the
            // failed take and the flag: nobody waits after all.
            // ORDERING: Release: the fast paths may run again.
            self.word.fetch_and(!WAITERS, Ordering::AcqRel);
            return Ok(());
        }
        Err(n)
    }
}

impl Waitable for Semaphore {
    type State = State;
    type Wait = usize;
    type Grant = usize;

    fn state(&self) -> &Mutex<State> {
        &self.state
    }

    fn list(state: &mut State) -> &mut WaitList<usize, usize> {
        &mut state.waiters
    }

    fn left(&self, state: &mut State, _: &usize, wake: &mut WakeList) {
        // The head leaving may let the smaller requests behind it through.
        self.add(state, 0, wake);
    }

    fn give_back(&self, state: &mut State, granted: usize, wake: &mut WakeList) -> Option<usize> {
        self.add(state, granted, wake);
        None
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let n = self.n;
        let sem = self.waiter.primitive();
        // Rule 2: the lock-free fast path, while not queued.
        if !self.waiter.is_queued() && sem.try_take(n) {
            return Poll::Ready(Permit { sem, n });
        }
        self.waiter.poll(cx, |state, _| sem.take_or_queue(state, n), |_| ()).map(|()| Permit { sem, n })
    }
}

impl Permit<'_> {
    /// Keeps the permits taken forever: dropping does not release them.
    pub fn forget(mut self) {
        self.n = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.n > 0 {
            self.sem.add_permits(self.n);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("n", &self.n).finish()
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("n", &self.n).finish()
    }
}
