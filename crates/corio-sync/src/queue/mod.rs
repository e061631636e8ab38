//! The queue family: [`Queue`], [`LifoQueue`] and [`PriorityQueue`], one generic core
//! ([`BaseQueue`]) over a [`Storage`] order.
//!
//! # Protocol
//!
//! All state sits behind one internal lock, with three waiter lists: getters, putters (each
//! holding the item it wants to put) and joiners.
//!
//! 1. Getters wait only while no item is stored, so a waiting getter means the storage is
//!    empty; a put then hands its item straight to the first getter (a grant, waiter-list
//!    rule 3) instead of storing it, so no other consumer can take it.
//! 2. Putters wait only while the queue is full; a get that frees a slot moves the first
//!    putter's item into the storage and completes that put, so the queue stays FIFO among
//!    putters.
//! 3. A getter dropped after being handed an item gives it back (waiter-list rule 5): to the
//!    next getter, else into the storage where [`Storage::push_returned`] puts it. The item
//!    stays counted as unfinished. It may take the storage one past `maxsize` for a moment.
//! 4. A putter dropped while waiting did not put: its item is dropped (after the lock is
//!    released). A putter dropped after its item was stored did put.
//! 5. `unfinished` counts items put and not yet `task_done`; it reaching zero wakes every
//!    joiner. `shutdown(true)` drops the stored items and counts each as done (asyncio 3.13).
//! 6. `shutdown` wakes every getter and putter with `QueueShutDown`; the putters' items are
//!    dropped. Later puts fail; later gets drain what is stored, then fail. Every item the
//!    queue drops (a waiting or refused putter's, the storage's on `shutdown(true)`) is
//!    dropped after the lock is released: an item's destructor may use the queue.

mod base;
mod error;
mod storage;
mod stream;

pub use self::base::{BaseQueue, Get, Join, Put};
pub use self::error::{GetError, PutError, QueueShutDown, TaskDoneError};
pub use self::storage::{Fifo, Lifo, Priority, Storage};
pub use self::stream::QueueStream;

/// A FIFO queue (asyncio's `Queue`). See [`BaseQueue`] for its methods.
///
/// ```
/// # use corio_sync::Queue;
/// let q = Queue::new(2);
/// q.put_nowait(1).unwrap();
/// q.put_nowait(2).unwrap();
/// assert!(q.put_nowait(3).is_err());
/// assert_eq!(q.get_nowait(), Ok(1));
/// ```
pub type Queue<T> = BaseQueue<Fifo<T>>;

/// A LIFO queue (asyncio's `LifoQueue`): the last item put comes out first.
pub type LifoQueue<T> = BaseQueue<Lifo<T>>;

/// A priority queue (asyncio's `PriorityQueue`): the smallest item comes out first.
pub type PriorityQueue<T> = BaseQueue<Priority<T>>;
