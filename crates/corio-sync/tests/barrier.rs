#![cfg(not(corio_loom))]
//! Barrier: parties, indices, abort, reset, cancellation.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::thread;

use common::{block_on, join, poll_once};
use corio_sync::{Barrier, BrokenBarrier};

#[test]
#[should_panic(expected = "parties must be at least 1")]
fn barrier_zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn barrier_single_party_returns_at_once() {
    let b = Barrier::new(1);
    assert_eq!(block_on(b.wait()), Ok(0));
    assert_eq!(block_on(b.wait()), Ok(0));
}

#[test]
fn barrier_releases_all_with_distinct_arrival_indices() {
    let b = Barrier::new(3);
    let mut w0 = Box::pin(b.wait());
    let mut w1 = Box::pin(b.wait());
    assert!(poll_once(&mut w0).is_pending());
    assert!(poll_once(&mut w1).is_pending());
    assert_eq!(b.n_waiting(), 2);
    assert_eq!(block_on(b.wait()), Ok(2));
    assert_eq!(poll_once(&mut w0), Poll::Ready(Ok(0)));
    assert_eq!(poll_once(&mut w1), Poll::Ready(Ok(1)));
    assert_eq!(b.n_waiting(), 0);
}

#[test]
fn barrier_is_reusable_across_rounds() {
    let b = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let b = b.clone();
            thread::spawn(move || {
                let mut idx = Vec::new();
                for _ in 0..50 {
                    idx.push(block_on(b.wait()).unwrap());
                }
                idx
            })
        })
        .collect();
    let results: Vec<Vec<usize>> = threads.into_iter().map(join).collect();
    for round in 0..50 {
        let mut got: Vec<_> = results.iter().map(|r| r[round]).collect();
        got.sort();
        assert_eq!(got, [0, 1, 2], "round {round}");
    }
}

#[test]
fn barrier_abort_breaks_waiters() {
    let b = Barrier::new(3);
    let mut w = Box::pin(b.wait());
    assert!(poll_once(&mut w).is_pending());
    b.abort();
    assert_eq!(poll_once(&mut w), Poll::Ready(Err(BrokenBarrier)));
    assert!(b.broken());
}

#[test]
fn barrier_broken_until_reset() {
    let b = Barrier::new(2);
    b.abort();
    assert_eq!(block_on(b.wait()), Err(BrokenBarrier));
    b.reset();
    assert!(!b.broken());
    let mut w = Box::pin(b.wait());
    assert!(poll_once(&mut w).is_pending());
    assert_eq!(block_on(b.wait()), Ok(1));
    assert_eq!(poll_once(&mut w), Poll::Ready(Ok(0)));
}

#[test]
fn barrier_reset_breaks_current_waiters() {
    let b = Barrier::new(2);
    let mut w = Box::pin(b.wait());
    assert!(poll_once(&mut w).is_pending());
    b.reset();
    assert_eq!(poll_once(&mut w), Poll::Ready(Err(BrokenBarrier)));
    assert!(!b.broken());
    assert_eq!(b.n_waiting(), 0);
}

#[test]
fn barrier_cancelled_waiter_is_not_counted() {
    let b = Barrier::new(2);
    let mut gone = Box::pin(b.wait());
    assert!(poll_once(&mut gone).is_pending());
    drop(gone);
    assert_eq!(b.n_waiting(), 0);
    let mut w = Box::pin(b.wait());
    assert!(poll_once(&mut w).is_pending(), "a dropped waiter counted as a party");
    assert_eq!(block_on(b.wait()), Ok(1));
    assert_eq!(poll_once(&mut w), Poll::Ready(Ok(0)));
}

#[test]
fn barrier_parties_is_reported() {
    assert_eq!(Barrier::new(4).parties(), 4);
}
