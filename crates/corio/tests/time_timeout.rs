//! `wait_for`, `timeout`, `timeout_at`, `timeout_with` (API.md §3).
#![cfg(not(corio_loom))]

mod common;

use std::future::{pending, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{DropFlag, LIMIT, runtime, with_timeout};
use corio::time::TimeoutError;

fn paused() -> corio::Runtime {
    corio::Builder::new().worker_threads(2).start_paused(true).build().unwrap()
}

#[test]
fn wait_for_returns_the_value_when_in_time() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            assert_eq!(corio::wait_for(async { 7 }, Duration::from_secs(5)).await, Ok(7));
        })
    });
}

#[test]
fn wait_for_times_out_with_timeout_error() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let r = corio::wait_for(pending::<()>(), Duration::from_millis(5)).await;
            assert_eq!(r, Err(TimeoutError));
        })
    });
}

#[test]
fn zero_duration_still_returns_a_ready_value() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            assert_eq!(corio::wait_for(ready(3), Duration::ZERO).await, Ok(3));
            assert_eq!(corio::timeout(Duration::ZERO, ready(4)).await, Ok(4));
        })
    });
}

#[test]
fn zero_duration_on_a_pending_future_is_timeout_error() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            assert_eq!(corio::wait_for(pending::<()>(), Duration::ZERO).await, Err(TimeoutError));
        })
    });
}

#[test]
fn the_inner_future_is_dropped_before_timeout_error_is_returned() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (flag, dropped) = DropFlag::new();
            let inner = async move {
                let _flag = flag;
                pending::<()>().await;
            };
            let r = corio::wait_for(inner, Duration::from_millis(2)).await;
            assert_eq!(r, Err(TimeoutError));
            assert!(dropped.load(Ordering::SeqCst));
        })
    });
}

#[test]
fn a_timed_out_task_is_cancelled_and_its_destructors_run() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (flag, dropped) = DropFlag::new();
            let task = corio::create_task(async move {
                let _flag = flag;
                pending::<()>().await;
            });
            let r = corio::wait_for(task, Duration::from_millis(2)).await;
            assert!(matches!(r, Err(TimeoutError)));
            common::yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn a_value_produced_in_the_same_instant_as_the_deadline_is_not_lost() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            // Both the inner sleep and the deadline fall on the same tick.
            for _ in 0..100 {
                let inner = async {
                    corio::sleep(Duration::from_millis(10)).await;
                    42
                };
                assert_eq!(corio::wait_for(inner, Duration::from_millis(10)).await, Ok(42));
            }
        })
    });
}

#[test]
fn timeout_at_uses_an_absolute_deadline() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let deadline = corio::time::now() + Duration::from_secs(10);
            let r = corio::timeout_at(deadline, corio::sleep(Duration::from_secs(20))).await;
            assert_eq!(r, Err(TimeoutError));
            assert!(corio::time::now() >= deadline);
            let deadline = corio::time::now() + Duration::from_secs(10);
            assert_eq!(corio::timeout_at(deadline, corio::sleep(Duration::from_secs(5))).await, Ok(()));
        })
    });
}

#[test]
fn timeout_handle_reports_when_and_expired() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let t = corio::timeout(Duration::from_secs(1), pending::<()>());
            let h = t.handle();
            assert!(h.when().is_some());
            assert!(!h.expired());
            assert_eq!(t.await, Err(TimeoutError));
            assert!(h.expired());
            assert!(!h.reschedule(None), "reschedule after expiry must fail");
        })
    });
}

#[test]
fn timeout_with_body_can_push_its_own_deadline_back() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let r = corio::timeout_with(Some(Duration::from_secs(1)), |h| async move {
                corio::sleep(Duration::from_millis(500)).await;
                assert!(h.reschedule(Some(corio::time::now() + Duration::from_secs(2))));
                corio::sleep(Duration::from_millis(1500)).await;
                "done"
            })
            .await;
            assert_eq!(r, Ok("done"));
        })
    });
}

#[test]
fn timeout_with_none_has_no_deadline_until_rescheduled() {
    with_timeout(LIMIT, || {
        paused().block_on(async {
            let t = corio::timeout_with(None, |_h| pending::<()>());
            let h = t.handle();
            assert_eq!(h.when(), None);
            let task = corio::create_task(t);
            corio::sleep(Duration::from_secs(3600)).await;
            assert!(!task.done());
            assert!(h.reschedule(Some(corio::time::now())));
            assert_eq!(task.await.unwrap().unwrap_err(), TimeoutError);
        })
    });
}

#[test]
fn reschedule_after_the_future_finished_is_false() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let t = corio::timeout(Duration::from_secs(5), ready(1));
            let h = t.handle();
            assert_eq!(t.await, Ok(1));
            assert!(!h.reschedule(Some(corio::time::now())));
            assert!(!h.expired());
        })
    });
}

#[test]
fn timeout_error_is_an_error_and_converts_to_io_timed_out() {
    let e: Box<dyn std::error::Error + Send + Sync + 'static> = Box::new(TimeoutError);
    assert_eq!(e.to_string(), "deadline has elapsed");
    let io: std::io::Error = TimeoutError.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn dropping_a_timeout_drops_the_inner_future() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let dropped = Arc::new(AtomicBool::new(false));
            let t = corio::timeout(Duration::from_secs(5), {
                let flag = DropFlag(dropped.clone());
                async move {
                    let _f = flag;
                    pending::<()>().await
                }
            });
            drop(t);
            assert!(dropped.load(Ordering::SeqCst));
        })
    });
}
