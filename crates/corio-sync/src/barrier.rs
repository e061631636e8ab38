//! [`Barrier`]: wait until a number of parties arrive (asyncio's `Barrier`).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::Mutex;
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// Makes `parties` tasks wait for each other.
///
/// Each [`Barrier::wait`] blocks until `parties` waits are pending, then all return, each with
/// a distinct index in `0..parties` in arrival order (the last to arrive gets `parties - 1`),
/// and the barrier starts over. A waiter dropped before the barrier trips leaves it (it is no
/// longer counted). [`Barrier::abort`] breaks the barrier until [`Barrier::reset`].
///
/// Unlike asyncio there is no draining phase: the parties of one round are released together,
/// so a new round can start filling at once.
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

pub(crate) struct State {
    waiters: WaitList<(), Result<usize, BrokenBarrier>>,
    broken: bool,
}

/// The barrier was aborted or reset while waiting, or is broken (asyncio's
/// `BrokenBarrierError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrier;

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    waiter: Waiter<'a, Barrier>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is 0.
    pub fn new(parties: usize) -> Self {
        assert!(parties >= 1, "Barrier::new: parties must be at least 1");
        Self { parties, state: Mutex::new(State { waiters: WaitList::new(), broken: false }) }
    }

    /// Waits for the other parties; returns this party's arrival index.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait { waiter: Waiter::new(self) }
    }

    /// Breaks the barrier: current and later waits fail with [`BrokenBarrier`] until `reset`.
    pub fn abort(&self) {
        self.release_all(true);
    }

    /// Returns the barrier to its empty state; current waiters fail with [`BrokenBarrier`].
    pub fn reset(&self) {
        self.release_all(false);
    }

    /// How many parties must arrive.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many parties are waiting now.
    pub fn n_waiting(&self) -> usize {
        self.state.lock().waiters.len()
    }

    /// Whether the barrier is broken.
    pub fn broken(&self) -> bool {
        self.state.lock().broken
    }

    fn release_all(&self, broken: bool) {
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        state.broken = broken;
        state.waiters.notify_all(|()| Err(BrokenBarrier), &mut wake);
        drop(state);
        wake.wake_all();
    }

    /// Under the lock, for an arriving party: trip, fail, or queue.
    fn arrive(&self, state: &mut State, wake: &mut WakeList) -> Result<Result<usize, BrokenBarrier>, ()> {
        if state.broken {
            return Ok(Err(BrokenBarrier));
        }
        if state.waiters.len() + 1 < self.parties {
            return Err(());
        }
        let mut index = 0;
        state.waiters.notify_all(
            |()| {
                index += 1;
                Ok(index - 1)
            },
            wake,
        );
        Ok(Ok(self.parties - 1))
    }
}

impl Waitable for Barrier {
    type State = State;
    type Wait = ();
    type Grant = Result<usize, BrokenBarrier>;

    fn state(&self) -> &Mutex<State> {
        &self.state
    }

    fn list(state: &mut State) -> &mut WaitList<(), Self::Grant> {
        &mut state.waiters
    }

    fn give_back(&self, _: &mut State, _: Self::Grant, _: &mut WakeList) -> Option<Self::Grant> {
        // The round it belonged to is already released; nothing to pass on.
        None
    }
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrier>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let barrier = self.waiter.primitive();
        self.waiter.poll(cx, |s, wake| barrier.arrive(s, wake), |r| r)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.waiters.len())
            .field("broken", &state.broken)
            .finish()
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait").finish_non_exhaustive()
    }
}

impl fmt::Display for BrokenBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("barrier is broken")
    }
}

impl std::error::Error for BrokenBarrier {}
