//! Foreign code the driver runs — wakers, user closures, their destructors —
//! behind `catch_unwind`, a panic reported on stderr instead of unwinding
//! into the driver (driver rules 5 and 6).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Waker;

/// Rules 5 and 6: wakes `waker`, reporting a panic instead of unwinding
/// into the driver (and out of the dispatch of everything else).
pub(crate) fn wake_caught(waker: Waker) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || waker.wake())) {
        eprintln!("corio: a waker panicked: {}", panic_message(&*payload));
    }
}

/// Rule 6: drops `value` (user code: a closure, a waker), reporting a
/// panicking destructor.
pub(crate) fn drop_caught<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        eprintln!("corio: a destructor panicked: {}", panic_message(&*payload));
    }
}

/// The panic's message, or a stand-in for a payload that is not a string.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    corio_sched::task::panic_message(payload).unwrap_or_else(|| "non-string panic payload".to_string())
}
