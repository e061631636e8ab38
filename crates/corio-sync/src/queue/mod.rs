//! The queue family: [`Queue`], [`LifoQueue`] and [`PriorityQueue`], one generic core
//! ([`BaseQueue`]) over a [`Storage`] order.
//!
//! # Protocol
//!
//! The items live in a shared storage ([`Storage`]: a lock-free ring for [`Queue`], a small
//! lock of its own for the others). The waiters — getters, putters (each holding the item it
//! wants to put) and joiners — live behind one internal lock, with `shut_down`. `unfinished`
//! and four flags (getters, putters, joiners wait; shut down) are atomics. A put that finds
//! room, or a get that finds an item, touches the storage and reads the flags: no lock.
//!
//! 1. Getters wait only while no item is stored. A put that stores while getters wait hands
//!    the stored items to them under the lock, in order, first getter first (rule 7 tells it
//!    to). A lock-free get racing that hand-over may take the item first; a getter never waits
//!    while an item sits in the storage with nobody on the way to hand it over.
//! 2. Putters wait only while the queue is full, and a put does not pass a waiting putter:
//!    while the putters' flag is up, puts go through the lock and queue behind (a put racing
//!    a putter that is queueing right now may read the flag before it goes up, and pass). A get that frees a
//!    slot while putters wait moves the first putter's item into the storage under the lock and
//!    completes that put, so the queue stays FIFO among putters.
//! 3. A getter dropped after being handed an item gives it back (waiter-list rule 5): to the
//!    next getter, else into the storage where [`Storage`]'s order puts a returned item (the
//!    last given back comes out first). The item stays counted as unfinished. It may take the
//!    storage past `maxsize` for a moment, and counts toward it. After `shutdown(true)` it is
//!    dropped (after the lock) and counted done instead.
//! 4. A putter dropped while waiting did not put: its item is dropped (after the lock is
//!    released). A putter dropped after its item was stored did put.
//! 5. `unfinished` counts items put and not yet `task_done`; it is counted up before an item is
//!    stored (so a getter's `task_done` never finds it at zero) and back down, never below
//!    zero, if the storage refused it. A joiner raises the joiners' flag, fences, and checks
//!    the count, under the lock; whoever brings the count to zero without the lock fences,
//!    reads the flag, and if it is up takes the lock and releases the joiners only if the
//!    count is still zero (a put since then makes them wait for that item too; its
//!    `task_done` comes back here). `shutdown(true)` drops the stored items and counts each
//!    as done (asyncio 3.13).
//! 6. `shutdown` closes the storage first: from then on its pushes fail, atomically with
//!    them, so a lock-free put racing the shutdown either fails or stored before the close,
//!    where the shutdown sees its item. Then, without `immediate`, stored items go to waiting
//!    getters (rule 1); with it, every stored item is taken out (no `Ord` runs) and counted
//!    done. Then every getter and putter still waiting gets `QueueShutDown`; the putters'
//!    items are dropped. Later puts fail; later gets drain what is stored, then fail. Every
//!    item the queue drops (a waiting or refused putter's, the storage's on `shutdown(true)`)
//!    is dropped after the lock is released: an item's destructor may use the queue.
//! 7. The handshake between the lock-free side and the waiters. A getter about to wait raises
//!    the getters' flag, then (SeqCst fence) looks at the storage once more, under the lock; a
//!    lock-free put stores, then (SeqCst fence) reads the flags and, if one is up, takes the
//!    lock and serves (rules 1, 2). Of the two fences one comes first, so either the getter
//!    sees the item or the put sees the flag: no lost wake-up. Putters and lock-free gets do
//!    the same; so do joiners and `unfinished` reaching zero (rule 5). Flags are lowered only
//!    under the lock, when the list is empty; a flag left up by a cancelled waiter only sends
//!    someone to the lock, which lowers it.
//!
//! The loom models in `tests/loom_queue.rs` check rules 1 to 7 with the real ring
//! (concurrent-queue on loom's atomics) and with the locked storage of `LifoQueue`.

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
