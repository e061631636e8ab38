#![cfg(not(corio_loom))]
//! Condition: wait releases and re-locks, notify(n) / notify_all, FIFO, cancel-safety.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::{Condition, Mutex};

#[test]
fn condition_wait_releases_lock_and_reacquires_it() {
    let m = Mutex::new(0);
    let c = Condition::new();
    let g = m.try_lock().unwrap();
    let mut w = Box::pin(c.wait(g));
    assert!(poll_once(&mut w).is_pending());
    // Released while waiting.
    *m.try_lock().expect("mutex not released by wait") = 5;
    c.notify(1);
    let Poll::Ready(g) = poll_once(&mut w) else { panic!("notified waiter did not return") };
    // Held again on return.
    assert_eq!(*g, 5);
    assert!(m.try_lock().is_none());
}

#[test]
fn condition_notified_waiter_waits_for_the_lock() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut w = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut w).is_pending());
    let held = m.try_lock().unwrap();
    c.notify(1);
    assert!(poll_once(&mut w).is_pending());
    drop(held);
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn condition_notify_n_wakes_n_oldest_first() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut ws = Vec::new();
    for _ in 0..3 {
        let mut w = Box::pin(c.wait(m.try_lock().unwrap()));
        assert!(poll_once(&mut w).is_pending());
        ws.push(w);
    }
    let (waker, count) = counting_waker();
    for w in &mut ws {
        assert!(poll_with(w, &waker).is_pending());
    }
    c.notify(2);
    assert_eq!(count.count(), 2);
    assert!(poll_once(&mut ws[2]).is_pending());
    let Poll::Ready(g) = poll_once(&mut ws[0]) else { panic!("oldest not notified") };
    drop(g);
    assert!(poll_once(&mut ws[1]).is_ready());
}

#[test]
fn condition_notify_all_wakes_every_waiter() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut ws: Vec<_> = (0..3)
        .map(|_| {
            let mut w = Box::pin(c.wait(m.try_lock().unwrap()));
            assert!(poll_once(&mut w).is_pending());
            w
        })
        .collect();
    c.notify_all();
    for w in &mut ws {
        let Poll::Ready(g) = poll_once(w) else { panic!("not woken by notify_all") };
        drop(g);
    }
}

#[test]
fn condition_notify_without_waiters_is_not_remembered() {
    let m = Mutex::new(());
    let c = Condition::new();
    c.notify(1);
    let mut w = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut w).is_pending());
}

#[test]
fn condition_notified_waiter_dropped_passes_notification_on() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut a = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut a).is_pending());
    let mut b = Box::pin(c.wait(m.try_lock().unwrap()));
    let (waker, count) = counting_waker();
    assert!(poll_with(&mut b, &waker).is_pending());
    c.notify(1); // to `a`
    drop(a); // cancelled before running: `b` gets the notification
    assert_eq!(count.count(), 1);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn condition_waiter_dropped_while_relocking_passes_notification_on() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut a = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut a).is_pending());
    let mut b = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut b).is_pending());
    let held = m.try_lock().unwrap();
    c.notify(1);
    assert!(poll_once(&mut a).is_pending()); // notified, now waiting for the mutex
    drop(a);
    drop(held);
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn condition_dropped_waiter_leaves_no_entry() {
    let m = Mutex::new(());
    let c = Condition::new();
    let mut a = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut a).is_pending());
    drop(a);
    let mut b = Box::pin(c.wait(m.try_lock().unwrap()));
    assert!(poll_once(&mut b).is_pending());
    c.notify(1); // must reach `b`, not a stale entry
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn condition_wait_for_checks_predicate_under_lock() {
    let m = Arc::new(Mutex::new(0));
    let c = Arc::new(Condition::new());
    let (m2, c2) = (m.clone(), c.clone());
    let producer = thread::spawn(move || {
        for _ in 0..5 {
            *block_on(m2.lock()) += 1;
            c2.notify_all(); // notify without holding the lock is allowed
        }
    });
    let g = block_on(async { c.wait_for(m.lock().await, |v| *v == 5).await });
    assert_eq!(*g, 5);
    drop(g);
    join(producer);
}

#[test]
fn condition_wait_for_true_predicate_returns_at_once() {
    let m = Mutex::new(1);
    let c = Condition::new();
    let g = block_on(c.wait_for(m.try_lock().unwrap(), |v| *v == 1));
    assert_eq!(*g, 1);
}
