#![cfg(not(corio_loom))]
//! BoundedSemaphore: asyncio's shape, over-release error, locked(), FIFO.

mod common;

use common::{block_on, counting_waker, poll_once, poll_with};
use corio_sync::{BoundedSemaphore, OverRelease};

#[test]
fn bounded_semaphore_over_release_errors() {
    let s = BoundedSemaphore::new(2);
    assert_eq!(s.release(), Err(OverRelease));
    block_on(s.acquire());
    assert_eq!(s.release(), Ok(()));
    assert_eq!(s.release(), Err(OverRelease));
}

#[test]
fn bounded_semaphore_locked_when_no_permit() {
    let s = BoundedSemaphore::new(1);
    assert!(!s.locked());
    block_on(s.acquire());
    assert!(s.locked());
    s.release().unwrap();
    assert!(!s.locked());
}

#[test]
fn bounded_semaphore_release_wakes_first_waiter() {
    let s = BoundedSemaphore::new(1);
    block_on(s.acquire());
    let mut a = Box::pin(s.acquire());
    let mut b = Box::pin(s.acquire());
    let (waker, count) = counting_waker();
    assert!(poll_with(&mut a, &waker).is_pending());
    assert!(poll_once(&mut b).is_pending());
    s.release().unwrap();
    assert_eq!(count.count(), 1);
    assert!(poll_once(&mut b).is_pending());
    assert!(poll_once(&mut a).is_ready());
}

#[test]
fn bounded_semaphore_cancelled_waiter_returns_permit() {
    let s = BoundedSemaphore::new(1);
    block_on(s.acquire());
    let mut a = Box::pin(s.acquire());
    assert!(poll_once(&mut a).is_pending());
    s.release().unwrap(); // granted to `a`
    drop(a); // cancelled: the permit comes back
    assert!(!s.locked());
    // Returning the permit did not push the count past the bound.
    assert_eq!(s.release(), Err(OverRelease));
}

#[test]
fn bounded_semaphore_error_is_std_error() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<OverRelease>();
    assert!(!OverRelease.to_string().is_empty());
}
