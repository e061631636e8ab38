//! The three contenders. Each file writes every workload against its own
//! runtime's API, using that ecosystem's own primitives (tokio's oneshot,
//! smol's async-channel, corio's oneshot).

mod corio_rt;
mod smol_rt;
mod tokio_rt;

pub use corio_rt::CorioRt;
pub use smol_rt::SmolRt;
pub use tokio_rt::TokioRt;
