#![cfg(not(corio_loom))]
//! The timed asyncio behaviours, on virtual time (`start_paused(true)`):
//! wait_for cancels and awaits the inner before TimeoutError, shield under
//! wait_for, wait's timeout cancels nothing, call_soon is FIFO, call_later
//! with equal deadlines runs in creation order.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{DropFlag, LIMIT, with_timeout, yield_until};
use corio::ReturnWhen;

fn paused() -> corio::Runtime {
    corio::Builder::new().worker_threads(2).start_paused(true).build().expect("cannot build a paused runtime")
}

#[test]
fn wait_for_drops_the_inner_future_before_returning_timeout_error() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let (guard, dropped) = DropFlag::new();
            let inner = async move {
                let _guard = guard; // asyncio: the coroutine's `finally`
                corio::sleep(Duration::from_secs(3600)).await;
                1
            };
            let res = corio::wait_for(inner, Duration::from_secs(1)).await;
            assert!(res.is_err());
            assert!(dropped.load(Ordering::SeqCst), "the inner future was dropped before TimeoutError");
        })
    });
}

#[test]
fn wait_for_cancels_an_inner_task_and_its_destructors_run() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let (guard, dropped) = DropFlag::new();
            let task = corio::create_task(async move {
                let _guard = guard;
                corio::sleep(Duration::from_secs(3600)).await;
            });
            let probe = task.task_ref();
            let err = corio::wait_for(task, Duration::from_millis(200)).await.unwrap_err();
            assert_eq!(err, corio::TimeoutError);
            yield_until(|| probe.done()).await;
            assert!(probe.cancelled());
            assert!(dropped.load(Ordering::SeqCst));
        })
    });
}

#[test]
fn wait_for_returns_the_value_when_in_time() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let v = corio::wait_for(
                async {
                    corio::sleep(Duration::from_millis(10)).await;
                    "in time"
                },
                Duration::from_secs(1),
            )
            .await;
            assert_eq!(v.unwrap(), "in time");
        })
    });
}

#[test]
fn wait_for_around_a_shield_times_out_but_the_inner_task_completes() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let task = corio::create_task(async {
                corio::sleep(Duration::from_secs(3)).await;
                "finished anyway"
            });
            let probe = task.task_ref();
            let res = corio::wait_for(corio::shield(task), Duration::from_secs(1)).await;
            assert!(res.is_err());
            assert!(!probe.done());
            yield_until(|| probe.done()).await;
            assert!(!probe.cancelled());
        })
    });
}

#[test]
fn wait_timeout_on_virtual_time_cancels_nothing() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let tasks: Vec<_> = (1..=4u64)
                .map(|s| {
                    corio::create_task(async move {
                        corio::sleep(Duration::from_secs(s)).await;
                        s
                    })
                })
                .collect();
            let (done, pending) =
                corio::wait(tasks, ReturnWhen::AllCompleted).timeout(Duration::from_millis(2500)).await;
            let mut done_values: Vec<u64> = done.into_iter().map(|mut t| t.result().unwrap()).collect();
            done_values.sort();
            assert_eq!(done_values, [1, 2]);
            assert_eq!(pending.len(), 2);
            // Still running: awaiting them gives their values.
            let mut rest = Vec::new();
            for t in pending {
                rest.push(t.await.unwrap());
            }
            assert_eq!(rest, [3, 4]);
        })
    });
}

#[test]
fn call_soon_runs_callbacks_fifo() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let seen = Arc::new(Mutex::new(Vec::new()));
            for i in 0..50 {
                let seen = seen.clone();
                let _ = corio::call_soon(move || seen.lock().unwrap().push(i));
            }
            yield_until(|| seen.lock().unwrap().len() == 50).await;
            assert_eq!(*seen.lock().unwrap(), (0..50).collect::<Vec<_>>());
        })
    });
}

#[test]
fn call_later_with_equal_deadlines_runs_in_creation_order() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let when = corio::time::now() + Duration::from_secs(5);
            for i in 0..20 {
                let seen = seen.clone();
                let _ = corio::call_at(when, move || seen.lock().unwrap().push(i));
            }
            let early = seen.clone();
            let _ = corio::call_later(Duration::from_secs(1), move || early.lock().unwrap().push(-1));
            corio::sleep(Duration::from_secs(6)).await;
            yield_until(|| seen.lock().unwrap().len() == 21).await;
            let mut expected = vec![-1];
            expected.extend(0..20);
            assert_eq!(*seen.lock().unwrap(), expected);
        })
    });
}

#[test]
fn call_later_handle_cancel_stops_the_callback() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let (guard, dropped) = DropFlag::new();
            let ran = Arc::new(Mutex::new(false));
            let r = ran.clone();
            let h = corio::call_later(Duration::from_secs(1), move || {
                let _guard = guard;
                *r.lock().unwrap() = true;
            });
            assert!(h.cancel());
            corio::sleep(Duration::from_secs(2)).await;
            assert!(!*ran.lock().unwrap());
            let _ = dropped;
        })
    });
}
