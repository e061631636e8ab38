#![cfg(corio_loom)]
//! loom models of the Mutex state word: unlock vs waiter drop, unlock vs lock.

mod loom_support;

use corio_sync::Mutex;
use loom::sync::Arc;
use loom::thread;
use loom_support::{block_on, poll_once};

#[test]
fn mutex_unlock_vs_waiter_drop_never_loses_the_lock() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let g = m.try_lock().unwrap();
        let m1 = m.clone();
        let canceller = thread::spawn(move || {
            let mut w = Box::pin(m1.lock());
            let _ = poll_once(w.as_mut()); // may even get the lock; dropping releases it
            drop(w);
        });
        drop(g);
        canceller.join().unwrap();
        // Nobody holds it and nobody waits: free.
        assert!(m.try_lock().is_some());
    });
}

#[test]
fn mutex_unlock_vs_lock_never_misses_wakeup_and_excludes() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let m1 = m.clone();
        let t = thread::spawn(move || {
            let mut g = block_on(m1.lock());
            *g += 1;
        });
        {
            let mut g = block_on(m.lock());
            *g += 1;
        }
        t.join().unwrap();
        assert_eq!(*m.try_lock().unwrap(), 2);
    });
}

#[test]
fn mutex_handed_over_waiter_dropped_passes_lock_to_blocked_waiter() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(()));
        let g = m.try_lock().unwrap();
        let m0 = m.clone();
        let mut a = Box::pin(async move { drop(m0.lock().await) });
        // `a` queues first, so the unlock hands the lock to it.
        assert!(poll_once(a.as_mut()).is_pending());
        let m1 = m.clone();
        let blocked = thread::spawn(move || drop(block_on(m1.lock())));
        let canceller = thread::spawn(move || drop(a));
        drop(g);
        canceller.join().unwrap();
        blocked.join().unwrap();
        assert!(m.try_lock().is_some());
    });
}
