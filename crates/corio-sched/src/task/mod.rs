//! Tasks: one allocation per task, one atomic state word, and the handles
//! that point into it.
//!
//! # Layout
//!
//! A task is a single `Cell<F, S>` (see `cell.rs`): a `Header` (state word,
//! vtable, id, registry slot), the `Core` (the scheduler handle and the
//! *stage*: the future, later its output), and a cold `Trailer` (join waker,
//! and a lock around the name, the cancel message and the done callbacks).
//! Everything else (`Notified`, `Task<T>`, `TaskRef`, `Waker`) is a pointer to
//! the header plus one reference.
//!
//! # The protocol
//!
//! The state bits are tabled in `state.rs`. These rules say who may touch
//! what; every `// SAFETY:` comment about a task cell in this module
//! cites one of them (`error.rs`'s `Sync` for a panic payload is not about
//! a cell).
//!
//! 1. **Wake.** Waking an idle task sets `SCHEDULED` and creates exactly one
//!    queue entry (`Notified`), which owns one reference. Waking a `RUNNING`
//!    task only sets `SCHEDULED`: the runner reschedules it after the poll
//!    (rule 3). Waking a queued, complete, or root task does nothing.
//! 2. **Run.** Only the holder of a queue entry may set `RUNNING` (clearing
//!    `SCHEDULED`). `RUNNING` gives exclusive access to the stage. The entry's
//!    reference becomes the runner's.
//! 3. **Pending.** After a poll returns `Pending`: if `CANCELLED` is set, the
//!    runner keeps `RUNNING` and completes the task as cancelled (rule 4); if
//!    `SCHEDULED` is set, it clears `RUNNING` and its reference becomes a new
//!    queue entry, pushed to the back of the queue (a yield); otherwise it
//!    clears `RUNNING` and releases its reference in the same transition.
//!    A task that yielded with its own waker (`yield_now`, `context::yield_task`)
//!    is treated as woken during the poll: the same transition sets
//!    `SCHEDULED` and clears `RUNNING` (unless `CANCELLED`, as above).
//! 4. **Complete.** The owner of `RUNNING` drops the future, writes the
//!    output into the stage, and then sets `COMPLETE` (clearing `RUNNING`) in
//!    one transition that returns the previous state. From then on the stage
//!    belongs to the `Task` handle if `JOIN_INTEREST` was set, otherwise to
//!    the completer, which drops the output at once. If `JOIN_WAKER` was set
//!    the completer wakes the join waker, then fires callbacks (rule 8). It
//!    removes the task from the registry *before* setting `COMPLETE`, so
//!    `all_tasks()` never lists a finished task, and releases its own
//!    reference and the registry's at the very end — or, when
//!    `JOIN_INTEREST` is set and neither `JOIN_WAKER` nor `CALLBACKS` is,
//!    in the `COMPLETE` transition itself: nothing is left to do then, and
//!    the handle's reference keeps the cell alive for the handle.
//! 5. **Cancel.** Cancelling sets `CANCELLED`. If the task was idle, the
//!    canceller takes `RUNNING` and one reference in the same transition and
//!    completes the task itself (rule 4): the future is dropped immediately,
//!    on the cancelling thread. If it was queued, the entry's holder sees
//!    `CANCELLED` at rule 2; if it was running, the runner sees it at rule 3.
//! 6. **Join interest.** The `Task` handle owns `JOIN_INTEREST`. Dropping or
//!    detaching it: if `COMPLETE` is set, the handle owns the output and
//!    drops it; otherwise it clears `JOIN_INTEREST` and `JOIN_WAKER`, and the
//!    completer will drop the output (rule 4).
//! 7. **Join waker slot.** While `JOIN_WAKER` is clear and the task is not
//!    complete, only the handle touches the slot: it writes a waker, then sets
//!    `JOIN_WAKER` (failing if `COMPLETE`). While `JOIN_WAKER` is set, the
//!    handle may only take the slot back by clearing it (failing if
//!    `COMPLETE`), and the completer may read the slot once it has set
//!    `COMPLETE`. The slot is dropped with the cell.
//! 8. **Done callbacks** live in a FIFO under the cold lock, with `fired`
//!    and `draining` flags. A registrant pushes under the lock, then sets
//!    `CALLBACKS`; if the state before had `COMPLETE` but not `CALLBACKS`,
//!    the registrant fires. The completer fires iff its completion
//!    transition saw `CALLBACKS`. Firing sets `fired`; whoever pushes to or
//!    fires a non-empty list while `fired` is set and `draining` is not sets
//!    `draining` and hands one drainer job to the scheduler, which pops and
//!    runs callbacks until the list is empty, then clears `draining`. One
//!    drainer at a time keeps registration order. Callbacks never run on the
//!    registrant's or the completer's stack while the runtime is up.
//! 9. **References.** The `Task` handle, each queue entry (and so the
//!    runner), each `Waker`, each `TaskRef` and the registry entry own one
//!    reference each. The registry's reference lives until completion, so an
//!    unfinished task is never freed. The last reference frees the cell.

mod builder;
pub(crate) mod cache;
mod callbacks;
pub(crate) mod cell;
pub(crate) mod debug_info;
mod error;
mod harness;
pub(crate) mod header;
mod id;
mod join;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod root;
mod schedule;
pub(crate) mod state;
mod task_ref;
mod waker;

pub use builder::Builder;
pub use error::{PanicPayload, TaskError, panic_message};
pub use id::{CallbackId, TaskId};
pub use join::Task;
pub use task_ref::TaskRef;

pub(crate) use harness::new_task;
pub(crate) use raw::{Notified, RawTask};
pub(crate) use schedule::Schedule;
pub(crate) use waker::is_waker_of;
