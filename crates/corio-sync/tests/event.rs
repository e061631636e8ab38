#![cfg(not(corio_loom))]
//! Event: set / clear / is_set / wait.

mod common;

use std::sync::Arc;
use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::Event;

#[test]
fn event_starts_cleared() {
    let e = Event::new();
    assert!(!e.is_set());
    assert!(poll_once(&mut Box::pin(e.wait())).is_pending());
}

#[test]
fn event_wait_after_set_returns_at_once() {
    let e = Event::new();
    e.set();
    assert!(e.is_set());
    assert!(poll_once(&mut Box::pin(e.wait())).is_ready());
}

#[test]
fn event_set_wakes_every_waiter() {
    let e = Event::new();
    let (waker, count) = counting_waker();
    let mut ws: Vec<_> = (0..3).map(|_| Box::pin(e.wait())).collect();
    for w in &mut ws {
        assert!(poll_with(w, &waker).is_pending());
    }
    e.set();
    assert_eq!(count.count(), 3);
    for w in &mut ws {
        assert!(poll_once(w).is_ready());
    }
}

#[test]
fn event_clear_makes_wait_block_again() {
    let e = Event::new();
    e.set();
    e.clear();
    assert!(!e.is_set());
    assert!(poll_once(&mut Box::pin(e.wait())).is_pending());
}

#[test]
fn event_waiter_woken_by_set_returns_even_if_cleared() {
    let e = Event::new();
    let mut w = Box::pin(e.wait());
    assert!(poll_once(&mut w).is_pending());
    e.set();
    e.clear();
    assert!(poll_once(&mut w).is_ready());
}

#[test]
fn event_dropped_waiter_is_not_woken() {
    let e = Event::new();
    let (waker, count) = counting_waker();
    let mut w = Box::pin(e.wait());
    assert!(poll_with(&mut w, &waker).is_pending());
    drop(w);
    e.set();
    assert_eq!(count.count(), 0);
}

#[test]
fn event_set_from_another_thread() {
    let e = Arc::new(Event::new());
    let e2 = e.clone();
    let h = thread::spawn(move || e2.set());
    block_on(e.wait());
    join(h);
}
