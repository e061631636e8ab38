//! One registered source's readiness and waiters.
//!
//! # The readiness word
//!
//! | bits    | meaning                                              |
//! |---------|------------------------------------------------------|
//! | 0       | `READABLE`: a read may not block                     |
//! | 1       | `WRITABLE`: a write may not block                    |
//! | 2       | `SHUTDOWN`: the driver is gone; never cleared        |
//! | 16..32  | tick: the reactor poll that last set readiness       |
//!
//! # Rules
//!
//! 1. The reactor sets readiness bits (never clears them) and stamps the
//!    word with its current tick, in one atomic update, then wakes the
//!    waiters of the directions that became ready.
//! 2. An operation reads the word; if its direction is ready it tries the
//!    syscall. On `WouldBlock` it clears its direction's bit *only if the
//!    tick is still the one it read* (`clear_readiness` compares it): an
//!    event that arrived during the attempt changed the tick, the stale
//!    clear fails, and the operation simply tries again. So an event is
//!    never lost by a stale clear.
//! 3. Each direction has one waiter slot. A waiter stores its waker under
//!    the `waiters` mutex and re-reads the word before it returns
//!    `Pending`; the reactor takes wakers under the same mutex after its
//!    update (rule 1). Either the waiter sees the new bits or the reactor
//!    sees the waker: no lost wake-up.
//! 4. A direction's first waiter has a slot of its own; further concurrent
//!    waiters (two tasks reading one socket through `&TcpStream`) go to an
//!    overflow list. An event wakes them all; the losers wait again.

use slab::Slab;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, Ordering};

pub(crate) const READABLE: usize = 0b001;
pub(crate) const WRITABLE: usize = 0b010;
pub(crate) const SHUTDOWN: usize = 0b100;
const READY_MASK: usize = 0b111;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xFFFF;

/// Which half of a source an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// Readiness seen by an operation, to be cleared if its syscall blocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

impl ReadyEvent {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.ready & SHUTDOWN != 0
    }

    #[cfg(all(test, corio_loom))]
    pub(crate) fn tick(&self) -> usize {
        self.tick
    }
}

/// Names a waiter's waker in a [`Slot`] so a future that gives up can take
/// it out again; stale (and harmless) once the slot has been woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaiterKey {
    index: usize,
    generation: u64,
}

/// The wakers waiting for one direction. Rule 3: a wake takes them all and
/// bumps `generation`, so keys handed out before can no longer remove a
/// newer waiter that reuses their index.
#[derive(Debug, Default)]
struct Slot {
    wakers: Slab<Waker>,
    generation: u64,
}

impl Slot {
    /// A keyed waiter (a socket future): its entry is updated in place and
    /// removed by `remove` when the future is dropped, so waiters that give
    /// up leave nothing behind.
    fn register_keyed(&mut self, waker: &Waker, key: &mut Option<WaiterKey>) {
        if let Some(k) = *key
            && k.generation == self.generation
            && let Some(w) = self.wakers.get_mut(k.index)
        {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
            return;
        }
        *key = Some(WaiterKey { index: self.wakers.insert(waker.clone()), generation: self.generation });
    }

    /// An unkeyed waiter (the `AsyncRead`/`AsyncWrite` poll functions, which
    /// have no state of their own): one entry per distinct waker.
    fn register_unkeyed(&mut self, waker: &Waker) {
        if !self.wakers.iter().any(|(_, w)| w.will_wake(waker)) {
            self.wakers.insert(waker.clone());
        }
    }

    fn remove(&mut self, key: WaiterKey) {
        if key.generation == self.generation {
            self.wakers.try_remove(key.index);
        }
    }

    fn take(&mut self) -> (Option<Waker>, Vec<Waker>) {
        if self.wakers.is_empty() {
            return (None, Vec::new());
        }
        self.generation += 1;
        let mut all = self.wakers.drain();
        let first = all.next();
        (first, all.collect())
    }
}

#[derive(Debug, Default)]
struct Waiters {
    reader: Slot,
    writer: Slot,
}

/// A registered source's readiness word and waiter slots.
#[derive(Debug)]
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
    /// Its slab slot in the reactor.
    pub(crate) index: usize,
    /// Distinguishes this registration from earlier users of its slab slot.
    pub(crate) generation: usize,
}

impl ScheduledIo {
    /// A source starts out assumed ready both ways: the first operation
    /// tries the syscall and learns the truth (rule 2).
    pub(crate) fn new(index: usize, generation: usize) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
            index,
            generation,
        }
    }

    /// Rule 1: called by the reactor for an event of poll number `tick`.
    pub(crate) fn set_readiness(&self, tick: usize, ready: usize) {
        let stamp = (tick & TICK_MASK) << TICK_SHIFT;
        let _ = self.readiness.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
            Some(stamp | (cur & READY_MASK) | (ready & READY_MASK))
        });
        self.wake(ready);
    }

    /// Rule 3: wakes the waiters of the directions in `ready`.
    pub(crate) fn wake(&self, ready: usize) {
        let (reader, writer) = {
            let mut waiters = self.waiters.lock();
            let reader = if ready & (READABLE | SHUTDOWN) != 0 { waiters.reader.take() } else { (None, Vec::new()) };
            let writer = if ready & (WRITABLE | SHUTDOWN) != 0 { waiters.writer.take() } else { (None, Vec::new()) };
            (reader, writer)
        };
        for (first, overflow) in [reader, writer] {
            first.into_iter().chain(overflow).for_each(Waker::wake);
        }
    }

    fn ready_event(&self, dir: Direction) -> Option<ReadyEvent> {
        let cur = self.readiness.load(Ordering::SeqCst);
        let ready = cur & (dir.mask() | SHUTDOWN);
        (ready != 0).then_some(ReadyEvent { tick: (cur >> TICK_SHIFT) & TICK_MASK, ready })
    }

    /// Rules 2 and 3: `Ready` with the readiness to act on, or `Pending`
    /// with `cx`'s waker stored — under `key` if the caller keeps one (and
    /// will call [`remove_waiter`](Self::remove_waiter) when it gives up).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        key: Option<&mut Option<WaiterKey>>,
    ) -> Poll<ReadyEvent> {
        if let Some(ev) = self.ready_event(dir) {
            return Poll::Ready(ev);
        }
        {
            let mut waiters = self.waiters.lock();
            let slot = match dir {
                Direction::Read => &mut waiters.reader,
                Direction::Write => &mut waiters.writer,
            };
            match key {
                Some(key) => slot.register_keyed(cx.waker(), key),
                None => slot.register_unkeyed(cx.waker()),
            }
        }
        match self.ready_event(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// A keyed waiter gave up (its future was dropped): forget its waker.
    pub(crate) fn remove_waiter(&self, dir: Direction, key: WaiterKey) {
        let mut waiters = self.waiters.lock();
        match dir {
            Direction::Read => waiters.reader.remove(key),
            Direction::Write => waiters.writer.remove(key),
        }
    }

    /// Rule 2: clears `ev`'s direction bits unless an event came since.
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        let clear = ev.ready & (READABLE | WRITABLE);
        let _ = self.readiness.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
            if (cur >> TICK_SHIFT) & TICK_MASK != ev.tick {
                return None;
            }
            Some(cur & !clear)
        });
    }

    /// Marks the source dead (its driver is gone) and wakes everyone.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, Ordering::SeqCst);
        self.wake(SHUTDOWN);
    }

    /// The raw word (for the loom models).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn readiness(&self) -> usize {
        self.readiness.load(Ordering::SeqCst) & READY_MASK
    }
}
