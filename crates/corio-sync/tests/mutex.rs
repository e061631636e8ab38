#![cfg(not(corio_loom))]
//! Mutex / Lock: exclusion, FIFO hand-over, no barging, cancel-safe waiters.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::{Lock, Mutex};

#[test]
fn mutex_try_lock_fails_while_locked() {
    let m = Mutex::new(0);
    let g = m.try_lock().unwrap();
    assert!(m.try_lock().is_none());
    assert!(m.is_locked());
    drop(g);
    assert!(!m.is_locked());
    assert!(m.try_lock().is_some());
}

#[test]
fn mutex_fifo_handover() {
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(m.lock())).collect();
    let (waker, count) = counting_waker();
    for w in &mut waiters {
        assert!(poll_with(w, &waker).is_pending());
    }
    drop(g);
    // Exactly the first waiter was handed the lock; the lock stayed held throughout.
    assert_eq!(count.count(), 1);
    assert!(m.is_locked());
    assert!(poll_once(&mut waiters[2]).is_pending());
    assert!(poll_once(&mut waiters[1]).is_pending());
    let Poll::Ready(mut g0) = poll_once(&mut waiters[0]) else { panic!("first waiter not handed the lock") };
    g0.push(0);
    drop(g0);
    let Poll::Ready(mut g1) = poll_once(&mut waiters[1]) else { panic!("second waiter not handed the lock") };
    g1.push(1);
    drop(g1);
    let Poll::Ready(g2) = poll_once(&mut waiters[2]) else { panic!("third waiter not handed the lock") };
    drop(g2);
    assert_eq!(*m.try_lock().unwrap(), [0, 1]);
}

#[test]
fn mutex_no_barging_past_queued_waiters() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut w = Box::pin(m.lock());
    assert!(poll_once(&mut w).is_pending());
    drop(g);
    // Handed to the queued waiter: a newcomer cannot take it.
    assert!(m.try_lock().is_none());
    let mut late = Box::pin(m.lock());
    assert!(poll_once(&mut late).is_pending());
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn mutex_waiter_dropped_after_handover_passes_lock_on() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    let (waker, count) = counting_waker();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_with(&mut b, &waker).is_pending());
    drop(g); // hands to `a`
    drop(a); // cancelled holding the lock: passes it to `b`
    assert_eq!(count.count(), 1);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn mutex_waiter_dropped_while_waiting_leaves_no_entry() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    drop(a);
    drop(g);
    // Nobody is queued any more: the lock is simply free.
    assert!(!m.is_locked());
    assert!(m.try_lock().is_some());
}

#[test]
fn mutex_last_handed_over_waiter_dropped_unlocks() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    drop(g);
    drop(a);
    assert!(m.try_lock().is_some());
}

#[test]
fn mutex_excludes_across_threads() {
    let m = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            thread::spawn(move || {
                for _ in 0..2_000 {
                    let mut g = block_on(m.lock());
                    let v = *g;
                    std::hint::spin_loop();
                    *g = v + 1;
                }
            })
        })
        .collect();
    threads.into_iter().for_each(join);
    assert_eq!(*block_on(m.lock()), 8_000);
}

#[test]
fn lock_is_mutex_of_unit() {
    let l = Lock::default();
    let g = block_on(l.lock());
    assert!(l.is_locked());
    drop(g);
    assert_eq!(l.into_inner(), ());
}

#[test]
fn mutex_get_mut_and_into_inner() {
    let mut m = Mutex::new(String::from("a"));
    m.get_mut().push('b');
    assert_eq!(m.into_inner(), "ab");
}
