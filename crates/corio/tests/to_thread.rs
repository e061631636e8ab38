#![cfg(not(corio_loom))]
//! `to_thread`: blocking work on the runtime's blocking pool.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::time::Duration;

use common::{LIMIT, in_runtime, runtime, with_timeout};
use corio::TaskError;

#[test]
fn to_thread_result_comes_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let out = rt.block_on(async { corio::to_thread(|| 6 * 7).await });
        assert_eq!(out.unwrap(), 42);
    });
}

#[test]
fn to_thread_runs_off_the_worker_threads() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).thread_name("tt").build().unwrap();
        let name = rt
            .block_on(async { corio::to_thread(|| std::thread::current().name().map(str::to_string)).await })
            .unwrap()
            .unwrap_or_default();
        assert!(name.starts_with("tt"), "{name:?}");
        assert_ne!(name, "tt-0", "ran on the worker");
    });
}

#[test]
fn a_panic_in_to_thread_becomes_task_error_panicked() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt.block_on(async { corio::to_thread(|| -> u32 { panic!("blocking boom") }).await }).unwrap_err();
        match err {
            TaskError::Panicked(p) => assert_eq!(p.message().as_deref(), Some("blocking boom")),
            other => panic!("expected Panicked, got {other:?}"),
        }
        // The pool still works.
        assert_eq!(rt.block_on(async { corio::to_thread(|| 1).await }).unwrap(), 1);
    });
}

#[test]
fn cancelling_a_to_thread_task_resolves_cancelled_while_the_closure_runs_to_its_end() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (finished_tx, finished_rx) = mpsc::channel();
        let task = in_runtime(&rt, move || {
            corio::to_thread(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(LIMIT).unwrap();
                finished_tx.send("closure finished").unwrap();
                17
            })
        });
        started_rx.recv_timeout(LIMIT).unwrap();
        assert!(task.cancel());
        // The task resolves at once, while the closure is still blocked.
        let res = rt.block_on(task);
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(finished_rx.try_recv().is_err());
        // The closure still runs to its end.
        release_tx.send(()).unwrap();
        assert_eq!(finished_rx.recv_timeout(LIMIT).unwrap(), "closure finished");
    });
}

#[test]
fn dropping_a_to_thread_task_still_runs_the_closure_to_its_end() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (finished_tx, finished_rx) = mpsc::channel();
        rt.block_on(async move {
            drop(corio::to_thread(move || {
                std::thread::sleep(Duration::from_millis(20));
                finished_tx.send(()).unwrap();
            }));
        });
        finished_rx.recv_timeout(LIMIT).unwrap();
    });
}

#[test]
fn jobs_run_in_submission_order_with_one_blocking_thread() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).max_blocking_threads(1).build().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        rt.block_on(async move {
            let tasks: Vec<_> = (0..30)
                .map(|i| {
                    let o = o.clone();
                    corio::to_thread(move || o.lock().unwrap().push(i))
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(*order.lock().unwrap(), (0..30).collect::<Vec<_>>());
    });
}

#[test]
fn more_jobs_than_threads_all_complete() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).max_blocking_threads(2).build().unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (r, p) = (running.clone(), peak.clone());
        let sum = rt.block_on(async move {
            let tasks: Vec<_> = (0..40u64)
                .map(|i| {
                    let (r, p) = (r.clone(), p.clone());
                    corio::to_thread(move || {
                        let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                        p.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                        r.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..40).sum::<u64>());
        assert!(peak.load(Ordering::SeqCst) <= 2, "more threads than the cap ran at once");
    });
}

#[test]
fn the_pool_grows_to_run_blocked_jobs_concurrently() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).max_blocking_threads(4).build().unwrap();
        // Four jobs that can only finish together: needs four threads.
        let barrier = Arc::new(Barrier::new(4));
        rt.block_on(async move {
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let b = barrier.clone();
                    corio::to_thread(move || {
                        b.wait();
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
}

#[test]
fn handle_current_works_inside_the_blocking_closure() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).thread_name("home").build().unwrap();
        let (tx, rx) = mpsc::channel();
        let out = rt
            .block_on(async move {
                corio::to_thread(move || {
                    let handle = corio::Handle::current();
                    // Spawn back onto the runtime from the blocking thread.
                    handle
                        .spawn(async move {
                            tx.send(std::thread::current().name().map(str::to_string)).unwrap();
                        })
                        .detach();
                    corio::Handle::try_current().is_some()
                })
                .await
            })
            .unwrap();
        assert!(out);
        let name = rx.recv_timeout(LIMIT).unwrap();
        assert_eq!(name.as_deref(), Some("home-0"));
    });
}

#[test]
fn to_thread_from_inside_the_blocking_closure_works() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let (tx, rx) = mpsc::channel();
        let outer = in_runtime(&rt, move || {
            corio::to_thread(move || {
                let inner = corio::to_thread(|| 5);
                corio::Handle::current().spawn(async move { tx.send(inner.await.unwrap()).unwrap() }).detach();
            })
        });
        rt.block_on(outer).unwrap();
        assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 5);
    });
}

#[test]
fn a_to_thread_task_has_a_name_and_is_listed_until_done() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        rt.block_on(async move {
            let task = corio::to_thread(move || {
                s.store(true, Ordering::SeqCst);
                release_rx.recv_timeout(LIMIT).unwrap();
            });
            assert!(task.name().starts_with("Task-"));
            assert!(corio::all_tasks().iter().any(|t| t.id() == task.id()));
            common::yield_until(|| started.load(Ordering::SeqCst)).await;
            release_tx.send(()).unwrap();
            task.await.unwrap();
        });
    });
}

#[test]
fn the_max_blocking_threads_builder_rejects_zero() {
    let err = corio::Builder::new().worker_threads(1).max_blocking_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn idle_blocking_threads_exit_after_keep_alive_and_new_jobs_still_run() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new()
            .worker_threads(1)
            .max_blocking_threads(2)
            .blocking_keep_alive(Duration::from_millis(10))
            .build()
            .unwrap();
        for i in 0..3 {
            assert_eq!(rt.block_on(async move { corio::to_thread(move || i).await }).unwrap(), i);
            // Long enough for the idle thread to give up.
            std::thread::sleep(Duration::from_millis(40));
        }
    });
}
