//! [`Semaphore`]: a counter of permits with strictly FIFO waiters.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::Mutex;
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
    state: Mutex<State>,
}

pub(crate) struct State {
    permits: usize,
    /// Each entry asks for (and is granted) a number of permits.
    waiters: WaitList<usize, usize>,
}

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
    pub fn new(permits: usize) -> Self {
        Self { state: Mutex::new(State { permits, waiters: WaitList::new() }) }
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
        let mut state = self.state.lock();
        let ok = state.try_take(n);
        drop(state);
        ok.then(|| Permit { sem: self, n })
    }

    /// Adds `n` permits, serving queued waiters in order.
    pub fn add_permits(&self, n: usize) {
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        state.add(n, &mut wake);
        drop(state);
        wake.wake_all();
    }

    /// How many permits are free right now.
    pub fn available_permits(&self) -> usize {
        self.state.lock().permits
    }

    /// Releases one permit unless that would make more than `bound` free (BoundedSemaphore).
    pub(crate) fn release_bounded(&self, bound: usize) -> bool {
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        if state.permits >= bound {
            return false;
        }
        state.add(1, &mut wake);
        drop(state);
        wake.wake_all();
        true
    }

    /// Whether an acquire would wait now: no permit free, or waiters queued (asyncio's `locked`).
    pub(crate) fn locked(&self) -> bool {
        let state = self.state.lock();
        state.permits == 0 || !state.waiters.is_empty()
    }
}

impl State {
    /// Takes `n` permits if nobody is queued and enough are free.
    fn try_take(&mut self, n: usize) -> bool {
        let ok = self.waiters.is_empty() && self.permits >= n;
        if ok {
            self.permits -= n;
        }
        ok
    }

    fn add(&mut self, n: usize, wake: &mut WakeList) {
        self.permits = self.permits.checked_add(n).expect("Semaphore permit count overflow");
        self.serve(wake);
    }

    /// Hands permits to queued waiters from the head, stopping at the first that does not fit.
    fn serve(&mut self, wake: &mut WakeList) {
        while let Some(&n) = self.waiters.front() {
            if n > self.permits {
                break;
            }
            self.permits -= n;
            self.waiters.notify_front(|n| n, wake);
        }
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
        state.serve(wake);
    }

    fn give_back(&self, state: &mut State, granted: usize, wake: &mut WakeList) {
        state.add(granted, wake);
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let n = self.n;
        let sem = self.waiter.primitive();
        self.waiter.poll(cx, |s, _| if s.try_take(n) { Ok(()) } else { Err(n) }, |_| ()).map(|()| Permit { sem, n })
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
        f.debug_struct("Semaphore").field("permits", &state.permits).field("waiters", &state.waiters.len()).finish()
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
