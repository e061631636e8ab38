//! [`Condition`]: wait for a notification while releasing a [`Mutex`] (asyncio's `Condition`).

use core::fmt;
use core::future::poll_fn;

use crate::loom::Mutex as InnerLock;
use crate::mutex::MutexGuard;
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

/// A condition variable for the async [`Mutex`](crate::Mutex).
///
/// asyncio's `Condition` owns its lock; here the lock is the one whose guard is passed to
/// [`Condition::wait`], which releases it while waiting and locks it again before returning.
/// Use one condition with one mutex. `notify` may be called with or without holding the lock.
///
/// A notification is never lost to cancellation: a waiter dropped after being notified (also
/// while it was re-locking the mutex) passes the notification on to the next waiter, so a
/// waiter may rarely see a spurious wake-up — check the predicate in a loop, or use
/// [`Condition::wait_for`].
pub struct Condition {
    waiters: InnerLock<WaitList<(), ()>>,
}

impl Condition {
    /// A condition with no waiters.
    pub fn new() -> Self {
        Self { waiters: InnerLock::new(WaitList::new()) }
    }

    /// Releases the guard's mutex, waits for a notification, then locks the mutex again.
    pub async fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = guard.mutex;
        // Queue before unlocking, so a notify issued right after the unlock reaches us.
        let mut waiter = Waiter::queued(self, &mut self.waiters.lock(), ());
        drop(guard);
        poll_fn(|cx| waiter.poll_queued(cx)).await;
        // Notified: if we are dropped before holding the lock again, the notification goes on.
        let pass_on = PassOn(self);
        let guard = mutex.lock().await;
        core::mem::forget(pass_on);
        guard
    }

    /// Waits until `pred` holds for the guarded value; checks it first, then after each
    /// notification, always with the mutex held.
    pub async fn wait_for<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut pred: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while !pred(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, oldest first.
    pub fn notify(&self, n: usize) {
        let mut wake = WakeList::new();
        let mut list = self.waiters.lock();
        for _ in 0..n {
            if !list.notify_front(|()| (), &mut wake) {
                break;
            }
        }
        drop(list);
        wake.wake_all();
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.notify(usize::MAX);
    }
}

/// Passes a consumed notification on if dropped (a waiter cancelled while re-locking).
struct PassOn<'a>(&'a Condition);

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        self.0.notify(1);
    }
}

impl Waitable for Condition {
    type State = WaitList<(), ()>;
    type Wait = ();
    type Grant = ();

    fn state(&self) -> &InnerLock<WaitList<(), ()>> {
        &self.waiters
    }

    fn list(state: &mut WaitList<(), ()>) -> &mut WaitList<(), ()> {
        state
    }

    fn give_back(&self, list: &mut WaitList<(), ()>, _: (), wake: &mut WakeList) -> Option<()> {
        list.notify_front(|()| (), wake);
        None
    }
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition").field("waiters", &self.waiters.lock().len()).finish()
    }
}
