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

#[derive(Debug, Default)]
struct Slot {
    first: Option<Waker>,
    overflow: Vec<Waker>,
}

impl Slot {
    fn register(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(w) if w.will_wake(waker) => {}
            Some(_) => {
                if !self.overflow.iter().any(|w| w.will_wake(waker)) {
                    self.overflow.push(waker.clone());
                }
            }
        }
    }

    fn take(&mut self) -> (Option<Waker>, Vec<Waker>) {
        let overflow = if self.overflow.is_empty() { Vec::new() } else { std::mem::take(&mut self.overflow) };
        (self.first.take(), overflow)
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
    /// with `cx`'s waker stored.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<ReadyEvent> {
        if let Some(ev) = self.ready_event(dir) {
            return Poll::Ready(ev);
        }
        {
            let mut waiters = self.waiters.lock();
            match dir {
                Direction::Read => waiters.reader.register(cx.waker()),
                Direction::Write => waiters.writer.register(cx.waker()),
            }
        }
        match self.ready_event(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
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
