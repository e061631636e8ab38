//! Unix signals: [`ctrl_c`], or [`signal`] with a [`SignalKind`] and
//! [`Signal::recv`] — asyncio's `loop.add_signal_handler`, so a
//! `run_forever`-style server can stop cleanly on SIGINT or SIGTERM.
//!
//! ```no_run
//! use corio::signal::{SignalKind, signal};
//!
//! corio::run(async {
//!     let mut term = signal(SignalKind::terminate()).unwrap();
//!     term.recv().await;
//!     println!("SIGTERM: shutting down");
//! });
//! ```
//!
//! Once a signal has been listened for, its default action (for SIGINT:
//! terminating the process) is not restored when the listener is dropped.

pub use corio_io::signal::{Signal, SignalKind, ctrl_c, signal};
