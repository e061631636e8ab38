//! The waiter list every primitive of this crate queues its waiters on.
//!
//! A [`WaitList`] lives inside a primitive's state, behind that primitive's (short, never held
//! across an `.await`) internal mutex. A waiting future owns a [`Key`] to its entry through a
//! [`Waiter`], which is where the cancel-safety logic lives, once for every primitive.
//!
//! # Protocol
//!
//! 1. An entry is created by the waiter (`push_back`) and freed only by the waiter: when it
//!    consumes its grant (`poll` returning `Ready`) or when it is dropped (`cancel`). A notifier
//!    never frees an entry, so a key is never reused while its waiter holds it.
//! 2. An entry is either *waiting* (queued, FIFO, holding the waiter's request `W`) or *notified*
//!    (off the queue, holding the grant `G` it was handed: a permit, an item, a wake-up).
//!    Notifying moves the head from waiting to notified; nothing moves back.
//! 3. A grant is handed over under the primitive's lock, so it belongs to the waiter from then
//!    on: a concurrent `try_*` cannot take it.
//! 4. A waiter dropped while waiting is unlinked; the primitive is told
//!    ([`Waitable::left`]) because the head leaving may let the next waiter through.
//! 5. A waiter dropped while notified returns its grant to the primitive
//!    ([`Waitable::give_back`]), which passes it on to the next waiter or takes it back. So a
//!    wake-up, permit or item is never lost by cancellation.
//! 6. Wakers are collected into a [`WakeList`] under the lock and woken after it is released,
//!    each behind `catch_unwind`: a panicking foreign waker is reported on stderr and the others
//!    are still woken.

use core::fmt;
use core::marker::PhantomData;
use core::task::{Context, Poll, Waker};

use crate::loom::Mutex;

const NIL: usize = usize::MAX;

/// The handle a waiter keeps to its entry (rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(usize);

enum Slot<W, G> {
    Waiting { waker: Option<Waker>, wait: W, prev: usize, next: usize },
    Notified(G),
    Vacant { next_free: usize },
}

/// What a cancelled entry held (rules 4 and 5).
#[must_use]
pub(crate) enum Removed<W, G> {
    /// The waiter was still queued with this request.
    Waiting(W),
    /// The waiter had been handed this grant.
    Notified(G),
}

/// A FIFO list of waiters stored in a slab: O(1) push, notify and cancel.
pub(crate) struct WaitList<W, G> {
    slots: Vec<Slot<W, G>>,
    head: usize,
    tail: usize,
    free: usize,
    waiting: usize,
}

impl<W, G> WaitList<W, G> {
    /// An empty list (does not allocate).
    pub(crate) const fn new() -> Self {
        Self { slots: Vec::new(), head: NIL, tail: NIL, free: NIL, waiting: 0 }
    }

    /// Whether no entry is waiting (notified entries do not count).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// How many entries are waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    /// Queues a new waiting entry at the back.
    pub(crate) fn push_back(&mut self, wait: W, waker: Option<Waker>) -> Key {
        let slot = Slot::Waiting { waker, wait, prev: self.tail, next: NIL };
        let idx = if self.free == NIL {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let idx = self.free;
            let Slot::Vacant { next_free } = self.slots[idx] else {
                unreachable!("free list points at an occupied slot")
            };
            self.free = next_free;
            self.slots[idx] = slot;
            idx
        };
        match self.tail {
            NIL => self.head = idx,
            t => self.set_next(t, idx),
        }
        self.tail = idx;
        self.waiting += 1;
        Key(idx)
    }

    /// The request of the first waiting entry.
    #[inline]
    pub(crate) fn front(&self) -> Option<&W> {
        match self.slots.get(self.head) {
            Some(Slot::Waiting { wait, .. }) => Some(wait),
            _ => None,
        }
    }

    /// Notifies the first waiting entry with `grant(request)`; `false` if none waits (rule 2).
    pub(crate) fn notify_front(&mut self, grant: impl FnOnce(W) -> G, wake: &mut WakeList) -> bool {
        if self.head == NIL {
            return false;
        }
        let idx = self.head;
        let (waker, wait) = self.unlink(idx);
        self.slots[idx] = Slot::Notified(grant(wait));
        if let Some(w) = waker {
            wake.push(w);
        }
        true
    }

    /// Notifies every waiting entry, in FIFO order; returns how many.
    pub(crate) fn notify_all(&mut self, mut grant: impl FnMut(W) -> G, wake: &mut WakeList) -> usize {
        let mut n = 0;
        while self.notify_front(&mut grant, wake) {
            n += 1;
        }
        n
    }

    /// The waiter's poll: its grant if notified (freeing the entry), else stores the new waker.
    pub(crate) fn poll(&mut self, key: Key, cx: &Context<'_>) -> Poll<G> {
        match &mut self.slots[key.0] {
            Slot::Waiting { waker, .. } => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Slot::Notified(_) => match self.vacate(key.0) {
                Slot::Notified(g) => Poll::Ready(g),
                _ => unreachable!(),
            },
            Slot::Vacant { .. } => unreachable!("polled a freed waiter entry"),
        }
    }

    /// Removes the entry of a dropped waiter and returns what it held (rules 4, 5).
    pub(crate) fn cancel(&mut self, key: Key) -> Removed<W, G> {
        if let Slot::Waiting { .. } = self.slots[key.0] {
            let (_, wait) = self.unlink(key.0);
            self.vacate(key.0);
            return Removed::Waiting(wait);
        }
        match self.vacate(key.0) {
            Slot::Notified(g) => Removed::Notified(g),
            _ => unreachable!("cancelled a freed waiter entry"),
        }
    }

    fn set_next(&mut self, idx: usize, to: usize) {
        if let Slot::Waiting { next, .. } = &mut self.slots[idx] {
            *next = to;
        }
    }

    fn set_prev(&mut self, idx: usize, to: usize) {
        if let Slot::Waiting { prev, .. } = &mut self.slots[idx] {
            *prev = to;
        }
    }

    /// Takes a waiting entry off the queue, leaving a placeholder the caller overwrites.
    fn unlink(&mut self, idx: usize) -> (Option<Waker>, W) {
        let slot = core::mem::replace(&mut self.slots[idx], Slot::Vacant { next_free: NIL });
        let Slot::Waiting { waker, wait, prev, next } = slot else {
            unreachable!("unlinked an entry that is not waiting")
        };
        match prev {
            NIL => self.head = next,
            p => self.set_next(p, next),
        }
        match next {
            NIL => self.tail = prev,
            n => self.set_prev(n, prev),
        }
        self.waiting -= 1;
        (waker, wait)
    }

    fn vacate(&mut self, idx: usize) -> Slot<W, G> {
        let old = core::mem::replace(&mut self.slots[idx], Slot::Vacant { next_free: self.free });
        self.free = idx;
        old
    }
}

impl<W, G> Default for WaitList<W, G> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W, G> fmt::Debug for WaitList<W, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList").field("waiting", &self.waiting).finish_non_exhaustive()
    }
}

/// Wakers collected under a lock, woken after it is released (rule 6).
pub(crate) struct WakeList {
    inline: [Option<Waker>; 4],
    len: usize,
    rest: Vec<Waker>,
}

impl WakeList {
    /// An empty list (does not allocate).
    #[inline]
    pub(crate) const fn new() -> Self {
        Self { inline: [const { None }; 4], len: 0, rest: Vec::new() }
    }

    /// Adds a waker.
    #[inline]
    pub(crate) fn push(&mut self, waker: Waker) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = Some(waker);
            self.len += 1;
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected, in order; a panicking (foreign) waker is reported and the
    /// others are still woken (rule 6).
    #[inline]
    pub(crate) fn wake_all(mut self) {
        // Only the filled prefix, taken in place, and no drop glue after: moving the whole
        // inline array through an iterator, or dropping four empty slots and a `Vec`, made a
        // `Semaphore` release with nobody waiting cost over a hundred instructions.
        for slot in &mut self.inline[..self.len] {
            if let Some(waker) = slot.take() {
                wake_caught(waker);
            }
        }
        if self.len == self.inline.len() {
            std::mem::take(&mut self.rest).into_iter().for_each(wake_caught);
        }
        // Every slot is `None` and `rest` owns no allocation (it is only pushed to once the
        // inline slots are full, and was taken above): there is nothing left to drop.
        std::mem::forget(self);
    }
}

/// Wakes `waker` behind `catch_unwind`, reporting a panic on stderr instead of unwinding into
/// the primitive's caller and past the other wakers.
pub(crate) fn wake_caught(waker: Waker) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || waker.wake())) {
        report_panic("a waker panicked", &*payload);
    }
}

/// Reports a caught panic of user code on stderr, as the rest of corio does.
pub(crate) fn report_panic(what: &str, payload: &(dyn core::any::Any + Send)) {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    eprintln!("corio: {what}: {msg}");
}

/// A primitive whose state (behind [`Waitable::state`]) holds a [`WaitList`].
///
/// `Side` tells apart several lists in one state (a queue's getters, putters and joiners).
pub(crate) trait Waitable<Side = ()> {
    /// The lock-protected state.
    type State;
    /// What a waiting entry asks for.
    type Wait;
    /// What a notified entry is handed.
    type Grant;

    /// The primitive's internal mutex.
    fn state(&self) -> &Mutex<Self::State>;

    /// The list inside the state.
    fn list(state: &mut Self::State) -> &mut WaitList<Self::Wait, Self::Grant>;

    /// A waiter left while still queued (rule 4). The request is dropped after the lock is
    /// released, so a user value's destructor never runs under it.
    fn left(&self, state: &mut Self::State, wait: &Self::Wait, wake: &mut WakeList) {
        let _ = (state, wait, wake);
    }

    /// A waiter was dropped holding `grant`: pass it on or take it back (rule 5).
    fn give_back(&self, state: &mut Self::State, grant: Self::Grant, wake: &mut WakeList);
}

/// The part of a waiting future that owns its list entry; dropping it applies rules 4 and 5.
pub(crate) struct Waiter<'a, Q: Waitable<Side>, Side = ()> {
    q: &'a Q,
    key: Option<Key>,
    _side: PhantomData<fn() -> Side>,
}

impl<'a, Q: Waitable<Side>, Side> Waiter<'a, Q, Side> {
    /// A waiter that has not polled yet.
    #[inline]
    pub(crate) const fn new(q: &'a Q) -> Self {
        Self { q, key: None, _side: PhantomData }
    }

    /// A waiter queued right now, before its first poll (used where registering must happen
    /// before some other step, e.g. `Condition::wait` releasing the mutex).
    pub(crate) fn queued(q: &'a Q, state: &mut Q::State, wait: Q::Wait) -> Self {
        let key = Q::list(state).push_back(wait, None);
        Self { q, key: Some(key), _side: PhantomData }
    }

    /// The primitive this waiter waits on.
    #[inline]
    pub(crate) fn primitive(&self) -> &'a Q {
        self.q
    }

    /// Polls. On the first poll `first` runs under the lock and either finishes at once
    /// (`Ok`) or returns the request to queue (`Err`); once notified, `granted` turns the grant
    /// into the output.
    #[inline]
    pub(crate) fn poll<O>(
        &mut self,
        cx: &Context<'_>,
        first: impl FnOnce(&mut Q::State, &mut WakeList) -> Result<O, Q::Wait>,
        granted: impl FnOnce(Q::Grant) -> O,
    ) -> Poll<O> {
        let mut wake = WakeList::new();
        let mut state = self.q.state().lock();
        let out = match self.key {
            Some(key) => match Q::list(&mut state).poll(key, cx) {
                Poll::Ready(g) => {
                    self.key = None;
                    Poll::Ready(granted(g))
                }
                Poll::Pending => Poll::Pending,
            },
            None => match first(&mut state, &mut wake) {
                Ok(out) => Poll::Ready(out),
                Err(wait) => {
                    self.key = Some(Q::list(&mut state).push_back(wait, Some(cx.waker().clone())));
                    Poll::Pending
                }
            },
        };
        drop(state);
        wake.wake_all();
        out
    }

    /// Like [`Waiter::poll`] for a waiter created by [`Waiter::queued`].
    #[inline]
    pub(crate) fn poll_queued(&mut self, cx: &Context<'_>) -> Poll<Q::Grant> {
        self.poll(cx, |_, _| unreachable!("waiter was queued"), |g| g)
    }

    /// Whether this waiter has an entry in the list.
    #[inline]
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }
}

impl<Q: Waitable<Side>, Side> Drop for Waiter<'_, Q, Side> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut wake = WakeList::new();
        let mut state = self.q.state().lock();
        let removed = Q::list(&mut state).cancel(key);
        let leftover = match removed {
            Removed::Waiting(w) => {
                self.q.left(&mut state, &w, &mut wake);
                Some(w)
            }
            Removed::Notified(g) => {
                self.q.give_back(&mut state, g, &mut wake);
                None
            }
        };
        drop(state);
        drop(leftover);
        wake.wake_all();
    }
}

impl<Q: Waitable<Side>, Side> fmt::Debug for Waiter<'_, Q, Side> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter").field("queued", &self.key.is_some()).finish()
    }
}
