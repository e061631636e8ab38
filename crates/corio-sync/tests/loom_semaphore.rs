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
