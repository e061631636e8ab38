//! The boundary between user code and the runtime's own state.
//!
//! Every call into user code that runs on a runtime thread outside a task's
//! poll — dropping a future or an output nobody awaits, waking a foreign
//! waker, running a done callback, the driver's `park` (which wakes wakers and
//! fires timer callbacks) — goes through [`guard`]. A panic there is caught,
//! reported once on stderr with what was being done, and the runtime goes on:
//! reference counts are still released, the worker keeps running, the driver
//! stays usable. Panics inside a task's poll are not reports but results:
//! the task ends with `TaskError::Panicked` (see `task/harness.rs`).

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::task::panic_message;

/// Runs `f`; a panic is caught and reported as having happened while doing
/// `what`. Returns `None` if `f` panicked.
#[inline]
pub(crate) fn guard<R>(what: impl FnOnce() -> String, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            report(format_args!("{}", what()), &*payload);
            None
        }
    }
}

/// Reports a caught panic on stderr, naming what was being done.
#[cold]
pub(crate) fn report(what: fmt::Arguments<'_>, payload: &(dyn Any + Send)) {
    let message = panic_message(payload);
    eprintln!("corio: {what} panicked: {}", message.as_deref().unwrap_or("(non-string payload)"));
}
