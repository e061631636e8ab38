#![cfg(corio_loom)]
//! loom model: a Semaphore waiter cancelled while a release races it strands no permit.

mod loom_support;

use std::task::Poll;

use corio_sync::Semaphore;
use loom::sync::Arc;
use loom::thread;
use loom_support::{block_on, poll_once};

#[test]
fn semaphore_acquire_cancel_vs_release_strands_no_permit() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(0));
        let s1 = s.clone();
        let canceller = thread::spawn(move || {
            let mut a = Box::pin(s1.acquire());
            if let Poll::Ready(p) = poll_once(a.as_mut()) {
                drop(p); // got it at once: give it back
            }
            drop(a);
        });
        s.add_permits(1);
        canceller.join().unwrap();
        // The permit is neither lost nor duplicated.
        assert_eq!(s.available_permits(), 1);
        let p = block_on(s.acquire());
        assert!(s.try_acquire().is_none());
        drop(p);
    });
}

#[test]
fn semaphore_granted_waiter_cancelled_passes_permit_to_blocked_waiter() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(0));
        let s0 = s.clone();
        let mut a = Box::pin(async move { s0.acquire().await.forget() });
        // `a` queues first, so a release goes to it before the blocked waiter.
        assert!(poll_once(a.as_mut()).is_pending());
        let s1 = s.clone();
        let blocked = thread::spawn(move || block_on(s1.acquire()).forget());
        let canceller = thread::spawn(move || drop(a));
        s.add_permits(1);
        canceller.join().unwrap();
        blocked.join().unwrap();
        assert_eq!(s.available_permits(), 0);
    });
}

/// Protocol rule 3: a release on the lock-free fast path racing a newcomer
/// that is about to queue never strands the newcomer — it either sees the
/// permit in its re-check or the release sees WAITERS and serves it.
#[test]
fn semaphore_fast_release_vs_queueing_acquirer_never_strands_it() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(1));
        s.try_acquire().unwrap().forget();
        let held = 1;
        let s1 = s.clone();
        let waiter = thread::spawn(move || block_on(s1.acquire()).forget());
        s.add_permits(held);
        waiter.join().unwrap();
        assert_eq!(s.available_permits(), 0);
        assert!(s.try_acquire().is_none());
    });
}

/// Fast paths keep FIFO: while a waiter is queued, `try_acquire` cannot
/// take a permit released for it.
#[test]
fn semaphore_fast_path_never_overtakes_a_queued_waiter() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(0));
        let s0 = s.clone();
        let mut a = Box::pin(async move { s0.acquire().await.forget() });
        assert!(poll_once(a.as_mut()).is_pending());
        let s1 = s.clone();
        let releaser = thread::spawn(move || s1.add_permits(1));
        // Whenever this runs, the permit belongs to the queued waiter.
        assert!(s.try_acquire().is_none());
        releaser.join().unwrap();
        block_on(a);
        assert_eq!(s.available_permits(), 0);
    });
}
