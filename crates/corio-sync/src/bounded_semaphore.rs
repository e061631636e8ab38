//! [`BoundedSemaphore`]: asyncio's semaphore that refuses to be released past its start value.

use core::fmt;

use crate::semaphore::Semaphore;

/// A semaphore in asyncio's shape: `acquire().await` takes a permit with no guard, `release()`
/// gives one back and fails past the initial value. Strictly FIFO, like [`Semaphore`].
///
/// ```
/// # use corio_sync::BoundedSemaphore;
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release().is_err());
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
    bound: usize,
}

/// [`BoundedSemaphore::release`] was called more times than `acquire` (asyncio's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverRelease;

impl BoundedSemaphore {
    /// A semaphore with `value` permits, never more.
    pub fn new(value: usize) -> Self {
        Self { sem: Semaphore::new(value), bound: value }
    }

    /// Waits for a permit and takes it; give it back with [`BoundedSemaphore::release`].
    pub async fn acquire(&self) {
        self.sem.acquire().await.forget();
    }

    /// Gives a permit back (serving the first waiter); errors if that would exceed the
    /// initial value.
    pub fn release(&self) -> Result<(), OverRelease> {
        self.sem.release_bounded(self.bound).then_some(()).ok_or(OverRelease)
    }

    /// Whether `acquire` would wait now.
    pub fn locked(&self) -> bool {
        self.sem.locked()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore").field("sem", &self.sem).field("bound", &self.bound).finish()
    }
}

impl fmt::Display for OverRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl std::error::Error for OverRelease {}
