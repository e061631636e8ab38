//! corio's runtime-agnostic sync primitives (the asyncio synchronisation toolbox).
//!
//! Everything here needs only a [`core::task::Waker`]: the primitives work under corio, under
//! any other executor, and on plain threads. Every waiter is cancel-safe: a waiting future
//! dropped at any point leaves no entry behind, strands no permit, loses no item, and passes a
//! wake-up it had already received on to the next waiter (see `docs/sync.md`).
//!
//! | asyncio | here |
//! |---|---|
//! | `loop.create_future()`, `Future` | [`create_future`], [`Promise`] |
//! | — | [`oneshot::channel`] |
//! | cancellation scopes | [`CancellationToken`] |
//! | `Event` | [`Event`] |
//! | `Lock` | [`Mutex`], [`Lock`] |
//! | `Condition` | [`Condition`] |
//! | `Semaphore`, `BoundedSemaphore` | [`Semaphore`], [`BoundedSemaphore`] |
//! | `Barrier` | [`Barrier`] |
//! | `Queue`, `LifoQueue`, `PriorityQueue` | [`Queue`], [`LifoQueue`], [`PriorityQueue`] |

mod barrier;
mod bounded_semaphore;
mod cancellation_token;
mod condition;
mod event;
mod loom;
mod mutex;
pub mod oneshot;
mod promise;
mod queue;
mod semaphore;
mod waiters;

pub use barrier::{Barrier, BarrierWait, BrokenBarrier};
pub use bounded_semaphore::{BoundedSemaphore, OverRelease};
pub use cancellation_token::{CancellationToken, DropGuard, WaitForCancellation};
pub use condition::Condition;
pub use event::{Event, EventWait};
pub use mutex::{Lock, LockFuture, Mutex, MutexGuard};
pub use promise::{CallbackScheduler, Cancelled, InvalidStateError, Promise, PromiseError, create_future};
pub use queue::QueueStream;
pub use queue::{
    BaseQueue, Fifo, Get, GetError, Join, Lifo, LifoQueue, Priority, PriorityQueue, Put, PutError, Queue,
    QueueShutDown, Storage, TaskDoneError,
};
pub use semaphore::{Acquire, Permit, Semaphore};
