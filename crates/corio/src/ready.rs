//! The completion queue behind every combinator (`gather`, `wait`,
//! `as_completed`, `TaskGroup`): waking one child costs O(1), and the parent
//! re-polls only the children that woke it.
//!
//! Each combinator drives its children through one call,
//! [`ReadySet::poll_woken`]: it takes the next child that woke the parent
//! and lets the combinator poll it with that child's own waker.
//!
//! # Protocol
//!
//! 1. Each child `i` has its own waker, built on its `Slot` (its index and
//!    its `queued` flag, the `QUEUED` bit of `Slot::state`), that the parent
//!    polls the child with (a child already finished may be polled with no
//!    waker instead: nothing is left to wake). Waking it pushes `i` onto the
//!    shared queue — unless `i` is already queued (its `queued` flag), so the
//!    queue never holds an index twice and never grows past the number of
//!    children.
//! 2. A push onto an empty queue takes the parent's waker (kept under the
//!    same lock) and wakes it after the lock; pushes onto a non-empty queue
//!    do not: the parent has been woken already and will take them together.
//! 3. The parent, in `poll_next`, stores its waker and takes every queued
//!    index under the lock, into a local FIFO (no waker is cloned or dropped
//!    under the lock). So a push after that either
//!    finds the queue empty and wakes the new waker (rule 2), or was taken.
//! 4. Before the parent polls child `i` it clears `i`'s `queued` flag, so a
//!    wake during or after that poll queues `i` again (rule 1).
//! 5. A new child starts queued (its index pushed by whoever adds it), so
//!    its first poll happens without any wake.
//! 6. `poll_next` stops handing out indices when the task's cooperative
//!    budget is spent: it wakes the parent and returns `Pending`, keeping
//!    the rest in the local FIFO. Nothing is re-scanned, so the total work is
//!    linear in the number of wake-ups.
//! 7. When `poll_next` finds nothing left to hand out but has handed out an
//!    index since it last returned `Pending`, it also wakes the parent
//!    itself before returning `Pending`. A task woken during its own poll
//!    is queued behind the runnable tasks (a yield), while a child's wake
//!    would run the parent next (corio-sched's LIFO slot): so children that are ready to run finish
//!    first and the parent takes their indices as one batch instead of
//!    running once per child. The next poll that finds nothing waits (no
//!    index was handed out since): one extra poll per batch at most, never
//!    a spin.
//!
//! # Memory
//!
//! A child costs no allocation of its own: the slots live in a few chunks
//! (one for a set made with all its children, about log₂ n for one that
//! grows), owned by `WakeQueue` and freed with it, and a child's waker is a
//! `RawWaker` whose data pointer is its slot and whose reference counts
//! are the `Arc<WakeQueue>`'s (rule 8). A set made with all its children
//! makes their chunk only when the first waker is needed: a combinator whose
//! children all finished before it looked at them (`gather` of quick tasks,
//! which polls a finished task without its waker) never makes it. At 4M
//! children that chunk was 64 MB, over glibc's mmap threshold, faulted in
//! afresh on every gather.
//!
//! 8. A child's waker holds one strong count of the `Arc<WakeQueue>` its slot
//!    points to, and `WakeQueue` owns the chunks: so a slot lives as long as
//!    any waker of it. A chunk never moves or shrinks once made.
//! 9. A released child's slot stays queued for good (`RELEASED | QUEUED`),
//!    so a late wake of a finished child pushes nothing.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, Range};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use parking_lot::Mutex;

/// [`Slot::state`]: the child's index is queued, or about to be (rule 1).
const QUEUED: u8 = 1;
/// [`Slot::state`]: the child was released (rule 9); set with `QUEUED`.
const RELEASED: u8 = 2;

/// The smallest chunk [`ReadySet::grow_to`] makes.
const MIN_CHUNK: usize = 8;

/// The part the children's wakers share with the parent.
#[derive(Debug, Default)]
struct WakeQueue {
    inner: Mutex<WakeQueueState>,
}

#[derive(Debug, Default)]
struct WakeQueueState {
    queue: Vec<usize>,
    parent: Option<Waker>,
    /// Every chunk of slots, freed when `WakeQueue` is (rule 8).
    chunks: Vec<Chunk>,
}

impl WakeQueue {
    /// Rules 1–2 (the flag was checked by the caller).
    fn push(&self, index: usize) {
        // The parent's waker is taken out, not cloned, under the lock (a
        // foreign waker's clone is user code); the parent stores it again
        // when it next takes the queue (rule 3).
        let waker = {
            let mut inner = self.inner.lock();
            inner.queue.push(index);
            if inner.queue.len() == 1 { inner.parent.take() } else { None }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for WakeQueue {
    fn drop(&mut self) {
        for chunk in self.inner.get_mut().chunks.drain(..) {
            let slots = std::ptr::slice_from_raw_parts_mut(chunk.slots.as_ptr(), chunk.len);
            // SAFETY: `slots` is the `Box<[Slot]>` that `Chunk::with_states` leaked,
            // freed only here, once: the last count of the `Arc<WakeQueue>` is
            // gone, so no waker or set can reach a slot any more (rule 8).
            drop(unsafe { Box::from_raw(slots) });
        }
    }
}

/// One child's part of its waker (rule 1): the waker's data pointer.
#[derive(Debug)]
struct Slot {
    /// `QUEUED` and `RELEASED`.
    state: AtomicU8,
    /// The child's index (`u32`, so a slot is 16 bytes).
    index: u32,
    /// The `WakeQueue` that owns this slot's chunk (`Arc::as_ptr` of the set's
    /// `Arc`); every waker of this slot holds a strong count of it (rule 8).
    shared: *const WakeQueue,
}

impl Slot {
    /// Rule 1: queues the child unless it is queued already (or released).
    fn wake(&self) {
        // ORDERING: the flag only de-duplicates pushes; the index itself is
        // published under the queue's mutex, which orders everything else.
        if self.state.fetch_or(QUEUED, Ordering::Relaxed) & QUEUED == 0 {
            // SAFETY: a slot is only reached through a waker of it or
            // through its set, and either keeps `shared` alive (rule 8).
            unsafe { &*self.shared }.push(self.index as usize);
        }
    }
}

/// The slots of children `start..start + len`, allocated together and never
/// moved (rule 8): a plain pointer, owned by `WakeQueueState::chunks` and copied into
/// `ReadySet::chunks` for lookups without the lock.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: usize,
    len: usize,
    slots: NonNull<Slot>,
}

// SAFETY: the slots a `Chunk` points to are written once, before any other
// thread can reach them; after that they are only read through `&Slot`,
// whose one mutable field is atomic and whose `shared` is a `Send + Sync`
// `WakeQueue`.
unsafe impl Send for Chunk {}
// SAFETY: as for `Send`.
unsafe impl Sync for Chunk {}

impl Chunk {
    /// Allocates the slots of children `start..start + len` (`len > 0`),
    /// each starting with `state`.
    fn new(shared: &Arc<WakeQueue>, start: usize, len: usize, state: u8) -> Chunk {
        Chunk::with_states(shared, start, len, |_| state)
    }

    /// As [`Chunk::new`], child `i` starting with `state(i)`.
    fn with_states(shared: &Arc<WakeQueue>, start: usize, len: usize, state: impl Fn(usize) -> u8) -> Chunk {
        let ptr = Arc::as_ptr(shared);
        let slots: Box<[Slot]> = (start..start + len)
            .map(|index| Slot { state: AtomicU8::new(state(index)), index: slot_index(index), shared: ptr })
            .collect();
        Chunk { start, len, slots: NonNull::from(Box::leak(slots)).cast() }
    }
}

// A slot is two words: a child costs 16 bytes of waker state.
const _: () = assert!(std::mem::size_of::<Slot>() == 16);

/// A child's index as a slot stores it.
fn slot_index(index: usize) -> u32 {
    u32::try_from(index).expect("more than 4,294,967,295 children in one combinator")
}

/// The vtable of the children's wakers: the data pointer is a `*const Slot`
/// and each waker holds one strong count of the slot's `Arc<WakeQueue>`
/// (rule 8).
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake_waker, wake_by_ref_waker, drop_waker);

/// # Safety
///
/// `data` is the slot of a waker made by this module that is still alive.
unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the caller's waker keeps the slot alive (rule 8).
    let slot = unsafe { &*data.cast::<Slot>() };
    // SAFETY: `slot.shared` came from `Arc::as_ptr`, and its count is at
    // least one: the caller's waker's own, or the set's (a borrowed waker).
    unsafe { Arc::increment_strong_count(slot.shared) };
    RawWaker::new(data, &VTABLE)
}

/// # Safety
///
/// As [`clone_waker`]; the waker is consumed.
unsafe fn wake_waker(data: *const ()) {
    // SAFETY: the caller's contract; the waker's count is released last.
    unsafe {
        wake_by_ref_waker(data);
        drop_waker(data);
    }
}

/// # Safety
///
/// As [`clone_waker`].
unsafe fn wake_by_ref_waker(data: *const ()) {
    // SAFETY: the caller's waker keeps the slot alive (rule 8).
    unsafe { &*data.cast::<Slot>() }.wake();
}

/// # Safety
///
/// As [`clone_waker`], and the waker owns a count (it is not a borrowed one,
/// see [`ReadySet::waker_ref`]); the waker is consumed.
unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker keeps the slot alive until its count is released.
    let shared = unsafe { (*data.cast::<Slot>()).shared };
    // SAFETY: releases the count this waker owns (taken by `clone_waker`).
    // The slot is not touched after: the last count frees its chunk.
    unsafe { Arc::decrement_strong_count(shared) };
}

/// A child's waker lent for one poll: it holds no count (the set keeps the
/// slot alive meanwhile), so it is never dropped; a clone takes its own.
struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    set: PhantomData<&'a ReadySet>,
}

impl Deref for WakerRef<'_> {
    type Target = Waker;

    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// The parent's side: the children's slots and the local FIFO of indices
/// to poll next.
#[derive(Debug)]
pub(crate) struct ReadySet {
    shared: Arc<WakeQueue>,
    /// Copies of `WakeQueueState::chunks`, in index order from 0 (the set keeps them
    /// alive through `shared`).
    chunks: Vec<Chunk>,
    /// Children `0..len` exist; the last chunk may hold spare slots. While
    /// `len > 0` and there is no chunk yet, the set was made with its
    /// children and their chunk waits for the first waker (`is_lazy`).
    len: usize,
    /// The local FIFO (rule 3): the first children not yet handed out (rule
    /// 5), then `local[next..]`.
    fresh: Range<usize>,
    local: Vec<usize>,
    next: usize,
    /// An index was handed out since `poll_next` last returned `Pending`
    /// (rule 7).
    progressed: bool,
}

impl ReadySet {
    /// A set of `n` children, all queued for their first poll (rule 5).
    /// Their slots are made when the first waker is (`materialize`).
    pub(crate) fn new(n: usize) -> ReadySet {
        // Too many children is refused here, not at the first waker.
        if n > 0 {
            let _ = slot_index(n - 1);
        }
        let shared = Arc::new(WakeQueue::default());
        let (chunks, local) = (Vec::new(), Vec::new());
        ReadySet { shared, chunks, len: n, fresh: 0..n, local, next: 0, progressed: false }
    }

    /// Children exist but their chunk is not made yet (the module's
    /// "Memory"): only a set made with its children is ever in this state,
    /// since `grow_to` makes a chunk whenever it adds children.
    fn is_lazy(&self) -> bool {
        self.len > 0 && self.chunks.is_empty()
    }

    /// Makes the slots of a set made with its children, in the state they
    /// would have had from the start: the children handed out so far not
    /// queued (`poll_next` clears the flag as it hands one out, rule 4), the
    /// rest queued for their first poll (rule 5). Until now no waker
    /// existed, so nothing else can have changed a slot.
    fn materialize(&mut self) {
        if !self.is_lazy() {
            return;
        }
        let handed_out = self.fresh.start;
        let chunk = Chunk::with_states(&self.shared, 0, self.len, |i| if i < handed_out { 0 } else { QUEUED });
        self.shared.inner.lock().chunks.push(chunk);
        self.chunks.push(chunk);
    }

    /// For children added by other threads (a `TaskGroupHandle`): they
    /// announce their index through it to get their first poll.
    pub(crate) fn remote(&self) -> RemoteSet {
        RemoteSet { shared: self.shared.clone() }
    }

    /// Makes slots for children `len()..len` (announced through a
    /// [`RemoteSet`]). They start *not* queued even though the announcing
    /// push may still be in the queue: `poll_next` may already have handed
    /// that index out, and a duplicate index is harmless (the parent skips
    /// finished children) while a lost wake-up is not. Spare slots are made
    /// ahead (chunks at least double), so growing one by one allocates
    /// O(log n) times.
    pub(crate) fn grow_to(&mut self, len: usize) {
        self.materialize();
        let covered = self.chunks.last().map_or(0, |c| c.start + c.len);
        if len > covered {
            let size = (len - covered).max(covered).max(MIN_CHUNK);
            let chunk = Chunk::new(&self.shared, covered, size, 0);
            self.shared.inner.lock().chunks.push(chunk);
            self.chunks.push(chunk);
        }
        // Spare slots were made not queued and had no waker yet: they are
        // as new.
        self.len = self.len.max(len);
    }

    /// Child `index`'s slot, if it exists.
    fn slot(&self, index: usize) -> Option<&Slot> {
        if index >= self.len || self.chunks.is_empty() {
            return None;
        }
        // The chunks cover `0..len` in order, the first from 0 (and the only
        // one unless the set grew).
        let chunk = match self.chunks.first() {
            Some(first) if index < first.len => first,
            _ => &self.chunks[self.chunks.partition_point(|c| c.start <= index) - 1],
        };
        // SAFETY: `index - start < len` of this chunk, whose slots live as
        // long as `self.shared` (rule 8).
        Some(unsafe { &*chunk.slots.as_ptr().add(index - chunk.start) })
    }

    /// The next child to poll (rule 3, 4, 6, 7), or `Pending` once there
    /// is none (the parent will be woken) or the budget is spent.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<usize> {
        if self.fresh.is_empty() && self.next == self.local.len() {
            self.refill(cx.waker());
            if self.local.is_empty() {
                if std::mem::take(&mut self.progressed) {
                    corio_sched::coop::yield_task(cx.waker());
                }
                return Poll::Pending;
            }
        }
        if !corio_sched::coop::has_budget_remaining() {
            corio_sched::coop::yield_task(cx.waker());
            self.progressed = false;
            return Poll::Pending;
        }
        self.progressed = true;
        let index = self.fresh.next().unwrap_or_else(|| {
            self.next += 1;
            self.local[self.next - 1]
        });
        if let Some(slot) = self.slot(index)
            // ORDERING: only the parent sets `RELEASED` (rule 9).
            && slot.state.load(Ordering::Relaxed) & RELEASED == 0
        {
            // ORDERING: see `Slot::wake`; the poll that follows re-registers
            // the waker, so a wake after this store re-queues.
            slot.state.store(0, Ordering::Relaxed);
        }
        Poll::Ready(index)
    }

    /// Polls the children that woke the parent, in the order they woke it:
    /// hands each to `visit` as a [`Woken`] (its index, and
    /// [`Woken::poll`] to poll it with its own waker) until `visit` returns
    /// `Ready`, and returns that. `Pending` from `visit` means "not finished
    /// (or nothing to poll), go on to the next one"; `Pending` from here
    /// means no woken child is left (the parent will be woken) or the
    /// budget is spent (see [`poll_next`](ReadySet::poll_next)).
    #[inline]
    pub(crate) fn poll_woken<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut visit: impl FnMut(Woken<'_>) -> Poll<R>,
    ) -> Poll<R> {
        loop {
            let index = std::task::ready!(self.poll_next(cx));
            if let Poll::Ready(r) = visit(Woken { index, set: self }) {
                return Poll::Ready(r);
            }
        }
    }

    /// Rule 3: swaps the (drained) local FIFO with the queue, so both keep
    /// their capacity and nothing is copied under the lock. Out of line:
    /// it runs once per batch of wakes, and keeps `poll_next` small.
    #[inline(never)]
    fn refill(&mut self, waker: &Waker) {
        self.local.clear();
        self.next = 0;
        // Cloned before the lock and the old one dropped after it: a foreign
        // waker's clone and drop are user code.
        let mut spare = Some(waker.clone());
        {
            let mut inner = self.shared.inner.lock();
            if !inner.parent.as_ref().is_some_and(|w| w.will_wake(waker)) {
                std::mem::swap(&mut inner.parent, &mut spare);
            }
            std::mem::swap(&mut self.local, &mut inner.queue);
        }
        drop(spare);
    }

    /// The waker child `index` must be polled with, lent (see [`WakerRef`]).
    ///
    /// # Panics
    ///
    /// If the child was released, or does not exist.
    fn waker_ref(&mut self, index: usize) -> WakerRef<'_> {
        self.materialize();
        let slot = self
            .slot(index)
            // ORDERING: only the parent sets `RELEASED` (rule 9).
            .filter(|s| s.state.load(Ordering::Relaxed) & RELEASED == 0)
            .expect("polled a released child");
        let raw = RawWaker::new(std::ptr::from_ref(slot).cast(), &VTABLE);
        // SAFETY: `VTABLE`'s contract holds for `slot` while `self` lives
        // (rule 8), and `WakerRef` borrows `self`; it never drops the waker,
        // which owns no count.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        WakerRef { waker, set: PhantomData }
    }

    /// An owned waker of child `index` (it takes a count).
    #[cfg(test)]
    fn waker(&mut self, index: usize) -> Waker {
        Waker::clone(&self.waker_ref(index))
    }

    /// Child `index` is finished and will not be polled again: its slot
    /// stays queued for good, so its wakes push nothing (rule 9).
    pub(crate) fn release(&mut self, index: usize) {
        self.materialize();
        if let Some(slot) = self.slot(index) {
            // ORDERING: only the parent writes `RELEASED`; `QUEUED` stays set
            // whatever a racing `Slot::wake` does.
            slot.state.store(RELEASED | QUEUED, Ordering::Relaxed);
        }
    }
}

/// A child that woke the parent, handed out by [`ReadySet::poll_woken`].
#[derive(Debug)]
pub(crate) struct Woken<'a> {
    index: usize,
    set: &'a mut ReadySet,
}

impl Woken<'_> {
    /// The child's index.
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Runs `poll` with a context that carries the child's own waker, so
    /// whatever it polls wakes the parent through this child's index.
    ///
    /// # Panics
    ///
    /// If the child was released (see [`ReadySet::waker_ref`]).
    #[inline]
    pub(crate) fn poll<T>(&mut self, poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        let waker = self.set.waker_ref(self.index);
        poll(&mut Context::from_waker(&waker))
    }

    /// [`ReadySet::grow_to`], for children that learn of new siblings while
    /// being visited (a `TaskGroup` taking its incoming tasks).
    pub(crate) fn grow_to(&mut self, len: usize) {
        self.set.grow_to(len);
    }
}

/// Lets another thread announce a new child to the parent (rule 5).
#[derive(Debug, Clone)]
pub(crate) struct RemoteSet {
    shared: Arc<WakeQueue>,
}

impl RemoteSet {
    /// Queues the new child `index` for its first poll.
    pub(crate) fn announce(&self, index: usize) {
        self.shared.push(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_queue_each_index_once() {
        let mut set = ReadySet::new(3);
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, [0, 1, 2]);
        let w2 = set.waker(2);
        w2.wake_by_ref();
        w2.wake_by_ref();
        set.waker(0).wake();
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, [2, 0]);
    }

    #[test]
    fn slots_are_made_only_when_a_waker_is() {
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        // Every child handed out and none polled with its waker (they had
        // finished): no slot was ever made.
        let mut set = ReadySet::new(1000);
        let mut seen = 0;
        while set.poll_next(&mut cx).is_ready() {
            seen += 1;
        }
        assert_eq!(seen, 1000);
        assert!(set.is_lazy() && set.shared.inner.lock().chunks.is_empty());
        // Made midway: children handed out so far are not queued, the rest
        // are queued for their first poll, as if made at the start.
        let mut set = ReadySet::new(4);
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(0));
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(1));
        let w1 = set.waker(1);
        assert!(!set.is_lazy() && set.chunks.len() == 1);
        w1.wake_by_ref();
        set.waker(0).wake();
        w1.wake_by_ref();
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, [2, 3, 1, 0]);
        // Growing a lazy set makes its chunk first.
        let mut set = ReadySet::new(2);
        set.grow_to(5);
        assert!(!set.is_lazy());
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, [0, 1], "grown children are announced, not queued");
        set.waker(4).wake();
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(4));
    }

    #[test]
    fn poll_woken_skips_pending_children_and_polls_with_their_waker() {
        let mut set = ReadySet::new(3);
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        let mut visited = Vec::new();
        // Child 0 is not ready, child 1 is: 1 is handed back, 2 stays queued.
        let got = set.poll_woken(&mut cx, |mut child| {
            let i = child.index();
            visited.push(i);
            child.poll(|cx| {
                // The context carries the child's own waker, not the parent's.
                assert!(!cx.waker().will_wake(noop));
                if i == 1 { Poll::Ready(i * 10) } else { Poll::Pending }
            })
        });
        assert_eq!(got, Poll::Ready(10));
        assert_eq!(visited, [0, 1]);
        // The rest, then nothing: `Pending` once no woken child is left.
        let got = set.poll_woken(&mut cx, |child| Poll::Ready(child.index()));
        assert_eq!(got, Poll::Ready(2));
        assert_eq!(set.poll_woken(&mut cx, |child| Poll::Ready(child.index())), Poll::Pending);
        // A wake through the waker a child was polled with queues that child.
        let mut saved = None;
        set.waker(0).wake();
        let _ = set.poll_woken(&mut cx, |mut child| {
            saved = Some(child.poll(|cx| Poll::Ready(cx.waker().clone())));
            Poll::<()>::Pending
        });
        if let Some(Poll::Ready(w)) = saved {
            w.wake();
        }
        assert_eq!(set.poll_woken(&mut cx, |child| Poll::Ready(child.index())), Poll::Ready(0));
    }

    #[test]
    fn grown_children_get_slots_across_chunks_and_released_ones_stay_quiet() {
        let mut set = ReadySet::new(0);
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        assert_eq!(set.poll_next(&mut cx), Poll::Pending);
        let remote = set.remote();
        // Grown one by one, as a `TaskGroup` does: several chunks.
        for i in 0..100 {
            remote.announce(i);
            set.grow_to(i + 1);
        }
        assert!(set.chunks.len() > 1);
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        // Each index in every chunk wakes as itself, once.
        let wakers: Vec<Waker> = (0..100).map(|i| set.waker(i)).collect();
        for w in wakers.iter().rev() {
            w.wake_by_ref();
            w.wake_by_ref();
        }
        let mut seen = Vec::new();
        while let Poll::Ready(i) = set.poll_next(&mut cx) {
            seen.push(i);
        }
        assert_eq!(seen, (0..100).rev().collect::<Vec<_>>());
        // A released child's wakes push nothing.
        set.release(7);
        wakers[7].wake_by_ref();
        assert_eq!(set.poll_next(&mut cx), Poll::Pending);
        wakers[8].wake_by_ref();
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(8));
        // Wakers outlive the set: the slots stay valid until the last one.
        drop(set);
        drop(remote);
        for w in wakers {
            let clone = w.clone();
            w.wake();
            clone.wake_by_ref();
            drop(clone);
        }
    }

    #[test]
    #[should_panic(expected = "polled a released child")]
    fn polling_a_released_child_panics() {
        let mut set = ReadySet::new(2);
        set.release(1);
        let _ = set.waker(1);
    }

    #[test]
    fn an_empty_poll_after_progress_yields_once_then_waits() {
        use std::sync::atomic::AtomicUsize;

        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let parent = Waker::from(count.clone());
        let mut cx = Context::from_waker(&parent);
        let mut set = ReadySet::new(2);
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(0));
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(1));
        // Indices were handed out: the empty poll wakes the parent (rule 7).
        assert_eq!(set.poll_next(&mut cx), Poll::Pending);
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        // None since: it waits for a child's wake.
        assert_eq!(set.poll_next(&mut cx), Poll::Pending);
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        set.waker(1).wake();
        assert_eq!(count.0.load(Ordering::Relaxed), 2);
        assert_eq!(set.poll_next(&mut cx), Poll::Ready(1));
        assert_eq!(set.poll_next(&mut cx), Poll::Pending);
        assert_eq!(count.0.load(Ordering::Relaxed), 3);
    }
}
