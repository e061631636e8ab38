#![cfg(not(corio_loom))]
//! Semaphore: permits, strict FIFO, cancel-safety, forget, add_permits.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::Semaphore;

#[test]
fn semaphore_permit_released_on_drop() {
    let s = Semaphore::new(2);
    let a = block_on(s.acquire());
    let b = s.try_acquire().unwrap();
    assert_eq!(s.available_permits(), 0);
    assert!(s.try_acquire().is_none());
    drop(a);
    assert_eq!(s.available_permits(), 1);
    drop(b);
    assert_eq!(s.available_permits(), 2);
}

#[test]
fn semaphore_forget_keeps_permits_taken() {
    let s = Semaphore::new(1);
    s.try_acquire().unwrap().forget();
    assert_eq!(s.available_permits(), 0);
    s.add_permits(1);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn semaphore_strict_fifo_big_request_blocks_small() {
    let s = Semaphore::new(1);
    let mut big = Box::pin(s.acquire_many(3));
    assert!(poll_once(&mut big).is_pending());
    // A permit is free, but the big request is first in line.
    assert!(s.try_acquire().is_none());
    let mut small = Box::pin(s.acquire());
    assert!(poll_once(&mut small).is_pending());
    s.add_permits(2);
    let p = match poll_once(&mut big) {
        std::task::Poll::Ready(p) => p,
        _ => panic!("big request not served first"),
    };
    assert_eq!(p.num_permits(), 3);
    assert!(poll_once(&mut small).is_pending());
    drop(p);
    assert!(poll_once(&mut small).is_ready());
}

#[test]
fn semaphore_waiters_served_in_arrival_order() {
    let s = Semaphore::new(0);
    let mut ws: Vec<_> = (0..3).map(|_| Box::pin(s.acquire())).collect();
    for w in &mut ws {
        assert!(poll_once(w).is_pending());
    }
    s.add_permits(1);
    assert!(poll_once(&mut ws[2]).is_pending());
    assert!(poll_once(&mut ws[1]).is_pending());
    assert!(poll_once(&mut ws[0]).is_ready());
}

#[test]
fn semaphore_cancelled_waiter_strands_no_permit() {
    let s = Semaphore::new(0);
    let mut a = Box::pin(s.acquire());
    let mut b = Box::pin(s.acquire());
    let (waker, count) = counting_waker();
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_with(&mut b, &waker).is_pending());
    s.add_permits(1); // granted to `a`
    drop(a); // cancelled after the grant: the permit goes to `b`
    assert_eq!(count.count(), 1);
    let p = match poll_once(&mut b) {
        std::task::Poll::Ready(p) => p,
        _ => panic!("permit stranded"),
    };
    drop(p);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn semaphore_cancelled_waiter_without_successor_returns_permit() {
    let s = Semaphore::new(0);
    let mut a = Box::pin(s.acquire());
    assert!(poll_once(&mut a).is_pending());
    s.add_permits(1);
    drop(a);
    assert_eq!(s.available_permits(), 1);
}

#[test]
fn semaphore_cancelled_head_lets_next_through() {
    let s = Semaphore::new(1);
    let mut big = Box::pin(s.acquire_many(5));
    let mut small = Box::pin(s.acquire());
    let (waker, count) = counting_waker();
    assert!(poll_once(&mut big).is_pending());
    assert!(poll_with(&mut small, &waker).is_pending());
    drop(big);
    assert_eq!(count.count(), 1);
    assert!(poll_once(&mut small).is_ready());
}

#[test]
fn semaphore_never_more_holders_than_permits_across_threads() {
    let s = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (s, inside) = (s.clone(), inside.clone());
            thread::spawn(move || {
                for j in 0..1_000usize {
                    if (i + j).is_multiple_of(7) {
                        // Start waiting, then cancel: races with releases.
                        let mut f = Box::pin(s.acquire());
                        let _ = poll_once(&mut f);
                        drop(f);
                        continue;
                    }
                    let p = block_on(s.acquire());
                    assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(p);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(join);
    assert_eq!(s.available_permits(), 2);
}
