//! The orders a queue can hand its items out in, and where it keeps them.
//!
//! A storage is shared: every operation takes `&self`, so a put or get that finds room or an
//! item touches the storage only, never the queue's waiter lock (`queue/mod.rs`). [`Fifo`]
//! keeps its items in a lock-free ring (`concurrent-queue`, the ring `async-channel` is built
//! on); [`Lifo`] and [`Priority`] keep theirs behind a small lock of their own, held for one
//! push or pop.

use core::cmp::Reverse;
use core::fmt;
use std::collections::{BinaryHeap, VecDeque};

use super::PutError;
use crate::loom::{AtomicUsize, Mutex, Ordering};

pub(crate) use self::sealed::Shelf;

mod sealed {
    use super::PutError;

    /// The operations a queue uses; sealed, so only this module's storages exist.
    pub trait Shelf: Sized {
        /// The item type.
        type Item;
        /// Whether `pop` runs user code that may panic (a priority item's `Ord`).
        const POP_RUNS_USER_CODE: bool = false;
        /// A storage holding at most `maxsize` items (`0`: unbounded).
        fn with_bound(maxsize: usize) -> Self;
        /// Stores an item, or hands it back: `Full` if `maxsize` items are stored, `ShutDown`
        /// once [`Shelf::close`] ran (atomically with the store: a push either lands before
        /// the close, where the closer's pops see it, or fails).
        fn push(&self, item: Self::Item) -> Result<(), PutError<Self::Item>>;
        /// Refuses every later `push` (`push_returned` still stores).
        fn close(&self);
        /// Removes every item, without running user code (no `Ord`): `shutdown(true)`.
        fn take_all(&self) -> Vec<Self::Item>;
        /// Removes the item that comes out next.
        fn pop(&self) -> Option<Self::Item>;
        /// How many items are stored (a snapshot while others push and pop).
        fn len(&self) -> usize;
        /// Stores an item that was handed to a getter that was then cancelled. It was taken
        /// before every stored item was put, so it goes where that order places it, even past
        /// `maxsize` (queue rule 3).
        fn push_returned(&self, item: Self::Item);
    }
}

/// Where a [`BaseQueue`](super::BaseQueue) keeps its items; decides which comes out first.
///
/// Implemented by [`Fifo`], [`Lifo`] and [`Priority`] only; its item type is `Item`.
pub trait Storage: Shelf {}

/// First in, first out ([`Queue`](super::Queue)): a lock-free ring, unless the bound would
/// make the ring's up-front allocation large (over about 256 KiB).
pub struct Fifo<T>(FifoImpl<T>);

// One per queue, inside its shared allocation: the ring's padding costs nothing per item, and
// boxing it would add a pointer chase to every put and get.
#[allow(clippy::large_enum_variant)]
enum FifoImpl<T> {
    Ring(Ring<T>),
    Locked(Locked<VecDeque<T>>),
}

/// About the most a bounded FIFO's ring allocates up front (its slots are allocated with it). A
/// bound past this (`Queue::new(10_000_000)`, `Queue::new(usize::MAX)`) keeps the items in a
/// `VecDeque` behind a small lock instead, which grows only as items arrive. An unbounded
/// queue's ring grows in small blocks and is always used.
const RING_BYTES: usize = 256 * 1024;

/// Last in, first out ([`LifoQueue`](super::LifoQueue)).
pub struct Lifo<T>(Locked<Vec<T>>);

/// Smallest first ([`PriorityQueue`](super::PriorityQueue)).
pub struct Priority<T: Ord>(Locked<BinaryHeap<Reverse<T>>>);

impl<T> Storage for Fifo<T> {}

impl<T> Shelf for Fifo<T> {
    type Item = T;
    fn with_bound(maxsize: usize) -> Self {
        // A slot is the item plus a stamp word.
        let slot = core::mem::size_of::<T>() + core::mem::size_of::<usize>();
        Self(match maxsize.checked_mul(slot) {
            Some(bytes) if bytes <= RING_BYTES => FifoImpl::Ring(Ring::with_bound(maxsize)),
            _ => FifoImpl::Locked(Locked::with_bound(maxsize)),
        })
    }
    #[inline]
    fn push(&self, item: T) -> Result<(), PutError<T>> {
        match &self.0 {
            FifoImpl::Ring(r) => r.push(item),
            FifoImpl::Locked(l) => l.push(item),
        }
    }
    fn close(&self) {
        match &self.0 {
            FifoImpl::Ring(r) => r.close(),
            FifoImpl::Locked(l) => l.close(),
        }
    }
    fn take_all(&self) -> Vec<T> {
        match &self.0 {
            FifoImpl::Ring(r) => r.take_all(),
            FifoImpl::Locked(l) => l.take_all(),
        }
    }
    #[inline]
    fn pop(&self) -> Option<T> {
        match &self.0 {
            FifoImpl::Ring(r) => r.pop(),
            FifoImpl::Locked(l) => l.pop(),
        }
    }
    #[inline]
    fn len(&self) -> usize {
        match &self.0 {
            FifoImpl::Ring(r) => r.len(),
            FifoImpl::Locked(l) => l.len(),
        }
    }
    fn push_returned(&self, item: T) {
        match &self.0 {
            FifoImpl::Ring(r) => r.push_returned(item),
            FifoImpl::Locked(l) => l.push_returned(item),
        }
    }
}

/// `Lifo` and `Priority` are a [`Locked`] container under a public name: their storage
/// operations are the container's.
macro_rules! locked_storage {
    ($name:ident<T $(: $bound:ident)?>, pop_runs_user_code: $user:expr) => {
        impl<T $(: $bound)?> Storage for $name<T> {}

        impl<T $(: $bound)?> Shelf for $name<T> {
            type Item = T;
            const POP_RUNS_USER_CODE: bool = $user;
            fn with_bound(maxsize: usize) -> Self {
                Self(Locked::with_bound(maxsize))
            }
            fn push(&self, item: T) -> Result<(), PutError<T>> {
                self.0.push(item)
            }
            fn close(&self) {
                self.0.close();
            }
            fn take_all(&self) -> Vec<T> {
                self.0.take_all()
            }
            fn pop(&self) -> Option<T> {
                self.0.pop()
            }
            fn len(&self) -> usize {
                self.0.len()
            }
            fn push_returned(&self, item: T) {
                self.0.push_returned(item);
            }
        }

        impl<T $(: $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("len", &self.len()).finish()
            }
        }
    };
}

locked_storage!(Lifo<T>, pop_runs_user_code: false);
// A heap's pop compares items: `Ord` is user code.
locked_storage!(Priority<T: Ord>, pop_runs_user_code: true);

impl<T> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fifo").field("len", &self.len()).finish()
    }
}

/// The FIFO ring, plus the rare items cancelled getters hand back.
struct Ring<T> {
    ring: concurrent_queue::ConcurrentQueue<T>,
    /// `0`: unbounded.
    maxsize: usize,
    /// Items given back (queue rule 3): older than everything in the ring, so they come out
    /// first. Almost always empty: `returned_len` lets a pop skip the lock.
    returned: Mutex<VecDeque<T>>,
    returned_len: AtomicUsize,
}

impl<T> Ring<T> {
    fn with_bound(maxsize: usize) -> Self {
        Self {
            ring: match maxsize {
                0 => concurrent_queue::ConcurrentQueue::unbounded(),
                n => concurrent_queue::ConcurrentQueue::bounded(n),
            },
            maxsize,
            returned: Mutex::new(VecDeque::new()),
            returned_len: AtomicUsize::new(0),
        }
    }

    #[inline]
    fn push(&self, item: T) -> Result<(), PutError<T>> {
        // ORDERING: Relaxed: a hint; given-back items are rare and their count is a snapshot.
        if self.returned_len.load(Ordering::Relaxed) != 0 && self.maxsize != 0 && self.len() >= self.maxsize {
            // Given-back items sit outside the ring but count toward the bound.
            return Err(match self.ring.is_closed() {
                true => PutError::ShutDown(item),
                false => PutError::Full(item),
            });
        }
        self.ring.push(item).map_err(|e| match e {
            concurrent_queue::PushError::Full(item) => PutError::Full(item),
            concurrent_queue::PushError::Closed(item) => PutError::ShutDown(item),
        })
    }

    fn close(&self) {
        self.ring.close();
    }

    fn take_all(&self) -> Vec<T> {
        let mut all: Vec<T> = core::mem::take(&mut *self.returned.lock()).into();
        // ORDERING: Relaxed: as in `pop_returned`.
        self.returned_len.store(0, Ordering::Relaxed);
        all.extend(self.ring.try_iter());
        all
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        // ORDERING: Acquire pairs with the Release in `push_returned`; a stale zero only means
        // a given-back item racing this pop comes out just after it, as if it had lost the race.
        if self.returned_len.load(Ordering::Acquire) != 0
            && let Some(item) = self.pop_returned()
        {
            return Some(item);
        }
        self.ring.pop().ok()
    }

    #[cold]
    fn pop_returned(&self) -> Option<T> {
        let mut returned = self.returned.lock();
        let item = returned.pop_front()?;
        // ORDERING: Relaxed: written under the lock; readers only use it as a hint.
        self.returned_len.store(returned.len(), Ordering::Relaxed);
        Some(item)
    }

    #[inline]
    fn len(&self) -> usize {
        // ORDERING: Relaxed: a size is a snapshot anyway.
        self.ring.len() + self.returned_len.load(Ordering::Relaxed)
    }

    #[cold]
    fn push_returned(&self, item: T) {
        let mut returned = self.returned.lock();
        // As the locked `VecDeque`: the last given back comes out first.
        returned.push_front(item);
        // ORDERING: Release pairs with `pop`'s Acquire.
        self.returned_len.store(returned.len(), Ordering::Release);
    }
}

/// A container behind a small lock: the LIFO and priority storages.
struct Locked<C: Container> {
    inner: Mutex<LockedInner<C>>,
    /// `0`: unbounded.
    maxsize: usize,
}

struct LockedInner<C> {
    items: C,
    closed: bool,
}

impl<C: Container> Locked<C> {
    fn with_bound(maxsize: usize) -> Self {
        Self { inner: Mutex::new(LockedInner { items: C::default(), closed: false }), maxsize }
    }

    fn push(&self, item: C::Item) -> Result<(), PutError<C::Item>> {
        let mut inner = self.inner.lock();
        if inner.closed {
            return Err(PutError::ShutDown(item));
        }
        if self.maxsize > 0 && inner.items.size() >= self.maxsize {
            return Err(PutError::Full(item));
        }
        inner.items.put(item);
        Ok(())
    }

    fn close(&self) {
        self.inner.lock().closed = true;
    }

    fn take_all(&self) -> Vec<C::Item> {
        core::mem::take(&mut self.inner.lock().items).into_vec()
    }

    fn pop(&self) -> Option<C::Item> {
        self.inner.lock().items.take()
    }

    fn len(&self) -> usize {
        self.inner.lock().items.size()
    }

    fn push_returned(&self, item: C::Item) {
        self.inner.lock().items.put_returned(item);
    }
}

/// A plain container giving one order.
trait Container: Default {
    type Item;
    fn put(&mut self, item: Self::Item);
    fn take(&mut self) -> Option<Self::Item>;
    fn size(&self) -> usize;
    fn put_returned(&mut self, item: Self::Item);
    /// Every item, in no particular order, without comparing any.
    fn into_vec(self) -> Vec<Self::Item>;
}

impl<T> Container for VecDeque<T> {
    type Item = T;
    fn put(&mut self, item: T) {
        self.push_back(item);
    }
    fn take(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn size(&self) -> usize {
        self.len()
    }
    fn put_returned(&mut self, item: T) {
        // Older than everything stored: it comes out first.
        self.push_front(item);
    }
    fn into_vec(self) -> Vec<T> {
        self.into()
    }
}

impl<T> Container for Vec<T> {
    type Item = T;
    fn put(&mut self, item: T) {
        self.push(item);
    }
    fn take(&mut self) -> Option<T> {
        self.pop()
    }
    fn size(&self) -> usize {
        self.len()
    }
    fn put_returned(&mut self, item: T) {
        // Older than everything stored: it comes out last.
        self.insert(0, item);
    }
    fn into_vec(self) -> Vec<T> {
        self
    }
}

impl<T: Ord> Container for BinaryHeap<Reverse<T>> {
    type Item = T;
    fn put(&mut self, item: T) {
        self.push(Reverse(item));
    }
    fn take(&mut self) -> Option<T> {
        self.pop().map(|Reverse(item)| item)
    }
    fn size(&self) -> usize {
        self.len()
    }
    fn put_returned(&mut self, item: T) {
        self.put(item);
    }
    fn into_vec(self) -> Vec<T> {
        // `BinaryHeap::into_vec` moves the buffer out: no comparison.
        BinaryHeap::into_vec(self).into_iter().map(|Reverse(item)| item).collect()
    }
}
