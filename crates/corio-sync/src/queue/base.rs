//! [`BaseQueue`], the one queue core behind `Queue`, `LifoQueue` and
//! `PriorityQueue`: its state, its waiter lists and its put/get/join futures
//! (the rules are in `queue/mod.rs`).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crossbeam_utils::CachePadded;

use super::error::{GetError, PutError, QueueShutDown, TaskDoneError};
use super::storage::Storage;
use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering, fence};
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A multi-producer multi-consumer async queue with a storage order `S`; cloning gives another
/// handle to the same queue.
///
/// Use it through [`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue) or [`PriorityQueue`](super::PriorityQueue).
pub struct BaseQueue<S: Storage> {
    shared: Arc<QueueShared<S>>,
}

pub(crate) struct QueueShared<S: Storage> {
    /// The stored items; a put or get that needs no waiter touches only these (protocol in
    /// `queue/mod.rs`).
    items: S,
    /// Read after every lock-free put and get; written under the lock.
    flags: CachePadded<Flags>,
    /// Items put and not yet marked done (rule 5); the putters' line, apart from `flags`.
    unfinished: CachePadded<AtomicUsize>,
    maxsize: usize,
    state: Mutex<State<S>>,
}

/// What a lock-free put or get must look at before it is done (rule 7).
struct Flags {
    /// Set before a getter's last look at the storage, under the lock; cleared under the lock
    /// once no getter waits.
    getters: AtomicBool,
    /// The same for putters.
    putters: AtomicBool,
    /// Set under the lock before a joiner's last look at `unfinished`; cleared under the lock
    /// once no joiner waits.
    joiners: AtomicBool,
    /// Set once, by `shutdown`, under the lock.
    shut_down: AtomicBool,
}

pub(crate) struct State<S: Storage> {
    getters: WaitList<(), Result<S::Item, QueueShutDown>>,
    putters: WaitList<S::Item, Result<(), QueueShutDown>>,
    joiners: WaitList<(), ()>,
    shut_down: bool,
    /// `shutdown(true)` happened: an item a cancelled getter gives back is dropped and
    /// counted done, not stored again.
    immediate: bool,
}

/// Marks the getters' list.
pub(crate) struct GetSide;
/// Marks the putters' list.
pub(crate) struct PutSide;
/// Marks the joiners' list.
pub(crate) struct JoinSide;

/// The future of [`BaseQueue::put`].
#[must_use = "futures do nothing unless polled"]
pub struct Put<'a, S: Storage> {
    waiter: Waiter<'a, QueueShared<S>, PutSide>,
    item: Option<S::Item>,
}

/// The future of [`BaseQueue::get`].
#[must_use = "futures do nothing unless polled"]
pub struct Get<'a, S: Storage> {
    waiter: Waiter<'a, QueueShared<S>, GetSide>,
}

/// The future of [`BaseQueue::join`].
#[must_use = "futures do nothing unless polled"]
pub struct Join<'a, S: Storage> {
    waiter: Waiter<'a, QueueShared<S>, JoinSide>,
}

impl<S: Storage> BaseQueue<S> {
    /// A queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        Self {
            shared: Arc::new(QueueShared {
                items: S::with_bound(maxsize),
                flags: CachePadded::new(Flags {
                    getters: AtomicBool::new(false),
                    putters: AtomicBool::new(false),
                    joiners: AtomicBool::new(false),
                    shut_down: AtomicBool::new(false),
                }),
                unfinished: CachePadded::new(AtomicUsize::new(0)),
                maxsize,
                state: Mutex::new(State {
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                    shut_down: false,
                    immediate: false,
                }),
            }),
        }
    }

    /// Puts an item, waiting while the queue is full.
    pub fn put(&self, item: S::Item) -> Put<'_, S> {
        Put { waiter: Waiter::new(&self.shared), item: Some(item) }
    }

    /// Puts an item if there is room; otherwise hands it back.
    pub fn put_nowait(&self, item: S::Item) -> Result<(), PutError<S::Item>> {
        let q = &*self.shared;
        match q.try_put(item) {
            // Putters wait (or did a moment ago): only the lock can tell whether this put must
            // queue behind them.
            Err(PutError::Full(item)) if q.putters_may_wait() => q.with_state(|s, wake| {
                let r = q.offer(s, item, wake);
                q.sync_flags(s);
                r
            }),
            r => r,
        }
    }

    /// Takes an item, waiting while the queue is empty.
    pub fn get(&self) -> Get<'_, S> {
        Get { waiter: Waiter::new(&self.shared) }
    }

    /// Takes an item if one is stored.
    pub fn get_nowait(&self) -> Result<S::Item, GetError> {
        let q = &*self.shared;
        match q.try_get() {
            Some(item) => Ok(item),
            None if q.is_shut_down() => Err(GetError::ShutDown),
            None => Err(GetError::Empty),
        }
    }

    /// Marks one item taken earlier as processed; errors if every item already was.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let q = &*self.shared;
        // ORDERING: AcqRel: the count's modification order is all joiners rely on; the lock
        // taken in `reached_zero` orders the joiners' wake-up.
        let before = q.unfinished.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| n.checked_sub(1));
        if before.map_err(|_| TaskDoneError)? == 1 {
            q.reached_zero();
        }
        Ok(())
    }

    /// Waits until every item put has been marked done with [`BaseQueue::task_done`].
    pub fn join(&self) -> Join<'_, S> {
        Join { waiter: Waiter::new(&self.shared) }
    }

    /// Shuts the queue down (asyncio 3.13): puts fail from now on, blocked getters and putters
    /// get [`QueueShutDown`]. With `immediate`, stored items are dropped and counted as done
    /// (which may release `join`); without, getters may still drain them.
    pub fn shutdown(&self, immediate: bool) {
        let q = &*self.shared;
        let (dropped, panicked) = q.with_state(|s, wake| {
            s.shut_down = true;
            s.immediate |= immediate;
            // ORDERING: Relaxed: a hint for lock-free puts and gets; what makes a racing put
            // fail or be seen is the storage's close below, atomic with its pushes.
            q.flags.shut_down.store(true, Ordering::Relaxed);
            q.items.close();
            let mut dropped = Vec::new();
            let mut panicked = None;
            if immediate {
                dropped = q.items.take_all();
                q.count_done(dropped.len());
                q.wake_joiners_if_done(s, wake);
            } else if !s.getters.is_empty() {
                // Items stored before the close whose putters are still on their way to hand
                // them over (rule 7) go to the waiting getters, not stranded behind a
                // `QueueShutDown`. A `PriorityQueue` pop runs `Ord` (user code): a panic there
                // is re-raised once every waiter has been released.
                let serve = std::panic::AssertUnwindSafe(|| q.serve_getters(s, wake));
                panicked = std::panic::catch_unwind(serve).err();
            }
            s.getters.notify_all(|()| Err(QueueShutDown), wake);
            s.putters.notify_all(
                |item| {
                    dropped.push(item);
                    Err(QueueShutDown)
                },
                wake,
            );
            q.sync_flags(s);
            (dropped, panicked)
        });
        // User destructors run after the lock is released.
        drop(dropped);
        if let Some(payload) = panicked {
            std::panic::resume_unwind(payload);
        }
    }

    /// How many items are stored.
    pub fn qsize(&self) -> usize {
        self.shared.items.len()
    }

    /// Whether no item is stored.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue is at its `maxsize` (never for an unbounded queue).
    pub fn full(&self) -> bool {
        self.shared.maxsize > 0 && self.qsize() >= self.shared.maxsize
    }

    /// The bound given to `new` (`0`: unbounded).
    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }
}

impl<S: Storage> QueueShared<S> {
    /// Runs `f` under the lock, then wakes what it collected.
    fn with_state<R>(&self, f: impl FnOnce(&mut State<S>, &mut WakeList) -> R) -> R {
        let mut wake = WakeList::new();
        let mut state = self.state.lock();
        let r = f(&mut state, &mut wake);
        drop(state);
        wake.wake_all();
        r
    }

    #[inline]
    fn is_shut_down(&self) -> bool {
        // ORDERING: Relaxed: the flag guards no data, and a put that misses it is caught by
        // rule 7's second look after storing.
        self.flags.shut_down.load(Ordering::Relaxed)
    }

    #[inline]
    fn putters_may_wait(&self) -> bool {
        // ORDERING: Relaxed: a hint that sends the caller to the lock, where the list decides.
        self.flags.putters.load(Ordering::Relaxed)
    }

    /// Rule 7, lock-free: stores the item unless the queue is shut down, full, or has putters
    /// waiting (whom a put must not pass: rule 2).
    #[inline]
    fn try_put(&self, item: S::Item) -> Result<(), PutError<S::Item>> {
        if self.is_shut_down() {
            return Err(PutError::ShutDown(item));
        }
        if self.putters_may_wait() {
            return Err(PutError::Full(item));
        }
        match self.store(item) {
            Ok(()) => {
                self.after_put();
                Ok(())
            }
            Err(Refused { err, zero }) => {
                if zero {
                    self.reached_zero();
                }
                Err(err)
            }
        }
    }

    /// Counts the item unfinished, then stores it. Counting first keeps `task_done` on the
    /// item, which a getter may take the moment it is stored, from finding the count at zero.
    /// A refused item's count is taken back (rule 5); `Refused::zero` then says whether that
    /// brought it to zero, which the caller must tell the joiners about.
    #[inline]
    fn store(&self, item: S::Item) -> Result<(), Refused<S::Item>> {
        // ORDERING: Relaxed: the storage's own Release/Acquire carries the count to the
        // getter's `task_done`, which reads it with a read-modify-write. If the push panics
        // (a priority item's `Ord`), std's heap has kept the item: it stays counted.
        self.unfinished.fetch_add(1, Ordering::Relaxed);
        self.items.push(item).map_err(|err| Refused { err, zero: self.count_done(1) })
    }

    /// Takes `n` off `unfinished`, never below zero (an extra `task_done` may have taken a
    /// count a refused store is giving back); `true` if it is now zero.
    fn count_done(&self, n: usize) -> bool {
        // ORDERING: AcqRel, as in `task_done`.
        let before = self.unfinished.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |c| Some(c.saturating_sub(n)));
        before.unwrap_or(0) <= n
    }

    /// `unfinished` just reached zero without the lock: wakes the joiners if any may wait
    /// (rule 5's handshake, the mirror of rule 7's).
    fn reached_zero(&self) {
        fence(Ordering::SeqCst);
        // ORDERING: Relaxed, after the fence.
        if self.flags.joiners.load(Ordering::Relaxed) {
            self.with_state(|s, wake| self.wake_joiners_if_done(s, wake));
        }
    }

    /// Under the lock: releases the joiners if `unfinished` is zero now. A put may have
    /// counted a new item since it reached zero; then they wait for that one too, and whoever
    /// brings the count to zero again comes here again.
    fn wake_joiners_if_done(&self, s: &mut State<S>, wake: &mut WakeList) {
        // ORDERING: Acquire: the count's latest value; the lock orders the rest.
        if self.unfinished.load(Ordering::Acquire) == 0 {
            s.joiners.notify_all(|()| (), wake);
            // ORDERING: Relaxed: under the lock, the list just emptied. Only this flag: the
            // caller may be between raising another side's flag and queueing (`offer`).
            self.flags.joiners.store(false, Ordering::Relaxed);
        }
    }

    /// Rule 7: after a lock-free store, hands stored items to waiting getters if the flag
    /// says some wait.
    #[inline]
    fn after_put(&self) {
        // The store-then-load half of rule 7's handshake.
        fence(Ordering::SeqCst);
        // ORDERING: Relaxed, after the fence (rule 7).
        if self.flags.getters.load(Ordering::Relaxed) {
            self.with_state(|s, wake| self.serve(s, wake));
        }
    }

    /// Rule 7, lock-free: takes the next stored item, then refills from waiting putters if
    /// the flag says some wait.
    #[inline]
    fn try_get(&self) -> Option<S::Item> {
        let item = self.pop_unlocked()?;
        // The take-then-load half of rule 7's handshake.
        fence(Ordering::SeqCst);
        // ORDERING: Relaxed, after the fence (rule 7).
        if self.flags.putters.load(Ordering::Relaxed) {
            self.with_state(|s, wake| self.serve(s, wake));
        }
        Some(item)
    }

    /// Under the lock: rules 1 and 2 between the storage and the waiters. Stored items go to
    /// waiting getters, in order; then waiting putters move their items into the room left,
    /// in order; until neither can go on. Then the flags say whether anyone still waits.
    fn serve(&self, s: &mut State<S>, wake: &mut WakeList) {
        loop {
            self.serve_getters(s, wake);
            let mut moved = false;
            // A refused item stays with its putter. (Refused means a lock-free put took the
            // room first, or the storage is closed, which never happens with putters queued:
            // `shutdown` releases them under the lock first.)
            let mut zero = false;
            let mut refill = |item| match self.store(item) {
                Ok(()) => Ok(Ok(())),
                Err(r) => {
                    zero |= r.zero;
                    Err(r.err.into_inner())
                }
            };
            while s.putters.try_notify_front(&mut refill, wake) {
                moved = true;
            }
            if zero {
                self.wake_joiners_if_done(s, wake);
            }
            if !moved || s.getters.is_empty() {
                break;
            }
        }
        self.sync_flags(s);
    }

    /// Takes the next item, without the lock.
    #[inline]
    fn pop_unlocked(&self) -> Option<S::Item> {
        self.pop_or_count_lost(|| {
            if self.count_done(1) {
                self.reached_zero();
            }
        })
    }

    /// Takes the next item, under the lock.
    #[inline]
    fn pop_locked(&self, s: &mut State<S>, wake: &mut WakeList) -> Option<S::Item> {
        self.pop_or_count_lost(|| {
            if self.count_done(1) {
                self.wake_joiners_if_done(s, wake);
            }
        })
    }

    /// A priority queue's pop runs `Ord` (user code). If it panics, std's heap has already
    /// taken the item out and drops it: `lost` counts it done so `join` does not wait for an
    /// item nobody can get, then the panic goes on to the caller.
    #[inline]
    fn pop_or_count_lost(&self, lost: impl FnOnce()) -> Option<S::Item> {
        if !S::POP_RUNS_USER_CODE {
            return self.items.pop();
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.items.pop())) {
            Ok(item) => item,
            Err(payload) => {
                lost();
                std::panic::resume_unwind(payload)
            }
        }
    }

    /// Under the lock, rule 1: stored items go to waiting getters, in order.
    fn serve_getters(&self, s: &mut State<S>, wake: &mut WakeList) {
        while !s.getters.is_empty() {
            let Some(item) = self.pop_locked(s, wake) else { break };
            s.getters.notify_front(|()| Ok(item), wake);
        }
    }

    /// Under the lock: the flags say whether anyone waits, now.
    #[inline]
    fn sync_flags(&self, s: &State<S>) {
        // ORDERING: Relaxed: written under the lock; a lock-free put or get reads them after
        // its SeqCst fence (rule 7). Clearing is only ever done with the list empty.
        self.flags.getters.store(!s.getters.is_empty(), Ordering::Relaxed);
        self.flags.putters.store(!s.putters.is_empty(), Ordering::Relaxed);
        self.flags.joiners.store(!s.joiners.is_empty(), Ordering::Relaxed);
    }

    /// Under the lock, rule 1's putting side: stores `item`, or says why not. With no putter
    /// queued, sets the putters' flag before the last look at the storage (rule 7), and leaves
    /// it set when the storage is full, for the caller to queue (or to clear it).
    fn offer(&self, s: &mut State<S>, item: S::Item, wake: &mut WakeList) -> Result<(), PutError<S::Item>> {
        if s.shut_down {
            return Err(PutError::ShutDown(item));
        }
        if !s.putters.is_empty() {
            return Err(PutError::Full(item));
        }
        // ORDERING: Relaxed store, then the fence: the load-after-store half of rule 7's
        // handshake with a get that takes without the lock.
        self.flags.putters.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        match self.store(item) {
            Ok(()) => {
                self.serve(s, wake);
                Ok(())
            }
            Err(Refused { err, zero }) => {
                if zero {
                    self.wake_joiners_if_done(s, wake);
                }
                Err(err)
            }
        }
    }

    /// Under the lock, rule 2's getting side: takes the next item, or says why not. Sets the
    /// getters' flag before the last look (rule 7) and leaves it set when there is nothing,
    /// for the caller to queue.
    fn take(&self, s: &mut State<S>, wake: &mut WakeList) -> Result<S::Item, GetError> {
        if !s.getters.is_empty() {
            // Items stored without the lock that the getters before us have not been handed.
            self.serve(s, wake);
        }
        if let Some(item) = self.pop_locked(s, wake) {
            self.serve(s, wake);
            return Ok(item);
        }
        if s.shut_down {
            return Err(GetError::ShutDown);
        }
        // ORDERING: as in `offer`.
        self.flags.getters.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        match self.pop_locked(s, wake) {
            Some(item) => {
                self.serve(s, wake);
                Ok(item)
            }
            None => Err(GetError::Empty),
        }
    }

    /// Rule 3: a cancelled getter's item goes to the next getter or back into storage;
    /// after `shutdown(true)` it is counted done and returned, to drop after the lock.
    fn give_back(&self, s: &mut State<S>, item: S::Item, wake: &mut WakeList) -> Option<S::Item> {
        if s.immediate {
            self.count_done(1);
            self.wake_joiners_if_done(s, wake);
            return Some(item);
        }
        if !s.getters.is_empty() {
            s.getters.notify_front(|()| Ok(item), wake);
        } else {
            self.items.push_returned(item);
        }
        self.sync_flags(s);
        None
    }
}

/// An item the storage refused, and whether taking its count back brought `unfinished` to zero.
struct Refused<T> {
    err: PutError<T>,
    zero: bool,
}

impl<S: Storage> Waitable<GetSide> for QueueShared<S> {
    type State = State<S>;
    type Wait = ();
    type Grant = Result<S::Item, QueueShutDown>;

    fn state(&self) -> &Mutex<State<S>> {
        &self.state
    }

    fn list(state: &mut State<S>) -> &mut WaitList<(), Self::Grant> {
        &mut state.getters
    }

    fn left(&self, state: &mut State<S>, _: &(), _: &mut WakeList) {
        self.sync_flags(state);
    }

    fn give_back(&self, state: &mut State<S>, grant: Self::Grant, wake: &mut WakeList) -> Option<Self::Grant> {
        QueueShared::give_back(self, state, grant.ok()?, wake).map(Ok)
    }
}

impl<S: Storage> Waitable<PutSide> for QueueShared<S> {
    type State = State<S>;
    type Wait = S::Item;
    type Grant = Result<(), QueueShutDown>;

    fn state(&self) -> &Mutex<State<S>> {
        &self.state
    }

    fn list(state: &mut State<S>) -> &mut WaitList<S::Item, Self::Grant> {
        &mut state.putters
    }

    fn left(&self, state: &mut State<S>, _: &S::Item, _: &mut WakeList) {
        self.sync_flags(state);
    }

    fn give_back(&self, _: &mut State<S>, _: Self::Grant, _: &mut WakeList) -> Option<Self::Grant> {
        // Rule 4: the put already happened (or failed); nothing to pass on.
        None
    }
}

impl<S: Storage> Waitable<JoinSide> for QueueShared<S> {
    type State = State<S>;
    type Wait = ();
    type Grant = ();

    fn state(&self) -> &Mutex<State<S>> {
        &self.state
    }

    fn list(state: &mut State<S>) -> &mut WaitList<(), ()> {
        &mut state.joiners
    }

    fn give_back(&self, _: &mut State<S>, _: (), _: &mut WakeList) -> Option<()> {
        // Every joiner is woken at once; nobody to pass this on to.
        None
    }
}

impl<S: Storage> Future for Put<'_, S> {
    type Output = Result<(), QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let q = this.waiter.primitive();
        let mut item = this.item.take();
        if !this.waiter.is_queued() {
            match q.try_put(item.take().expect("Put polled after completion")) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(PutError::ShutDown(refused)) => {
                    drop(refused);
                    return Poll::Ready(Err(QueueShutDown));
                }
                Err(PutError::Full(back)) => item = Some(back),
            }
        }
        let mut refused = None;
        let out = this.waiter.poll(
            cx,
            |s, wake| match q.offer(s, item.take().expect("Put polled after completion"), wake) {
                Ok(()) => Ok(Ok(())),
                Err(PutError::ShutDown(item)) => {
                    refused = Some(item);
                    Ok(Err(QueueShutDown))
                }
                Err(PutError::Full(item)) => Err(item),
            },
            |r| r,
        );
        // Rule 6: the refused item's destructor is user code; it runs after the lock.
        drop(refused);
        out
    }
}

// The item is only ever moved out by value, never pinned.
impl<S: Storage> Unpin for Put<'_, S> {}

impl<S: Storage> Future for Get<'_, S> {
    type Output = Result<S::Item, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let q = self.waiter.primitive();
        if !self.waiter.is_queued()
            && let Some(item) = q.try_get()
        {
            return Poll::Ready(Ok(item));
        }
        self.waiter.poll(
            cx,
            |s, wake| match q.take(s, wake) {
                Ok(item) => Ok(Ok(item)),
                Err(GetError::ShutDown) => Ok(Err(QueueShutDown)),
                Err(GetError::Empty) => Err(()),
            },
            |r| r,
        )
    }
}

impl<S: Storage> Future for Join<'_, S> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let q = self.waiter.primitive();
        self.waiter.poll(
            cx,
            |_, _| {
                // ORDERING: Relaxed store, then the fence: the joiners' half of rule 5's
                // handshake with a count reaching zero without the lock (`reached_zero`).
                q.flags.joiners.store(true, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                // ORDERING: Acquire: the count's latest value after the fence.
                if q.unfinished.load(Ordering::Acquire) == 0 { Ok(()) } else { Err(()) }
            },
            |()| (),
        )
    }
}

impl<S: Storage> Clone for BaseQueue<S> {
    fn clone(&self) -> Self {
        Self { shared: self.shared.clone() }
    }
}

impl<S: Storage> fmt::Debug for BaseQueue<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = &*self.shared;
        f.debug_struct("Queue")
            .field("maxsize", &q.maxsize)
            .field("qsize", &q.items.len())
            // ORDERING: Relaxed: a snapshot for printing.
            .field("unfinished", &q.unfinished.load(Ordering::Relaxed))
            .field("shut_down", &q.is_shut_down())
            .finish()
    }
}

impl<S: Storage> fmt::Debug for Put<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put").finish_non_exhaustive()
    }
}

impl<S: Storage> fmt::Debug for Get<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").finish_non_exhaustive()
    }
}

impl<S: Storage> fmt::Debug for Join<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join").finish_non_exhaustive()
    }
}
