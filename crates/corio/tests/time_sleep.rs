//! `sleep`, `sleep_until`, `interval`, `now` (API.md §3).
#![cfg(not(corio_loom))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{LIMIT, runtime, with_timeout};

#[test]
fn a_sleep_never_ends_early() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            for ms in [0u64, 1, 2, 5, 13] {
                // A lower bound, not a timing measurement: noise can only
                // make the wake later, never earlier.
                let deadline = Instant::now() + Duration::from_millis(ms);
                corio::sleep(Duration::from_millis(ms)).await;
                assert!(Instant::now() >= deadline, "sleep({ms} ms) ended before its deadline");
            }
        })
    });
}

#[test]
fn sleep_until_a_past_deadline_is_ready_at_once() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let past = corio::time::now() - Duration::from_millis(5);
            corio::sleep_until(past).await;
        })
    });
}

#[test]
fn sleeps_in_spawned_tasks_all_end() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let tasks: Vec<_> = (0..1000u64)
                .map(|i| {
                    corio::create_task(async move {
                        let d = Duration::from_millis(i % 11);
                        let deadline = Instant::now() + d;
                        corio::sleep(d).await;
                        assert!(Instant::now() >= deadline, "a sleep ended before its deadline");
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            assert_eq!(sum, 999 * 1000 / 2);
        })
    });
}

#[test]
fn sleeps_with_equal_deadlines_end_in_creation_order() {
    with_timeout(LIMIT, || {
        corio::Builder::new().worker_threads(1).start_paused(true).build().unwrap().block_on(async {
            let order = Arc::new(Mutex::new(Vec::new()));
            let deadline = corio::time::now() + Duration::from_millis(50);
            let mut tasks = Vec::new();
            for i in 0..10 {
                let order = order.clone();
                let sleep = corio::sleep_until(deadline);
                tasks.push(corio::create_task(async move {
                    sleep.await;
                    order.lock().unwrap().push(i);
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
        })
    });
}

#[test]
fn dropping_a_pending_sleep_cancels_its_timer() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            for _ in 0..10_000 {
                drop(corio::sleep(Duration::from_secs(3600)));
            }
            corio::sleep(Duration::from_millis(1)).await;
        })
    });
}

#[test]
fn sleep_reset_moves_the_deadline() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let mut s = corio::sleep(Duration::from_secs(3600));
            let target = corio::time::now() + Duration::from_millis(3);
            s.reset(target);
            assert_eq!(s.deadline(), target);
            (&mut s).await;
            assert!(s.is_elapsed());
            assert!(Instant::now() >= target);
        })
    });
}

#[test]
fn interval_ticks_first_at_once_then_every_period() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let mut iv = corio::time::interval(Duration::from_millis(3));
            let first = iv.tick().await;
            let second = iv.tick().await;
            assert_eq!(second - first, Duration::from_millis(3));
            assert!(Instant::now() >= second);
            assert_eq!(iv.period(), Duration::from_millis(3));
        })
    });
}

#[test]
#[should_panic(expected = "non-zero")]
fn interval_of_zero_panics() {
    runtime(1).block_on(async {
        let _ = corio::time::interval(Duration::ZERO);
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn sleep_outside_a_runtime_panics() {
    drop(corio::sleep(Duration::from_millis(1)));
}

#[test]
fn now_outside_a_runtime_is_the_real_clock() {
    let before = Instant::now();
    assert!(corio::time::now() >= before);
}
