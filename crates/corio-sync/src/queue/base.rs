//! [`BaseQueue`], the one queue core behind `Queue`, `LifoQueue` and
//! `PriorityQueue`: its state, its waiter lists and its put/get/join futures
//! (the rules are in `queue/mod.rs`).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::error::{GetError, PutError, QueueShutDown, TaskDoneError};
use super::storage::Storage;
use crate::loom::{Arc, Mutex};
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A multi-producer multi-consumer async queue with a storage order `S`; cloning gives another
/// handle to the same queue.
///
/// Use it through [`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue) or [`PriorityQueue`](super::PriorityQueue).
pub struct BaseQueue<S: Storage> {
    shared: Arc<QueueShared<S>>,
}

pub(crate) struct QueueShared<S: Storage> {
    maxsize: usize,
    state: Mutex<State<S>>,
}

pub(crate) struct State<S: Storage> {
    items: S,
    getters: WaitList<(), Result<S::Item, QueueShutDown>>,
    putters: WaitList<S::Item, Result<(), QueueShutDown>>,
    joiners: WaitList<(), ()>,
    unfinished: usize,
    shut_down: bool,
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
                maxsize,
                state: Mutex::new(State {
                    items: S::default(),
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                    unfinished: 0,
                    shut_down: false,
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
        self.with_state(|s, maxsize, wake| s.offer(item, maxsize, wake))
    }

    /// Takes an item, waiting while the queue is empty.
    pub fn get(&self) -> Get<'_, S> {
        Get { waiter: Waiter::new(&self.shared) }
    }

    /// Takes an item if one is stored.
    pub fn get_nowait(&self) -> Result<S::Item, GetError> {
        self.with_state(|s, maxsize, wake| s.take(maxsize, wake))
    }

    /// Marks one item taken earlier as processed; errors if every item already was.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.with_state(|s, _, wake| s.task_done(wake))
    }

    /// Waits until every item put has been marked done with [`BaseQueue::task_done`].
    pub fn join(&self) -> Join<'_, S> {
        Join { waiter: Waiter::new(&self.shared) }
    }

    /// Shuts the queue down (asyncio 3.13): puts fail from now on, blocked getters and putters
    /// get [`QueueShutDown`]. With `immediate`, stored items are dropped and counted as done
    /// (which may release `join`); without, getters may still drain them.
    pub fn shutdown(&self, immediate: bool) {
        let mut dropped = S::default();
        let leftovers = self.with_state(|s, _, wake| {
            if immediate {
                core::mem::swap(&mut s.items, &mut dropped);
                s.finish(dropped.len(), wake);
            }
            s.shut_down(wake)
        });
        // User destructors run after the lock is released.
        drop((dropped, leftovers));
    }

    /// How many items are stored.
    pub fn qsize(&self) -> usize {
        self.shared.state.lock().items.len()
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

    fn with_state<R>(&self, f: impl FnOnce(&mut State<S>, usize, &mut WakeList) -> R) -> R {
        let mut wake = WakeList::new();
        let mut state = self.shared.state.lock();
        let r = f(&mut state, self.shared.maxsize, &mut wake);
        drop(state);
        wake.wake_all();
        r
    }
}

impl<S: Storage> State<S> {
    /// Rule 1: hand the item to a waiting getter, else store it if there is room.
    fn offer(&mut self, item: S::Item, maxsize: usize, wake: &mut WakeList) -> Result<(), PutError<S::Item>> {
        if self.shut_down {
            return Err(PutError::ShutDown(item));
        }
        if !self.getters.is_empty() {
            self.getters.notify_front(|()| Ok(item), wake);
        } else if maxsize > 0 && self.items.len() >= maxsize {
            return Err(PutError::Full(item));
        } else {
            self.items.push(item);
        }
        self.unfinished += 1;
        Ok(())
    }

    /// Takes the next stored item, then refills from the first putter (rule 2).
    fn take(&mut self, maxsize: usize, wake: &mut WakeList) -> Result<S::Item, GetError> {
        let Some(item) = self.items.pop() else {
            return Err(if self.shut_down { GetError::ShutDown } else { GetError::Empty });
        };
        if maxsize == 0 || self.items.len() < maxsize {
            let Self { items, putters, unfinished, .. } = self;
            let moved = putters.notify_front(
                |put| {
                    items.push(put);
                    Ok(())
                },
                wake,
            );
            *unfinished += usize::from(moved);
        }
        Ok(item)
    }

    fn task_done(&mut self, wake: &mut WakeList) -> Result<(), TaskDoneError> {
        if self.unfinished == 0 {
            return Err(TaskDoneError);
        }
        self.finish(1, wake);
        Ok(())
    }

    /// Counts `n` items as done; wakes the joiners when none is left (rule 5).
    fn finish(&mut self, n: usize, wake: &mut WakeList) {
        self.unfinished = self.unfinished.saturating_sub(n);
        if self.unfinished == 0 {
            self.joiners.notify_all(|()| (), wake);
        }
    }

    /// Rule 6; returns the items of the woken putters, to drop after unlocking.
    fn shut_down(&mut self, wake: &mut WakeList) -> Vec<S::Item> {
        self.shut_down = true;
        self.getters.notify_all(|()| Err(QueueShutDown), wake);
        let mut items = Vec::new();
        self.putters.notify_all(
            |item| {
                items.push(item);
                Err(QueueShutDown)
            },
            wake,
        );
        items
    }

    /// Rule 3: a cancelled getter's item goes to the next getter or back into storage.
    fn give_back(&mut self, item: S::Item, wake: &mut WakeList) {
        if !self.getters.is_empty() {
            self.getters.notify_front(|()| Ok(item), wake);
        } else {
            self.items.push_returned(item);
        }
    }
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

    fn give_back(&self, state: &mut State<S>, grant: Self::Grant, wake: &mut WakeList) {
        if let Ok(item) = grant {
            state.give_back(item, wake);
        }
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

    fn give_back(&self, _: &mut State<S>, _: Self::Grant, _: &mut WakeList) {
        // Rule 4: the put already happened (or failed); nothing to pass on.
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

    fn give_back(&self, _: &mut State<S>, _: (), _: &mut WakeList) {
        // Every joiner is woken at once; nobody to pass this on to.
    }
}

impl<S: Storage> Future for Put<'_, S> {
    type Output = Result<(), QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let maxsize = this.waiter.primitive().maxsize;
        let item = this.item.take();
        let mut refused = None;
        let out = this.waiter.poll(
            cx,
            |s, wake| match s.offer(item.expect("Put polled after completion"), maxsize, wake) {
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
        let maxsize = self.waiter.primitive().maxsize;
        self.waiter.poll(
            cx,
            |s, wake| match s.take(maxsize, wake) {
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
        self.waiter.poll(cx, |s, _| if s.unfinished == 0 { Ok(()) } else { Err(()) }, |()| ())
    }
}

impl<S: Storage> Clone for BaseQueue<S> {
    fn clone(&self) -> Self {
        Self { shared: self.shared.clone() }
    }
}

impl<S: Storage> fmt::Debug for BaseQueue<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("Queue")
            .field("maxsize", &self.shared.maxsize)
            .field("qsize", &state.items.len())
            .field("unfinished", &state.unfinished)
            .field("shut_down", &state.shut_down)
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
