#![cfg(not(corio_loom))]
//! loop.run_in_executor with a user ThreadPool (and to_thread, asyncio's
//! default executor).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};

#[test]
fn run_in_executor_runs_blocking_work_off_the_workers() {
    with_timeout(LIMIT, || {
        let pool = corio::ThreadPool::new(2);
        let out = runtime(1).block_on(async {
            let task = corio::run_in_executor(&pool, || {
                std::thread::sleep(Duration::from_millis(5));
                (std::thread::current().name().map(str::to_owned), corio::Handle::try_current().is_none())
            });
            // The single worker stays free meanwhile.
            let other = corio::create_task(async { 1 });
            assert_eq!(other.await.unwrap(), 1);
            task.await.unwrap()
        });
        assert!(out.0.unwrap().starts_with("corio-pool"));
        assert!(out.1, "pool threads belong to no runtime");
    });
}

#[test]
fn thread_pool_runs_at_most_n_jobs_at_once() {
    with_timeout(LIMIT, || {
        let pool = corio::ThreadPool::new(2);
        assert_eq!(pool.max_threads(), 2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        runtime(2).block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (running, peak) = (running.clone(), peak.clone());
                    corio::run_in_executor(&pool, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 2);
    });
}

#[test]
fn run_in_executor_panic_becomes_a_task_error() {
    with_timeout(LIMIT, || {
        let pool = corio::ThreadPool::new(1);
        let err = runtime(1).block_on(async { corio::run_in_executor(&pool, || panic!("blocking panic")).await });
        assert!(err.unwrap_err().is_panic());
    });
}

#[test]
fn dropping_a_thread_pool_lets_queued_jobs_finish_without_blocking() {
    with_timeout(LIMIT, || {
        let pool = corio::ThreadPool::new(1);
        let done = Arc::new(AtomicUsize::new(0));
        let rt = runtime(1);
        let tasks: Vec<_> = rt.block_on(async {
            (0..4)
                .map(|_| {
                    let done = done.clone();
                    corio::run_in_executor(&pool, move || {
                        std::thread::sleep(Duration::from_millis(5));
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect()
        });
        drop(pool);
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(done.load(Ordering::SeqCst), 4);
    });
}

#[test]
#[should_panic(expected = "at least one thread")]
fn thread_pool_of_zero_threads_panics() {
    let _ = corio::ThreadPool::new(0);
}

#[test]
fn to_thread_is_the_default_executor() {
    with_timeout(LIMIT, || {
        let v = runtime(1).block_on(async { corio::to_thread(|| 6 * 7).await.unwrap() });
        assert_eq!(v, 42);
    });
}
