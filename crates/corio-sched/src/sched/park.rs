//! Parking idle threads, and the hook the I/O driver plugs into.
//!
//! A worker with nothing to do parks. If no other worker is blocked in the
//! [`Driver`] it blocks there (so I/O events and timers are waited for by
//! one thread); otherwise it sleeps on its own condition variable. Unparking
//! wakes whichever of the two it is in.
//!
//! # Rules
//!
//! 1. `state` is `EMPTY`, `PARKED_CONDVAR`, `PARKED_DRIVER` or `NOTIFIED`.
//!    `unpark` swaps in `NOTIFIED` and, if the thread was parked, wakes it
//!    through what it parked on.
//! 2. `park` consumes a `NOTIFIED` without blocking. To block on the condvar
//!    it moves `EMPTY → PARKED_CONDVAR` while holding the mutex, so an
//!    unparker that saw `PARKED_CONDVAR` takes the mutex before notifying and
//!    cannot notify before the parker waits.
//! 3. To block in the driver it moves `EMPTY → PARKED_DRIVER` first; an
//!    unpark after that calls `Driver::unpark`, which makes the driver's
//!    current or next `park` return.
//! 4. At most one thread is inside the driver: `SharedDriver::busy` is taken
//!    with a CAS before and released after, also when the driver panicked
//!    (the panic is caught at the fault boundary, `fault.rs`), so a panic
//!    can never leave the driver locked with nobody inside.

use std::time::Duration;

use crate::loom::{AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};

/// What corio-io (or any event source) implements to be waited on by idle
/// workers. corio-sched never imports an I/O library; the facade plugs the
/// driver in with [`Builder::driver`](crate::Builder::driver).
pub trait Driver: Send + Sync + 'static {
    /// Blocks until an event, an [`unpark`](Driver::unpark), or `timeout`
    /// (`None`: no limit; `Some(ZERO)`: poll without blocking), and
    /// dispatches whatever became ready (wakes tasks, fires timers). Called
    /// by at most one thread at a time.
    fn park(&self, timeout: Option<Duration>);

    /// Makes the current or the next `park` return promptly. Called from
    /// any thread.
    fn unpark(&self);

    /// The runtime is shutting down and every task has been cancelled:
    /// release what the driver still holds for tasks (pending timers and
    /// callbacks, whose closures may hold handles to the runtime and would
    /// otherwise keep it alive in a cycle). Called once, after the workers
    /// stopped.
    fn shutdown(&self) {}
}

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// The driver shared by a runtime's workers, with the lock that lets one of
/// them block in it.
pub(crate) struct SharedDriver {
    driver: Box<dyn Driver>,
    busy: AtomicBool,
}

impl SharedDriver {
    pub(crate) fn new(driver: Box<dyn Driver>) -> SharedDriver {
        SharedDriver { driver, busy: AtomicBool::new(false) }
    }

    /// Runs `f` with the driver if no other thread is using it (rule 4).
    pub(crate) fn try_with(&self, f: impl FnOnce(&dyn Driver)) -> bool {
        // ORDERING: Acquire pairs with the Release store below, so one
        // thread's use of the driver happens before the next one's.
        if self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return false;
        }
        // The driver wakes foreign wakers and fires user callbacks: a panic
        // there is reported and must not leave `busy` set, or no thread would
        // ever wait for I/O or timers again.
        crate::fault::guard(|| "the I/O and time driver".to_string(), || f(&*self.driver));
        // ORDERING: Release: see above.
        self.busy.store(false, Ordering::Release);
        true
    }

    pub(crate) fn unpark(&self) {
        self.driver.unpark();
    }

    pub(crate) fn shutdown(&self) {
        self.driver.shutdown();
    }
}

/// One thread's parking spot.
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker { state: AtomicUsize::new(EMPTY), mutex: Mutex::new(()), condvar: Condvar::new() }
    }

    /// Rule 2 or 3: blocks until `unpark` (or a driver event), or until
    /// `timeout` passed.
    pub(crate) fn park(&self, driver: Option<&SharedDriver>, timeout: Option<Duration>) {
        if self.consume_notification() {
            return;
        }
        if let Some(driver) = driver
            && driver.try_with(|d| self.park_driver(d, timeout))
        {
            return;
        }
        self.park_condvar(timeout);
    }

    fn consume_notification(&self) -> bool {
        self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    fn park_driver(&self, driver: &dyn Driver, timeout: Option<Duration>) {
        match self.state.compare_exchange(EMPTY, PARKED_DRIVER, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(actual) => unreachable!("park_driver in state {actual}"),
        }
        // Caught here, not only in `try_with`: the state must go back to
        // EMPTY even when the driver panicked (rule 4).
        crate::fault::guard(|| "the I/O and time driver".to_string(), || driver.park(timeout));
        // Whether woken by `unpark` or by an event, we are awake now.
        self.state.swap(EMPTY, Ordering::SeqCst);
    }

    fn park_condvar(&self, timeout: Option<Duration>) {
        let mut guard = self.mutex.lock();
        match self.state.compare_exchange(EMPTY, PARKED_CONDVAR, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(actual) => unreachable!("park_condvar in state {actual}"),
        }
        loop {
            let timed_out = match timeout {
                None => {
                    guard = self.condvar.wait(guard);
                    false
                }
                Some(timeout) => {
                    let (g, timed_out) = self.condvar.wait_timeout(guard, timeout);
                    guard = g;
                    timed_out
                }
            };
            if self.consume_notification() {
                return;
            }
            if timed_out {
                // Back to EMPTY, unless an unpark raced in (then consume it).
                // We hold the mutex, so the unparker's notify cannot be lost
                // either way.
                self.state.swap(EMPTY, Ordering::SeqCst);
                return;
            }
            // Spurious wake-up: still PARKED_CONDVAR, wait again.
        }
    }

    /// Rule 1.
    pub(crate) fn unpark(&self, driver: Option<&SharedDriver>) {
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Rule 2: taking the mutex orders us after the parker's wait.
                drop(self.mutex.lock());
                self.condvar.notify_one();
            }
            PARKED_DRIVER => driver.expect("parked in a driver that does not exist").unpark(),
            actual => unreachable!("unpark in state {actual}"),
        }
    }
}
