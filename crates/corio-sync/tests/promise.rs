#![cfg(not(corio_loom))]
//! Promise: set once, any number of awaiting handles, cancel, result, done callbacks.

mod common;

use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;

use common::{block_on, counting_waker, join, poll_once, poll_with};
use corio_sync::{CallbackScheduler, Cancelled, InvalidStateError, Promise, PromiseError, create_future};

#[test]
fn promise_starts_pending() {
    let p = create_future::<u8>();
    assert!(!p.done());
    assert!(!p.cancelled());
    assert_eq!(p.result(), Err(PromiseError::InvalidState));
}

#[test]
fn promise_set_result_twice_is_invalid_state() {
    let p = Promise::new();
    assert_eq!(p.set_result(1), Ok(()));
    assert_eq!(p.set_result(2), Err(InvalidStateError));
    assert_eq!(p.result(), Ok(1));
}

#[test]
fn promise_set_result_after_cancel_is_invalid_state() {
    let p = Promise::new();
    assert!(p.cancel());
    assert_eq!(p.set_result(1), Err(InvalidStateError));
}

#[test]
fn promise_cancel_after_done_returns_false() {
    let p = Promise::new();
    p.set_result(1).unwrap();
    assert!(!p.cancel());
    assert!(!p.cancelled());
}

#[test]
fn promise_result_of_cancelled_is_cancelled_error() {
    let p = Promise::<u8>::new();
    p.cancel();
    assert!(p.done() && p.cancelled());
    assert_eq!(p.result(), Err(PromiseError::Cancelled));
    assert_eq!(block_on(p), Err(Cancelled));
}

#[test]
fn promise_every_clone_awaits_the_result() {
    let p = Promise::new();
    let (waker, count) = counting_waker();
    let mut waiters: Vec<_> = (0..3).map(|_| p.clone()).collect();
    for w in &mut waiters {
        assert!(poll_with(w, &waker).is_pending());
    }
    p.set_result(String::from("x")).unwrap();
    assert_eq!(count.count(), 3);
    for w in &mut waiters {
        assert_eq!(poll_once(w), Poll::Ready(Ok(String::from("x"))));
    }
}

#[test]
fn promise_dropped_waiter_is_not_woken() {
    let p = Promise::new();
    let (waker, count) = counting_waker();
    let mut w = p.clone();
    assert!(poll_with(&mut w, &waker).is_pending());
    drop(w);
    p.set_result(1).unwrap();
    assert_eq!(count.count(), 0);
}

#[test]
fn promise_set_from_another_thread_wakes_awaiter() {
    let p = Promise::new();
    let p2 = p.clone();
    let h = thread::spawn(move || p2.set_result(42).unwrap());
    assert_eq!(block_on(p), Ok(42));
    join(h);
}

#[test]
fn promise_callbacks_run_in_registration_order() {
    let p = Promise::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        p.add_done_callback(move |_| log.lock().unwrap().push(i));
    }
    assert!(log.lock().unwrap().is_empty());
    p.set_result(()).unwrap();
    assert_eq!(*log.lock().unwrap(), [0, 1, 2]);
}

#[test]
fn promise_callbacks_run_after_locks_released() {
    let p = Promise::new();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    // The callback uses the promise: it would deadlock if a lock were held.
    p.add_done_callback(move |p| {
        *s.lock().unwrap() = Some((p.done(), p.result()));
        p.add_done_callback(|_| {});
    });
    p.set_result(7).unwrap();
    assert_eq!(*seen.lock().unwrap(), Some((true, Ok(7))));
}

#[test]
fn promise_callback_added_after_done_runs_at_once_without_scheduler() {
    let p = Promise::new();
    p.set_result(1).unwrap();
    let ran = Arc::new(Mutex::new(false));
    let r = ran.clone();
    p.add_done_callback(move |_| *r.lock().unwrap() = true);
    assert!(*ran.lock().unwrap());
}

#[test]
fn promise_callbacks_run_on_cancel() {
    let p = Promise::<u8>::new();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    p.add_done_callback(move |p| *s.lock().unwrap() = Some(p.cancelled()));
    p.cancel();
    assert_eq!(*seen.lock().unwrap(), Some(true));
}

type Jobs = Arc<Mutex<Vec<Box<dyn FnOnce() + Send>>>>;

fn collecting_scheduler() -> (CallbackScheduler, Jobs) {
    let jobs: Jobs = Arc::default();
    let j = jobs.clone();
    (Arc::new(move |job| j.lock().unwrap().push(job)), jobs)
}

fn run_jobs(jobs: &Jobs) -> usize {
    let taken: Vec<_> = std::mem::take(&mut *jobs.lock().unwrap());
    let n = taken.len();
    taken.into_iter().for_each(|job| job());
    n
}

#[test]
fn promise_with_scheduler_never_runs_callbacks_inline() {
    let (sched, jobs) = collecting_scheduler();
    let p = Promise::with_scheduler(sched);
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        p.add_done_callback(move |_| log.lock().unwrap().push(i));
    }
    p.set_result(5).unwrap();
    assert!(log.lock().unwrap().is_empty(), "callback ran inside set_result");
    // One job per completion, running all callbacks in order.
    assert_eq!(run_jobs(&jobs), 1);
    assert_eq!(*log.lock().unwrap(), [0, 1, 2]);

    let l = log.clone();
    p.add_done_callback(move |p| l.lock().unwrap().push(p.result().unwrap()));
    assert_eq!(log.lock().unwrap().len(), 3, "callback ran inside add_done_callback");
    assert_eq!(run_jobs(&jobs), 1);
    assert_eq!(*log.lock().unwrap(), [0, 1, 2, 5]);
}

#[test]
fn promise_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Promise<String>>();
}

#[test]
fn promise_errors_are_std_errors() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<InvalidStateError>();
    assert_error::<PromiseError>();
    assert_error::<Cancelled>();
}
