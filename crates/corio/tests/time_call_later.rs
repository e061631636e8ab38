//! `call_soon`, `call_later`, `call_at` and `CallbackHandle` (API.md §3).
#![cfg(not(corio_loom))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Counter, LIMIT, runtime, with_timeout};

#[test]
fn call_soon_callbacks_run_fifo() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let done = Counter::new();
            for i in 0..100 {
                let (order, done) = (order.clone(), done.clone());
                corio::call_soon(move || {
                    order.lock().unwrap().push(i);
                    done.bump();
                });
            }
            done.reach(100).await;
            assert_eq!(*order.lock().unwrap(), (0..100).collect::<Vec<_>>());
        })
    });
}

#[test]
fn call_later_callbacks_with_equal_deadlines_run_in_creation_order() {
    with_timeout(LIMIT, || {
        corio::Builder::new().worker_threads(2).start_paused(true).build().unwrap().block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let done = Counter::new();
            let when = corio::time::now() + Duration::from_millis(20);
            for i in 0..50 {
                let (order, done) = (order.clone(), done.clone());
                corio::call_at(when, move || {
                    order.lock().unwrap().push(i);
                    done.bump();
                });
            }
            done.reach(50).await;
            assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());
        })
    });
}

#[test]
fn call_later_runs_after_its_delay_in_deadline_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let done = Counter::new();
            for (i, ms) in [(2, 6u64), (0, 1), (1, 3)] {
                let (order, done) = (order.clone(), done.clone());
                corio::call_later(Duration::from_millis(ms), move || {
                    order.lock().unwrap().push(i);
                    done.bump();
                });
            }
            done.reach(3).await;
            assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        })
    });
}

#[test]
fn cancel_before_it_ran_is_true_and_it_never_runs() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let ran = Counter::new();
            let r = ran.clone();
            let h = corio::call_later(Duration::from_millis(5), move || r.bump());
            assert!(h.cancel());
            assert!(h.cancelled());
            assert!(!h.cancel(), "second cancel is false");
            corio::sleep(Duration::from_millis(20)).await;
            assert_eq!(ran.get(), 0);
        })
    });
}

#[test]
fn cancel_after_it_ran_is_false() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let ran = Counter::new();
            let r = ran.clone();
            let h = corio::call_soon(move || r.bump());
            ran.reach(1).await;
            assert!(!h.cancel());
            assert!(!h.cancelled());
        })
    });
}

#[test]
fn dropping_the_handle_does_not_cancel() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let ran = Counter::new();
            let r = ran.clone();
            drop(corio::call_later(Duration::from_millis(1), move || r.bump()));
            ran.reach(1).await;
        })
    });
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let ran = Counter::new();
            corio::call_soon(|| panic!("callback boom"));
            let r = ran.clone();
            corio::call_soon(move || r.bump());
            ran.reach(1).await;
        })
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn call_soon_outside_a_runtime_panics() {
    corio::call_soon(|| {});
}
