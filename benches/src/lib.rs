//! corio-bench: the workloads of `DESIGN.md`, written once per runtime
//! (corio, tokio's multi-thread runtime, smol's `async-executor` on N
//! threads) with the same parameters and the same number of workers.
//!
//! Every workload checks its own answer, so a broken runtime cannot look
//! fast. The criterion benches (`benches/{scheduler,io,sync}.rs`) and the
//! `compare` binary both drive the workloads through [`Workload`] and
//! [`Contender`]; [`memory`] measures the resident memory of idle tasks.
//!
//! Fairness rules every workload follows:
//! - the same worker count on every runtime, each runtime built once, outside
//!   the timed region;
//! - the same shape of work, with each runtime's own primitives of the same
//!   class (its own oneshot, channel, mutex, semaphore, timer, socket);
//! - the answer asserted at the end of every run.

pub mod child;
mod contender;
pub mod echo;
pub mod http;
pub mod memory;
pub mod params;
pub mod runtimes;
mod workload;

pub use contender::Contender;
pub use runtimes::{CorioRt, SmolRt, TokioRt};
pub use workload::{Kind, Workload};

/// The sum `0 + 1 + … + (n - 1)`, the answer of the spawn workloads.
pub fn triangle(n: u64) -> u64 {
    n * (n - 1) / 2
}
