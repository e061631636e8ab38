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
//! 1. Each child `i` has its own waker, a `ChildWaker { index: i }`, that the
//!    parent polls the child with. Waking it pushes `i` onto the shared queue
//!    — unless `i` is already queued (its `queued` flag), so the queue never
//!    holds an index twice and never grows past the number of children.
//! 2. A push onto an empty queue wakes the parent's waker (taken from the
//!    slot under the same lock); pushes onto a non-empty queue do not: the
//!    parent has been woken already and will take them together.
//! 3. The parent, in `poll_next`, stores its waker and takes every queued
//!    index under the lock, into a local FIFO. So a push after that either
//!    finds the queue empty and wakes the new waker (rule 2), or was taken.
//! 4. Before the parent polls child `i` it clears `i`'s `queued` flag, so a
//!    wake during or after that poll queues `i` again (rule 1).
//! 5. A new child starts queued (its index pushed by whoever adds it), so
//!    its first poll happens without any wake.
//! 6. `poll_next` stops handing out indices when the task's cooperative
//!    budget is spent: it wakes the parent and returns `Pending`, keeping
//!    the rest in the local FIFO. Nothing is re-scanned, so the total work is
//!    linear in the number of wake-ups.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use parking_lot::Mutex;

/// The part the children's wakers share with the parent.
#[derive(Debug, Default)]
struct WakeQueue {
    inner: Mutex<WakeQueueState>,
}

#[derive(Debug, Default)]
struct WakeQueueState {
    queue: Vec<usize>,
    parent: Option<Waker>,
}

impl WakeQueue {
    /// Rules 1–2 (the flag was checked by the caller).
    fn push(&self, index: usize) {
        let waker = {
            let mut inner = self.inner.lock();
            inner.queue.push(index);
            if inner.queue.len() == 1 { inner.parent.clone() } else { None }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The waker a child is polled with (rule 1).
#[derive(Debug)]
struct ChildWaker {
    index: usize,
    queued: AtomicBool,
    shared: Arc<WakeQueue>,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // ORDERING: the flag only de-duplicates pushes; the index itself is
        // published under the queue's mutex, which orders everything else.
        if !self.queued.swap(true, Ordering::Relaxed) {
            self.shared.push(self.index);
        }
    }
}

/// The parent's side: the children's wakers and the local FIFO of indices
/// to poll next.
#[derive(Debug)]
pub(crate) struct ReadySet {
    shared: Arc<WakeQueue>,
    /// `None` once a child is released (finished and seen by the parent).
    wakers: Vec<Option<Arc<ChildWaker>>>,
    local: VecDeque<usize>,
}

impl ReadySet {
    /// A set of `n` children, all queued for their first poll (rule 5).
    pub(crate) fn new(n: usize) -> ReadySet {
        let mut set = ReadySet { shared: Arc::default(), wakers: Vec::with_capacity(n), local: VecDeque::new() };
        for _ in 0..n {
            set.add();
        }
        set.local.extend(0..n);
        set
    }

    /// Makes the waker of the next child, already marked queued.
    fn add(&mut self) -> usize {
        let index = self.wakers.len();
        self.wakers.push(Some(Arc::new(ChildWaker {
            index,
            queued: AtomicBool::new(true),
            shared: self.shared.clone(),
        })));
        index
    }

    /// For children added by other threads (a `TaskGroupHandle`): they
    /// announce their index through it to get their first poll.
    pub(crate) fn remote(&self) -> RemoteSet {
        RemoteSet { shared: self.shared.clone() }
    }

    /// Makes wakers for children `len()..len` (announced through a
    /// [`RemoteSet`]). They start *not* queued even though the announcing
    /// push may still be in the queue: `poll_next` may already have handed
    /// that index out, and a duplicate index is harmless (the parent skips
    /// finished children) while a lost wake-up is not.
    pub(crate) fn grow_to(&mut self, len: usize) {
        while self.wakers.len() < len {
            let index = self.wakers.len();
            self.wakers.push(Some(Arc::new(ChildWaker {
                index,
                queued: AtomicBool::new(false),
                shared: self.shared.clone(),
            })));
        }
    }

    /// The next child to poll (rule 3, 4, 6), or `Pending` once there is
    /// none (the parent will be woken) or the budget is spent.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<usize> {
        if self.local.is_empty() {
            self.refill(cx.waker());
            if self.local.is_empty() {
                return Poll::Pending;
            }
        }
        if !corio_sched::coop::has_budget_remaining() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let index = self.local.pop_front().expect("checked non-empty");
        if let Some(w) = self.wakers.get(index).and_then(Option::as_ref) {
            // ORDERING: see `ChildWaker::wake_by_ref`; the poll that follows
            // re-registers the waker, so a wake after this store re-queues.
            w.queued.store(false, Ordering::Relaxed);
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

    /// Rule 3.
    fn refill(&mut self, waker: &Waker) {
        let mut inner = self.shared.inner.lock();
        if !inner.parent.as_ref().is_some_and(|w| w.will_wake(waker)) {
            inner.parent = Some(waker.clone());
        }
        self.local.extend(inner.queue.drain(..));
    }

    /// The waker child `index` must be polled with.
    ///
    /// # Panics
    ///
    /// If the child was released.
    fn waker(&self, index: usize) -> Waker {
        Waker::from(self.wakers[index].clone().expect("polled a released child"))
    }

    /// Child `index` is finished and will not be polled again: free its
    /// waker (a long-lived parent keeps one word per child, not a waker).
    pub(crate) fn release(&mut self, index: usize) {
        if let Some(slot) = self.wakers.get_mut(index) {
            *slot = None;
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
    /// If the child was released (see [`ReadySet::waker`]).
    #[inline]
    pub(crate) fn poll<T>(&self, poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        let waker = self.set.waker(self.index);
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
    fn poll_woken_skips_pending_children_and_polls_with_their_waker() {
        let mut set = ReadySet::new(3);
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        let mut visited = Vec::new();
        // Child 0 is not ready, child 1 is: 1 is handed back, 2 stays queued.
        let got = set.poll_woken(&mut cx, |child| {
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
        let _ = set.poll_woken(&mut cx, |child| {
            saved = Some(child.poll(|cx| Poll::Ready(cx.waker().clone())));
            Poll::<()>::Pending
        });
        if let Some(Poll::Ready(w)) = saved {
            w.wake();
        }
        assert_eq!(set.poll_woken(&mut cx, |child| Poll::Ready(child.index())), Poll::Ready(0));
    }
}
