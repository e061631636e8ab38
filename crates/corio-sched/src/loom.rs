//! The one place corio-sched gets its atomics, cells, locks, threads and
//! work-stealing queues from.
//!
//! Normally these are `std`, `parking_lot` and `crossbeam-deque`. Under
//! `--cfg corio_loom` they are loom's types, and stand-ins built on loom's
//! `Mutex` replace crossbeam-deque and parking_lot, whose insides loom cannot
//! see. Both variants offer the same API, so the rest of the crate is written
//! once.

#[cfg(not(corio_loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence};
    pub(crate) use std::thread;

    pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

    /// `UnsafeCell` with loom's closure-based access API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(data: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(data))
        }

        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// A non-poisoning mutex (parking_lot).
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) const fn new(data: T) -> Mutex<T> {
            Mutex(parking_lot::const_mutex(data))
        }

        #[inline]
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    /// A condition variable (parking_lot) with a by-value wait API.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) const fn new() -> Condvar {
            Condvar(parking_lot::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }

        /// Waits at most `dur`; the flag says whether the wait timed out.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            mut guard: MutexGuard<'a, T>,
            dur: std::time::Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            let timed_out = self.0.wait_for(&mut guard, dur).timed_out();
            (guard, timed_out)
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(corio_loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence};
    pub(crate) use loom::thread;

    /// loom's mutex, without poisoning.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(data: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(data))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    /// loom's condition variable with the same API as the native twin.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }

        // loom has no clock: a timed wait is modelled as a wait that may also
        // end spuriously, which is what callers must handle anyway.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _dur: std::time::Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            (self.0.wait(guard).unwrap(), false)
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    pub(crate) use deque::{Injector, Steal, Stealer, Worker};

    /// Stand-ins for crossbeam-deque: a loom mutex around a `VecDeque`, so
    /// loom sees every synchronisation the real queues provide.
    mod deque {
        use super::{Arc, Mutex};
        use std::collections::VecDeque;

        #[derive(Debug)]
        pub(crate) enum Steal<T> {
            Empty,
            Success(T),
            #[allow(dead_code)]
            Retry,
        }

        #[derive(Debug)]
        pub(crate) struct Worker<T>(Arc<Mutex<VecDeque<T>>>);

        #[derive(Debug)]
        pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);

        impl<T> Clone for Stealer<T> {
            fn clone(&self) -> Self {
                Stealer(self.0.clone())
            }
        }

        impl<T> Worker<T> {
            pub(crate) fn new_fifo() -> Worker<T> {
                Worker(Arc::new(Mutex::new(VecDeque::new())))
            }
            pub(crate) fn push(&self, t: T) {
                self.0.lock().push_back(t);
            }
            pub(crate) fn pop(&self) -> Option<T> {
                self.0.lock().pop_front()
            }
            pub(crate) fn is_empty(&self) -> bool {
                self.0.lock().is_empty()
            }
            pub(crate) fn stealer(&self) -> Stealer<T> {
                Stealer(self.0.clone())
            }
        }

        fn steal_half<T>(src: &Mutex<VecDeque<T>>, dest: &Worker<T>) -> Steal<T> {
            let mut src = src.lock();
            let Some(first) = src.pop_front() else {
                return Steal::Empty;
            };
            let n = src.len() / 2;
            let batch: Vec<T> = src.drain(..n).collect();
            drop(src);
            let mut dest = dest.0.lock();
            dest.extend(batch);
            Steal::Success(first)
        }

        impl<T> Stealer<T> {
            pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
                steal_half(&self.0, dest)
            }
            pub(crate) fn len(&self) -> usize {
                self.0.lock().len()
            }
        }

        #[derive(Debug)]
        pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

        impl<T> Injector<T> {
            pub(crate) fn new() -> Injector<T> {
                Injector(Mutex::new(VecDeque::new()))
            }
            pub(crate) fn push(&self, t: T) {
                self.0.lock().push_back(t);
            }
            pub(crate) fn steal(&self) -> Steal<T> {
                match self.0.lock().pop_front() {
                    Some(t) => Steal::Success(t),
                    None => Steal::Empty,
                }
            }
            pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
                steal_half(&self.0, dest)
            }
            pub(crate) fn is_empty(&self) -> bool {
                self.0.lock().is_empty()
            }
            pub(crate) fn len(&self) -> usize {
                self.0.lock().len()
            }
        }
    }
}

pub(crate) use imp::*;

/// A thread-local whose initial value is a constant expression. Normally it is std's `const`
/// form: with no destructor to register, every access is one thread-pointer-relative load, where
/// the lazy form checks its state first (a few instructions on every poll and wake). loom's
/// `thread_local!` has no `const` form, so under loom the same expression is the lazy initialiser.
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(corio_loom))]
        std::thread_local! { $(#[$attr])* static $name: $t = const { $init }; }
        #[cfg(corio_loom)]
        loom::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}
pub(crate) use const_thread_local;
