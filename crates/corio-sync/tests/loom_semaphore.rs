#![cfg(corio_loom)]
//! loom model: a Semaphore waiter cancelled while a release races it strands no permit.

mod loom_support;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use corio_sync::Semaphore;
use loom::sync::Arc;
use loom::thread;
use loom_support::{block_on, poll_once};

/// An `acquire` of one permit (kept forever once granted), polled once: it is queued.
fn queued_acquire(s: &Arc<Semaphore>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let s = s.clone();
    let mut a: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move { s.acquire().await.forget() });
    assert!(poll_once(a.as_mut()).is_pending());
    a
}

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
        // `a` queues first, so a release goes to it before the blocked waiter.
        let a = queued_acquire(&s);
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
        let a = queued_acquire(&s);
        let s1 = s.clone();
        let releaser = thread::spawn(move || s1.add_permits(1));
        // Whenever this runs, the permit belongs to the queued waiter.
        assert!(s.try_acquire().is_none());
        releaser.join().unwrap();
        block_on(a);
        assert_eq!(s.available_permits(), 0);
    });
}

/// Waiter-list rules 2-3: a notified waiter collects its grant without the lock while a
/// newcomer queues and may reuse a node from the free list. The newcomer never takes over the
/// node before its waiter has read the grant (loom checks the node's cell), and no permit is
/// lost or duplicated.
#[test]
fn semaphore_lock_free_collect_vs_node_reuse_keeps_every_permit() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(0));
        let a = queued_acquire(&s);
        let s1 = s.clone();
        let releaser = thread::spawn(move || s1.add_permits(2));
        let s2 = s.clone();
        // Queues (reusing `a`'s node if it is free by then) or takes the second permit at once.
        let newcomer = thread::spawn(move || block_on(s2.acquire()).forget());
        // Collects lock-free once notified.
        block_on(a);
        releaser.join().unwrap();
        newcomer.join().unwrap();
        assert_eq!(s.available_permits(), 0);
    });
}

/// Rule 3 against rule 4: a notified waiter dropped (not polled) gives its permit back under
/// the lock while another waiter's lock-free collect runs; both permits end up accounted for.
#[test]
fn semaphore_notified_waiter_dropped_while_another_collects_loses_nothing() {
    loom::model(|| {
        let s = Arc::new(Semaphore::new(0));
        let a = queued_acquire(&s);
        let b = queued_acquire(&s);
        let s2 = s.clone();
        let releaser = thread::spawn(move || s2.add_permits(1));
        let dropper = thread::spawn(move || drop(a));
        // `b` gets the permit directly (a was dropped first) or through `a`'s give-back.
        block_on(b);
        releaser.join().unwrap();
        dropper.join().unwrap();
        assert_eq!(s.available_permits(), 0);
    });
}
