//! One registered source's readiness and waiters.
//!
//! # The readiness word
//!
//! | bits    | meaning                                              |
//! |---------|------------------------------------------------------|
//! | 0       | `READABLE`: a read may not block                     |
//! | 1       | `WRITABLE`: a write may not block                    |
//! | 2       | `SHUTDOWN`: the driver is gone; never cleared        |
//! | 3       | `READ_CLOSED`: the peer closed its half (or hung up) |
//! | 4       | `WRITE_CLOSED`: the connection hung up               |
//! | 5..64   | tick: the reactor poll that last set readiness       |
//!
//! The tick has 59 bits (a `u64` word on every platform): at a million
//! polls a second it wraps after 18,000 years, so the ABA of rule 2 (a
//! clear that read tick `t` succeeding after exactly 2^61 more polls) cannot
//! happen. Under loom it has 2 bits, so the models exercise the wrap.
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
//!    never lost by a stale clear. A read or write that moved fewer bytes
//!    than asked drained (or filled) the socket's buffer: it clears the
//!    same way without the extra `WouldBlock` syscall, but keeps the
//!    `*_CLOSED` bits — data and the peer's FIN can arrive in one edge, and
//!    the EOF after the short read would otherwise wait for an edge that
//!    never comes. (Only a `WouldBlock` clears a closed bit: then nothing
//!    is left to read, and a stuck bit would spin the operation.)
//! 3. A waiter stores its waker under the `waiters` mutex and re-reads the
//!    word before it returns `Pending`; the reactor takes wakers under the
//!    same mutex after its update (rule 1). Either the waiter sees the new
//!    bits or the reactor sees the waker: no lost wake-up. Wakers are woken
//!    (and replaced wakers dropped) after the mutex is released, each
//!    behind `catch_unwind`: a panicking waker is reported and the others
//!    are still woken.
//! 4. Keyed waiters (socket futures, any number per direction) sit in a
//!    slab and take their entry out when dropped. A wake takes them all and
//!    bumps the slot's generation, so a key handed out before can no longer
//!    remove a newer waiter that reuses its index.
//! 5. Unkeyed waiters (the `AsyncRead`/`AsyncWrite`/`poll_accept` poll
//!    functions, which have no state to keep a key in, so nothing tells the
//!    source when they give up) sit in a bounded FIFO of `UNKEYED_MAX`
//!    wakers per direction. A waker that is already there (`will_wake`)
//!    moves to the back; when the FIFO is full the oldest waker is evicted
//!    and *woken*: if its task still waits it polls again and re-registers
//!    (never a lost wake-up); if it gave up, the wake is a no-op. So tasks
//!    that poll a shared idle stream and give up leave at most
//!    `UNKEYED_MAX` wakers behind, and registering is O(`UNKEYED_MAX`).
//!    (tokio keeps one waker per direction for its poll functions and drops
//!    the previous one silently; more than `UNKEYED_MAX` tasks polling one
//!    direction at once cost spurious wake-ups here, never a hang.)

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::catch::wake_caught;
use crate::loom::{AtomicU64, Mutex, Ordering};

pub(crate) const READABLE: usize = 0b001;
pub(crate) const WRITABLE: usize = 0b010;
pub(crate) const SHUTDOWN: usize = 0b100;
pub(crate) const READ_CLOSED: usize = 0b1000;
pub(crate) const WRITE_CLOSED: usize = 0b1_0000;
const READY_MASK: u64 = 0b1_1111;
const TICK_SHIFT: u32 = 5;
/// The tick's width: 59 bits, or 2 under loom (wrap-around models).
#[cfg(not(corio_loom))]
pub(crate) const TICK_MASK: u64 = u64::MAX >> TICK_SHIFT;
#[cfg(corio_loom)]
pub(crate) const TICK_MASK: u64 = 0b11;

/// Rule 5: unkeyed wakers kept per direction.
#[cfg(not(corio_loom))]
pub(crate) const UNKEYED_MAX: usize = 8;
#[cfg(corio_loom)]
pub(crate) const UNKEYED_MAX: usize = 1;

/// Which half of a source an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
        }
    }
}

/// Readiness seen by an operation, to be cleared if its syscall blocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: u64,
    ready: usize,
}

impl ReadyEvent {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.ready & SHUTDOWN != 0
    }

    #[cfg(all(test, corio_loom))]
    pub(crate) fn tick(&self) -> u64 {
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

/// The wakers waiting for one direction (rules 4 and 5).
#[derive(Debug, Default)]
struct Slot {
    keyed: Slab<Waker>,
    generation: u64,
    unkeyed: VecDeque<Waker>,
}

/// Wakers taken out under the `waiters` mutex, to wake (or drop) after it
/// is released. Allocates only for a second waker.
#[derive(Default)]
struct Taken {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Taken {
    fn push(&mut self, waker: Waker) {
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.rest.push(waker),
        }
    }

    /// Rule 3: wakes each waker, reporting a panicking one and going on.
    fn wake_all(self) {
        self.first.into_iter().chain(self.rest).for_each(wake_caught);
    }
}

impl Slot {
    /// Rule 4: a keyed waiter's entry is updated in place. Returns the
    /// waker it replaced, to drop after the lock.
    fn register_keyed(&mut self, waker: &Waker, key: &mut Option<WaiterKey>) -> Option<Waker> {
        if let Some(k) = *key
            && k.generation == self.generation
            && let Some(w) = self.keyed.get_mut(k.index)
        {
            if w.will_wake(waker) {
                return None;
            }
            return Some(std::mem::replace(w, waker.clone()));
        }
        *key = Some(WaiterKey { index: self.keyed.insert(waker.clone()), generation: self.generation });
        None
    }

    /// Rule 5: returns the waker to wake after the lock (an evicted one) or
    /// to drop (the old copy of a re-registered one).
    fn register_unkeyed(&mut self, waker: &Waker) -> Option<Waker> {
        if let Some(i) = self.unkeyed.iter().position(|w| w.will_wake(waker)) {
            let w = self.unkeyed.remove(i).expect("index from position");
            self.unkeyed.push_back(w);
            return None;
        }
        let evicted = if self.unkeyed.len() >= UNKEYED_MAX { self.unkeyed.pop_front() } else { None };
        self.unkeyed.push_back(waker.clone());
        evicted
    }

    fn remove(&mut self, key: WaiterKey) -> Option<Waker> {
        if key.generation == self.generation { self.keyed.try_remove(key.index) } else { None }
    }

    /// Rule 4: takes every waker and bumps the generation.
    fn take(&mut self, into: &mut Taken) {
        if !self.keyed.is_empty() {
            self.generation += 1;
            self.keyed.drain().for_each(|w| into.push(w));
        }
        self.unkeyed.drain(..).for_each(|w| into.push(w));
    }

    fn len(&self) -> usize {
        self.keyed.len() + self.unkeyed.len()
    }
}

#[derive(Debug, Default)]
struct Waiters {
    reader: Slot,
    writer: Slot,
}

impl Waiters {
    fn slot(&mut self, dir: Direction) -> &mut Slot {
        match dir {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

/// A registered source's readiness word and waiter slots.
#[derive(Debug)]
pub(crate) struct ScheduledIo {
    readiness: AtomicU64,
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
            readiness: AtomicU64::new((READABLE | WRITABLE) as u64),
            waiters: Mutex::new(Waiters::default()),
            index,
            generation,
        }
    }

    /// Rule 1: an event of poll number `tick` (the reactor does the two
    /// halves apart, waking after its lock; the loom models use this).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn set_readiness(&self, tick: u64, ready: usize) {
        self.mark_ready(tick, ready);
        self.wake(ready);
    }

    /// Rule 1, the update only (the reactor wakes after its lock).
    pub(crate) fn mark_ready(&self, tick: u64, ready: usize) {
        let stamp = (tick & TICK_MASK) << TICK_SHIFT;
        let ready = ready as u64 & READY_MASK;
        let _ = self
            .readiness
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| Some(stamp | (cur & READY_MASK) | ready));
    }

    /// Rule 3: wakes the waiters of the directions in `ready`.
    pub(crate) fn wake(&self, ready: usize) {
        let mut taken = Taken::default();
        {
            let mut waiters = self.waiters.lock();
            if ready & (Direction::Read.mask() | SHUTDOWN) != 0 {
                waiters.reader.take(&mut taken);
            }
            if ready & (Direction::Write.mask() | SHUTDOWN) != 0 {
                waiters.writer.take(&mut taken);
            }
        }
        taken.wake_all();
    }

    fn ready_event(&self, dir: Direction) -> Option<ReadyEvent> {
        let cur = self.readiness.load(Ordering::SeqCst);
        let ready = cur as usize & (dir.mask() | SHUTDOWN);
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
        let (replaced, evicted) = {
            let mut waiters = self.waiters.lock();
            let slot = waiters.slot(dir);
            match key {
                Some(key) => (slot.register_keyed(cx.waker(), key), None),
                None => (None, slot.register_unkeyed(cx.waker())),
            }
        };
        drop(replaced);
        if let Some(w) = evicted {
            wake_caught(w);
        }
        match self.ready_event(dir) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// A keyed waiter gave up (its future was dropped): forget its waker.
    pub(crate) fn remove_waiter(&self, dir: Direction, key: WaiterKey) {
        let removed = self.waiters.lock().slot(dir).remove(key);
        drop(removed);
    }

    /// How many wakers wait in direction `dir` (tests: rule 5's bound).
    pub(crate) fn waiter_count(&self, dir: Direction) -> usize {
        self.waiters.lock().slot(dir).len()
    }

    /// Rule 2: the operation would block: clears `ev`'s direction bits
    /// unless an event came since.
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        self.clear(ev, (ev.ready & !SHUTDOWN) as u64);
    }

    /// Rule 2: the operation moved fewer bytes than asked: clears `ev`'s
    /// direction but not the peer's close, unless an event came since.
    pub(crate) fn clear_drained(&self, ev: ReadyEvent) {
        self.clear(ev, (ev.ready & (READABLE | WRITABLE)) as u64);
    }

    fn clear(&self, ev: ReadyEvent, clear: u64) {
        let _ = self.readiness.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
            if (cur >> TICK_SHIFT) & TICK_MASK != ev.tick {
                return None;
            }
            Some(cur & !clear)
        });
    }

    /// Marks the source dead (its driver is gone) and wakes everyone.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN as u64, Ordering::SeqCst);
        self.wake(SHUTDOWN);
    }

    /// The raw ready bits (for the loom models).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn readiness(&self) -> usize {
        (self.readiness.load(Ordering::SeqCst) & READY_MASK) as usize
    }

    /// The raw tick (for the loom models).
    #[cfg(all(test, corio_loom))]
    pub(crate) fn tick(&self) -> u64 {
        (self.readiness.load(Ordering::SeqCst) >> TICK_SHIFT) & TICK_MASK
    }
}

#[cfg(all(test, not(corio_loom)))]
mod tests {
    use super::*;

    /// Rule 2 after 2^16 polls during one attempt (the old 16-bit tick wrapped to the same
    /// value there, so the stale clear wiped the fresh edge and the connection hung).
    #[test]
    fn a_stale_clear_after_two_to_the_sixteen_polls_keeps_the_fresh_edge() {
        let io = ScheduledIo::new(0, 0);
        io.mark_ready(1, READABLE);
        let ev = io.ready_event(Direction::Read).expect("readable");
        io.mark_ready(1 + (1 << 16), READABLE);
        io.clear_readiness(ev);
        assert!(io.ready_event(Direction::Read).is_some(), "a fresh edge was wiped by a stale clear");
        // The tick is as wide as promised: 2^58 polls on, a stale clear still fails.
        let ev = io.ready_event(Direction::Read).unwrap();
        io.mark_ready(ev.tick + (1 << 58), READABLE);
        io.clear_readiness(ev);
        assert!(io.ready_event(Direction::Read).is_some());
    }
}
