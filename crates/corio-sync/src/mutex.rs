//! [`Mutex`]: an async mutex with FIFO hand-over (asyncio's `Lock`).
//!
//! # Protocol
//!
//! The state word has two bits; the waiter list sits behind a short internal lock.
//!
//! | state             | meaning                                              |
//! |-------------------|------------------------------------------------------|
//! | `0`               | unlocked, nobody waits                               |
//! | `LOCKED`          | owned by a guard (or a notified waiter), nobody waits |
//! | `LOCKED\|QUEUED`  | owned, and at least one waiter is queued             |
//!
//! 1. `QUEUED` is set and cleared only under the internal lock, and is set exactly while the
//!    list has a waiting entry. `QUEUED` implies `LOCKED`.
//! 2. Locking without waiting is one CAS `0 -> LOCKED`; it fails whenever someone waits, so
//!    nobody barges past the queue.
//! 3. Unlocking is one CAS `LOCKED -> 0`; if `QUEUED` is set it fails and the owner takes the
//!    internal lock and hands the lock to the first waiter: `LOCKED` stays set, the waiter is
//!    notified and becomes the owner (FIFO hand-over). The new owner collects the hand-over
//!    without the internal lock: the old owner's writes to `T` happen before its reads through
//!    the wait list's `NOTIFIED` Release/Acquire pair (waiter-list rule 3).
//! 4. While `LOCKED` is set and the internal lock is held, only the owner changes the state
//!    word, so it may `store` instead of CAS.
//! 5. A waiter dropped after being handed the lock owns it, so it unlocks (rule 3) in its drop
//!    (waiter-list rule 5): the lock passes to the next waiter.

use core::fmt;
use core::future::Future;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::loom::{AtomicUsize, Mutex as InnerLock, Ordering, UnsafeCell};
use crate::waiters::{WaitList, Waitable, Waiter, WakeList};

const LOCKED: usize = 0b01;
const QUEUED: usize = 0b10;

/// An async mutual-exclusion lock around a `T`, handed over in FIFO order.
///
/// ```
/// # use corio_sync::Mutex;
/// let m = Mutex::new(1);
/// *m.try_lock().unwrap() += 1;
/// assert_eq!(m.into_inner(), 2);
/// ```
pub struct Mutex<T> {
    state: AtomicUsize,
    waiters: InnerLock<WaitList<(), ()>>,
    value: UnsafeCell<T>,
}

/// asyncio's `Lock`: a [`Mutex`] guarding nothing.
pub type Lock = Mutex<()>;

/// Exclusive access to a [`Mutex`]'s value; unlocks (handing over to the next waiter) on drop.
#[must_use = "the mutex is unlocked at once when the guard is dropped"]
pub struct MutexGuard<'a, T> {
    pub(crate) mutex: &'a Mutex<T>,
}

/// The future of [`Mutex::lock`].
#[must_use = "futures do nothing unless polled"]
pub struct LockFuture<'a, T> {
    waiter: Waiter<'a, Mutex<T>>,
}

// SAFETY: the mutex hands out `&mut T` to one guard at a time (rules 2-3), possibly on another
// thread, so `T: Send` is all it needs.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: a shared guard only gives `&T` (the guard is the one owner, rules 2-3).
unsafe impl<T: Send + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    pub fn new(value: T) -> Self {
        Self { state: AtomicUsize::new(0), waiters: InnerLock::new(WaitList::new()), value: UnsafeCell::new(value) }
    }

    /// Waits for the lock (FIFO).
    pub fn lock(&self) -> LockFuture<'_, T> {
        LockFuture { waiter: Waiter::new(self) }
    }

    /// Takes the lock if it is free and nobody waits.
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        // ORDERING: Acquire pairs with the Release of `unlock` (the previous owner's writes).
        self.state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard { mutex: self })
    }

    /// Whether the lock is held (asyncio's `locked()`).
    pub fn is_locked(&self) -> bool {
        // ORDERING: a snapshot; nothing is read on the strength of it.
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// The value, through exclusive access to the mutex.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every guard, so no owner exists (rules 2-3).
        self.value.with_mut(|v| unsafe { &mut *v })
    }

    /// Consumes the mutex, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// Slow path of `lock`, under the internal lock: take the lock or queue (rule 1).
    fn lock_or_queue(&self) -> Result<(), ()> {
        // ORDERING: Relaxed load; the CAS below decides.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            let (new, order, ok) = match s & LOCKED {
                // ORDERING: Acquire pairs with the Release of `unlock`.
                0 => (s | LOCKED, Ordering::Acquire, true),
                // ORDERING: only publishes QUEUED to the owner's failing unlock CAS, which then
                // synchronises through the internal lock we hold.
                _ => (s | QUEUED, Ordering::Relaxed, false),
            };
            match self.state.compare_exchange(s, new, order, Ordering::Relaxed) {
                Ok(_) if ok => return Ok(()),
                Ok(_) => return Err(()),
                Err(actual) => s = actual,
            }
        }
    }

    #[inline]
    fn unlock(&self) {
        // ORDERING: Release pairs with the Acquire of `try_lock` / `lock_or_queue`.
        if self.state.compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut wake = WakeList::new();
        let mut list = self.waiters.lock();
        self.hand_over(&mut list, &mut wake);
        drop(list);
        wake.wake_all();
    }

    /// Under the internal lock, by the owner: pass the lock to the first waiter or release it.
    fn hand_over(&self, list: &mut WaitList<(), ()>, wake: &mut WakeList) {
        if list.notify_front(|()| (), wake) {
            if list.is_empty() {
                // ORDERING: rule 4; the new owner synchronises through the `NOTIFIED`
                // Release/Acquire of its node (rule 3), not through this word.
                self.state.store(LOCKED, Ordering::Relaxed);
            }
        } else {
            // ORDERING: rule 4; Release pairs with the next locker's Acquire.
            self.state.store(0, Ordering::Release);
        }
    }
}

impl<T> Waitable for Mutex<T> {
    type State = WaitList<(), ()>;
    type Wait = ();
    type Grant = ();

    fn state(&self) -> &InnerLock<WaitList<(), ()>> {
        &self.waiters
    }

    fn list(state: &mut WaitList<(), ()>) -> &mut WaitList<(), ()> {
        state
    }

    fn left(&self, list: &mut WaitList<(), ()>, _: &(), _: &mut WakeList) {
        if list.is_empty() {
            // ORDERING: rule 1 (under the internal lock); no data is published.
            self.state.fetch_and(!QUEUED, Ordering::Relaxed);
        }
    }

    fn give_back(&self, list: &mut WaitList<(), ()>, _: (), wake: &mut WakeList) -> Option<()> {
        // Rule 5: the dropped waiter owned the lock.
        self.hand_over(list, wake);
        None
    }
}

impl<'a, T> Future for LockFuture<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let mutex = self.waiter.primitive();
        if !self.waiter.is_queued()
            && let Some(guard) = mutex.try_lock()
        {
            return Poll::Ready(guard);
        }
        self.waiter.poll(cx, |_, _| mutex.lock_or_queue(), |()| ()).map(|()| MutexGuard { mutex })
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard is the lock's one owner (rules 2-3).
        self.mutex.value.with(|v| unsafe { &*v })
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard is the lock's one owner (rules 2-3), borrowed mutably.
        self.mutex.value.with_mut(|v| unsafe { &mut *v })
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").field("locked", &self.is_locked()).finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> fmt::Debug for LockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFuture").finish_non_exhaustive()
    }
}
