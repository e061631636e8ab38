//! `Builder::start_paused(true)` and `time::advance` (API.md §1, §3).
#![cfg(not(corio_loom))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{LIMIT, with_timeout};

fn paused(workers: usize) -> corio::Runtime {
    corio::Builder::new().worker_threads(workers).start_paused(true).build().unwrap()
}

#[test]
fn sleeping_an_hour_with_a_paused_clock_is_instant_and_moves_now() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let start = corio::time::now();
            corio::sleep(Duration::from_secs(3600)).await;
            assert!(corio::time::now() - start >= Duration::from_secs(3600));
        })
    });
}

#[test]
fn the_paused_clock_does_not_move_on_its_own_while_busy() {
    with_timeout(LIMIT, || {
        paused(1).block_on(async {
            let start = corio::time::now();
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(corio::time::now(), start);
        })
    });
}

#[test]
fn advance_moves_the_clock_and_fires_due_timers() {
    with_timeout(LIMIT, || {
        paused(1).block_on(async {
            let fired = Arc::new(AtomicBool::new(false));
            let f = fired.clone();
            corio::call_later(Duration::from_secs(10), move || f.store(true, Ordering::SeqCst));
            let start = corio::time::now();
            corio::time::advance(Duration::from_secs(5)).await;
            assert_eq!(corio::time::now() - start, Duration::from_secs(5));
            assert!(!fired.load(Ordering::SeqCst));
            corio::time::advance(Duration::from_secs(5)).await;
            common::yield_until(|| fired.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
#[should_panic(expected = "not paused")]
fn advance_on_a_real_clock_panics() {
    common::runtime(1).block_on(corio::time::advance(Duration::from_secs(1)));
}

#[test]
fn auto_advance_waits_for_busy_tasks() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            // A busy task (real work, no awaits on timers) keeps the clock
            // still: a concurrent 1 s timeout must not fire while it runs.
            let busy = corio::create_task(async {
                let end = Instant::now() + Duration::from_millis(30);
                while Instant::now() < end {
                    std::hint::spin_loop();
                }
                5
            });
            assert_eq!(corio::wait_for(busy, Duration::from_secs(1)).await.unwrap().unwrap(), 5);
        })
    });
}

#[test]
fn auto_advance_waits_for_blocking_jobs() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let job = corio::to_thread(|| {
                std::thread::sleep(Duration::from_millis(30));
                9
            });
            assert_eq!(corio::wait_for(job, Duration::from_secs(1)).await.unwrap().unwrap(), 9);
        })
    });
}

#[test]
fn many_sleepers_finish_in_virtual_time() {
    with_timeout(LIMIT, || {
        paused(2).block_on(async {
            let tasks: Vec<_> = (0..1000u64)
                .map(|i| corio::create_task(async move { corio::sleep(Duration::from_secs(i)).await }))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
}

#[test]
fn interval_in_virtual_time_ticks_exactly_every_period() {
    with_timeout(LIMIT, || {
        paused(1).block_on(async {
            let mut iv = corio::time::interval(Duration::from_secs(60));
            let a = iv.tick().await;
            let b = iv.tick().await;
            let c = iv.tick().await;
            assert_eq!(b - a, Duration::from_secs(60));
            assert_eq!(c - b, Duration::from_secs(60));
        })
    });
}
