#![cfg(not(corio_loom))]
//! Shutdown: dropping a runtime, `shutdown_timeout`, the end of `run`, and
//! what handles see afterwards.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::{DropCounter, DropFlag, LIMIT, block_on_plain, in_runtime, never, runtime, wait_until, with_timeout};
use corio::TaskError;

#[test]
fn dropping_a_runtime_runs_the_destructor_of_every_pending_task() {
    const TASKS: usize = 10_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicUsize::new(0));
        for _ in 0..TASKS {
            let guard = DropCounter(dropped.clone());
            let polled = polled.clone();
            rt.spawn(async move {
                let _guard = guard;
                polled.fetch_add(1, Ordering::SeqCst);
                never().await;
            })
            .detach();
        }
        // Some are suspended, some may still be queued: all must be dropped.
        drop(rt);
        assert_eq!(dropped.load(Ordering::SeqCst), TASKS);
    });
}

#[test]
fn dropping_a_runtime_runs_destructors_of_tasks_whose_handles_are_still_held() {
    const TASKS: usize = 1_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let guard = DropCounter(dropped.clone());
                rt.spawn(async move {
                    let _guard = guard;
                    never().await;
                })
            })
            .collect();
        drop(rt);
        assert_eq!(dropped.load(Ordering::SeqCst), TASKS);
        for t in &tasks {
            assert!(t.done());
            assert!(t.cancelled());
        }
        for t in tasks {
            assert!(matches!(block_on_plain(t), Err(TaskError::Cancelled(_))));
        }
    });
}

#[test]
fn dropping_a_runtime_runs_destructors_of_tasks_that_wait_on_each_other() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        let (guard_a, guard_b) = (DropCounter(dropped.clone()), DropCounter(dropped.clone()));
        let inner = rt.spawn(async move {
            let _guard = guard_a;
            never().await;
        });
        rt.spawn(async move {
            let _guard = guard_b;
            let _ = inner.await;
        })
        .detach();
        drop(rt);
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn shutdown_timeout_returns_while_a_task_blocks_its_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let (blocked_tx, blocked_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            let _guard = guard;
            blocked_tx.send(()).unwrap();
            // Blocks the worker thread (what a `std::thread::sleep` would do)
            // until the test lets go, then suspends.
            let _ = release_rx.recv_timeout(LIMIT);
            never().await;
        });
        blocked_rx.recv_timeout(LIMIT).unwrap();
        // Must not wait for the blocked worker (it would hang here until the
        // body's time limit).
        rt.shutdown_timeout(Duration::from_millis(50));
        assert!(!dropped.load(Ordering::SeqCst), "the future was dropped during its poll");
        release_tx.send(()).unwrap();
        // The stuck task is cancelled right after its poll returns.
        let res = block_on_plain(task);
        assert!(matches!(res, Err(TaskError::Cancelled(_))), "{res:?}");
        assert!(dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn shutdown_timeout_with_a_sleeping_task_returns_before_the_sleep_ends() {
    // A bounded variant with a real `std::thread::sleep`: shutdown_timeout
    // must return long before the 3 s sleep ends (body limit: 2 s).
    with_timeout(Duration::from_secs(2), || {
        let rt = runtime(1);
        let (started_tx, started_rx) = mpsc::channel();
        rt.spawn(async move {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(3));
        })
        .detach();
        started_rx.recv_timeout(LIMIT).unwrap();
        rt.shutdown_timeout(Duration::from_millis(50));
    });
}

#[test]
fn shutdown_timeout_on_an_idle_runtime_cancels_pending_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            let guard = DropCounter(dropped.clone());
            rt.spawn(async move {
                let _guard = guard;
                never().await;
            })
            .detach();
        }
        rt.shutdown_timeout(Duration::from_secs(5));
        assert_eq!(dropped.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn run_cancels_tasks_still_alive_at_the_end() {
    with_timeout(LIMIT, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        corio::run(async move {
            for _ in 0..100 {
                let guard = DropCounter(d.clone());
                corio::create_task(async move {
                    let _guard = guard;
                    never().await;
                })
                .detach();
            }
            corio::yield_now().await;
        });
        assert_eq!(dropped.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn a_task_awaited_after_its_runtime_is_gone_resolves_cancelled() {
    with_timeout(LIMIT, || {
        let mut task = None;
        corio::run(async {
            task = Some(corio::create_task(never()));
        });
        let task = task.unwrap();
        assert!(task.done());
        assert!(task.cancelled());
        assert!(matches!(block_on_plain(task), Err(TaskError::Cancelled(_))));
    });
}

#[test]
fn a_task_awaited_in_another_runtime_after_its_own_is_gone_resolves_cancelled() {
    with_timeout(LIMIT, || {
        let task = {
            let rt = runtime(1);
            rt.spawn(never())
        };
        let other = runtime(1);
        let res = other.block_on(task);
        assert!(matches!(res, Err(TaskError::Cancelled(_))), "{res:?}");
    });
}

#[test]
fn a_finished_task_keeps_its_value_after_its_runtime_is_gone() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let task = rt.spawn(async { 11 });
        wait_until(|| task.done());
        drop(rt);
        assert_eq!(block_on_plain(task).unwrap(), 11);
    });
}

#[test]
fn spawning_via_a_handle_after_the_runtime_was_dropped_gives_a_cancelled_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        drop(rt);
        let (guard, dropped) = DropFlag::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let task = handle.spawn(async move {
            let _guard = guard;
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert!(dropped.load(Ordering::SeqCst), "the future was not dropped");
        assert!(matches!(block_on_plain(task), Err(TaskError::Cancelled(_))));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn to_thread_after_the_runtime_was_dropped_gives_a_cancelled_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        // A blocking thread that outlives its runtime: `to_thread` there
        // must not hang, and gives a cancelled task.
        let (tx, rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let task = in_runtime(&rt, move || {
            corio::to_thread(move || {
                started_tx.send(()).unwrap();
                go_rx.recv_timeout(LIMIT).unwrap();
                let inner = corio::to_thread(|| 1);
                tx.send(block_on_plain(inner)).unwrap();
            })
        });
        task.detach();
        // The blocking thread is running (and so knows its runtime) before
        // the runtime goes away.
        started_rx.recv_timeout(LIMIT).unwrap();
        drop(rt);
        go_tx.send(()).unwrap();
        let res = rx.recv_timeout(LIMIT).unwrap();
        assert!(res.unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_a_runtime_from_inside_one_of_its_own_tasks_does_not_hang() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(runtime(2));
        let (tx, rx) = mpsc::channel();
        let rt2 = rt.clone();
        let (guard, dropped) = DropFlag::new();
        rt.spawn(async move {
            let _guard = guard;
            never().await;
        })
        .detach();
        rt.spawn(async move {
            // The last reference to the runtime is dropped on its own worker.
            wait_until_unique(&rt2);
            drop(rt2);
            tx.send(()).unwrap();
        })
        .detach();
        drop(rt);
        rx.recv_timeout(LIMIT).unwrap();
        wait_until(|| dropped.load(Ordering::SeqCst));
    });
}

fn wait_until_unique<T>(arc: &Arc<T>) {
    wait_until(|| Arc::strong_count(arc) == 1);
}

#[test]
fn dropping_a_runtime_while_tasks_keep_spawning_runs_every_destructor() {
    with_timeout(LIMIT, || {
        for _ in 0..20 {
            let rt = runtime(2);
            let spawned = Arc::new(AtomicUsize::new(0));
            let dropped = Arc::new(AtomicUsize::new(0));
            // Spawners inside the runtime: each spawns a child per turn.
            for _ in 0..4 {
                let (spawned, dropped) = (spawned.clone(), dropped.clone());
                let guard = DropCounter(dropped.clone());
                spawned.fetch_add(1, Ordering::SeqCst);
                rt.spawn(async move {
                    let _guard = guard;
                    loop {
                        spawned.fetch_add(1, Ordering::SeqCst);
                        let guard = DropCounter(dropped.clone());
                        corio::create_task(async move {
                            let _guard = guard;
                            corio::yield_now().await;
                            never().await;
                        })
                        .detach();
                        corio::yield_now().await;
                    }
                })
                .detach();
            }
            // And a foreign thread spawning through a handle, before, during
            // and after the shutdown.
            let handle = rt.handle();
            let (s, d) = (spawned.clone(), dropped.clone());
            let foreign = std::thread::spawn(move || {
                for _ in 0..2_000 {
                    s.fetch_add(1, Ordering::SeqCst);
                    let guard = DropCounter(d.clone());
                    handle
                        .spawn(async move {
                            let _guard = guard;
                            never().await;
                        })
                        .detach();
                }
            });
            std::thread::sleep(Duration::from_millis(2));
            drop(rt);
            foreign.join().unwrap();
            assert_eq!(dropped.load(Ordering::SeqCst), spawned.load(Ordering::SeqCst));
        }
    });
}
