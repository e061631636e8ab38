//! The multi-thread work-stealing scheduler.
//!
//! Each worker owns a FIFO `crossbeam_deque::Worker` and a LIFO slot; one
//! `Injector` takes tasks from outside the workers. Where a worker looks for
//! its next task, in order (see `worker.rs`): every `global_queue_interval`
//! ticks the injector first (so remote tasks are never starved), then the
//! LIFO slot, the local deque, the injector, a random victim's deque (half
//! of it), and then it parks. The searching throttle and the wake-up
//! protocol are in `idle.rs`; parking and the driver hook in `park.rs`.

mod callbacks;
mod idle;
pub(crate) mod lifo;
pub(crate) mod park;
mod scheduler;
pub(crate) mod thread;
mod worker;

pub(crate) use park::SharedDriver;
pub(crate) use scheduler::{Config, Scheduler};
pub(crate) use worker::{run_worker, with_worker};
