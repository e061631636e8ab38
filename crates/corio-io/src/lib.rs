//! corio's I/O and time driver: a reactor over epoll ([`mio`]), a hierarchical
//! timer wheel, sockets, asyncio's streams, and signals.
//!
//! Most users want the `corio` facade, which re-exports everything here
//! under `corio::time`, `corio::net`, `corio::streams` and `corio::signal`.
//! The facade plugs [`IoDriver`] into the scheduler (corio-sched knows
//! nothing of I/O) and keeps an [`IoHandle`] in the runtime's extension
//! slot, which is how the functions here find their driver.
//!
//! Where things are: `reactor/` (the poller, registrations, the readiness
//! protocol), `time/` (the wheel, the clock, timers, `sleep`, `timeout`,
//! callbacks and the `call_soon` queue), `driver/` (`park`/`unpark`,
//! virtual time, [`IoHandle`]), `catch.rs` (foreign code run behind
//! `catch_unwind`), `net/` (sockets), `streams/` (StreamReader,
//! StreamWriter, Server), `process/` (subprocesses and their reaping),
//! `signal.rs`, `loom.rs` (the loom shim). The protocols are written down, as numbered
//! rules, at the top of each of those files and in `docs/io.md`.

mod catch;
mod driver;
mod loom;
pub mod net;
#[cfg(not(corio_loom))]
pub mod process;
mod reactor;
pub mod signal;
pub mod streams;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;

pub use driver::{IoDriver, IoHandle, new_driver};
pub use time::{CallbackHandle, TimeoutError};

#[cfg(all(test, corio_loom))]
mod loom_models;

fn _assert_auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    send_sync::<IoHandle>();
    send_sync::<IoDriver>();
    send_sync::<time::Sleep>();
    unpin::<time::Sleep>();
    send_sync::<time::Timeout<std::future::Ready<u8>>>();
    send_sync::<time::TimeoutHandle>();
    send_sync::<CallbackHandle>();
    send_sync::<time::Interval>();
}
