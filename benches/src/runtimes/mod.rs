//! The three contenders. Each file writes every workload against its own
//! runtime's API, using that ecosystem's own primitives: corio's oneshot,
//! Queue, Mutex, Semaphore and Event; tokio's oneshot, mpsc, Mutex,
//! Semaphore and Notify; smol's async-channel, async-lock and event-listener.

mod corio_rt;
mod smol_rt;
mod tokio_rt;

pub use corio_rt::CorioRt;
pub use smol_rt::SmolRt;
pub use tokio_rt::TokioRt;
