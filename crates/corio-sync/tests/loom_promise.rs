#![cfg(corio_loom)]
//! loom models of Promise: set vs await, cancel vs set, callback vs complete.

mod loom_support;

use corio_sync::{Cancelled, Promise};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use loom_support::block_on;

#[test]
fn promise_set_vs_await_never_misses_wakeup() {
    loom::model(|| {
        let p = Promise::new();
        let p2 = p.clone();
        let t = thread::spawn(move || p2.set_result(5).unwrap());
        assert_eq!(block_on(p), Ok(5));
        t.join().unwrap();
    });
}

#[test]
fn promise_cancel_vs_set_exactly_one_wins() {
    loom::model(|| {
        let p = Promise::new();
        let p2 = p.clone();
        let t = thread::spawn(move || p2.cancel());
        let set = p.set_result(1).is_ok();
        let cancelled = t.join().unwrap();
        assert!(set != cancelled);
        assert_eq!(block_on(p), if set { Ok(1) } else { Err(Cancelled) });
    });
}

#[test]
fn promise_callback_vs_complete_runs_exactly_once() {
    loom::model(|| {
        let p = Promise::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let (p2, r2) = (p.clone(), runs.clone());
        let t = thread::spawn(move || {
            p2.add_done_callback(move |p| {
                assert!(p.done());
                r2.fetch_add(1, Ordering::SeqCst);
            })
        });
        p.set_result(()).unwrap();
        t.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// Rule 5: the value is written into its own cell while completing and cloned after the state
/// lock: a `result()` racing `set_result` sees either no result or the whole value, and two
/// concurrent readers each get their clone.
#[test]
fn promise_set_vs_concurrent_clones_sees_no_result_or_the_value() {
    loom::model(|| {
        let p = Promise::new();
        let (p2, p3) = (p.clone(), p.clone());
        let setter = thread::spawn(move || p2.set_result(String::from("v")).unwrap());
        let reader = thread::spawn(move || p3.result());
        let mine = p.result();
        let theirs = reader.join().unwrap();
        setter.join().unwrap();
        for r in [mine, theirs] {
            assert!(matches!(r.as_deref(), Err(corio_sync::PromiseError::InvalidState) | Ok("v")), "{r:?}");
        }
        assert_eq!(p.result().as_deref(), Ok("v"));
    });
}
