#![cfg(not(corio_loom))]
//! Cancellation: `cancel`, `cancel_with`, dropping a `Task`, `detach`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use common::{DropFlag, LIMIT, block_on_plain, never, runtime, wait_until, with_timeout};
use corio::TaskError;

#[test]
fn cancel_before_first_poll_never_runs_the_body() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let ran = Arc::new(AtomicBool::new(false));
        let (guard, dropped) = DropFlag::new();
        let flag = ran.clone();
        // Spawned and cancelled within one poll of a task running on a
        // worker: the new task cannot have been polled in between.
        let res = rt
            .block_on(rt.spawn(async move {
                let task = corio::create_task(async move {
                    let _guard = guard;
                    flag.store(true, Ordering::SeqCst);
                });
                assert!(task.cancel());
                task.await
            }))
            .unwrap();
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(!ran.load(Ordering::SeqCst), "the body of a cancelled task ran");
        assert!(dropped.load(Ordering::SeqCst), "the unpolled future was not dropped");
    });
}

#[test]
fn cancel_of_a_queued_task_on_a_busy_worker_never_runs_the_body() {
    with_timeout(LIMIT, || {
        // The only worker is held by a blocker, so the target stays queued.
        let rt = runtime(1);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            started_tx.send(()).unwrap();
            release_rx.recv_timeout(LIMIT).unwrap();
        });
        started_rx.recv_timeout(LIMIT).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let target = rt.spawn(async move { flag.store(true, Ordering::SeqCst) });
        assert!(target.cancel());
        release_tx.send(()).unwrap();
        let res = rt.block_on(target);
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(!ran.load(Ordering::SeqCst), "the body of a cancelled task ran");
        rt.block_on(blocker).unwrap();
    });
}

#[test]
fn dropping_a_task_handle_spawned_inside_a_task_never_runs_the_body() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let ran = Arc::new(AtomicBool::new(false));
        let (guard, dropped) = DropFlag::new();
        let flag = ran.clone();
        rt.block_on(async move {
            corio::create_task(async move {
                let task = corio::create_task(async move {
                    let _guard = guard;
                    flag.store(true, Ordering::SeqCst);
                });
                drop(task);
            })
            .await
            .unwrap();
        });
        wait_until(|| dropped.load(Ordering::SeqCst));
        assert!(!ran.load(Ordering::SeqCst), "the body of a dropped task ran");
    });
}

#[test]
fn dropping_a_task_cancels_it_and_runs_its_futures_destructor() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let task = rt.spawn(async move {
            let _guard = guard;
            polled_tx.send(()).unwrap();
            never().await;
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        assert!(!dropped.load(Ordering::SeqCst));
        drop(task);
        // The task may still be finishing its poll on a worker: the
        // destructor runs right after it.
        wait_until(|| dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn cancel_then_await_gives_cancelled_none_after_destructors_ran() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let (polled_tx, polled_rx) = mpsc::channel();
        let mut task = rt.spawn(async move {
            let _guard = guard;
            polled_tx.send(()).unwrap();
            never().await;
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        assert!(task.cancel());
        let res = rt.block_on(&mut task);
        assert!(dropped.load(Ordering::SeqCst), "awaited before the destructor ran");
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(task.done());
        assert!(task.cancelled());
    });
}

#[test]
fn cancel_then_await_waits_for_a_poll_in_progress_and_its_destructors() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let (in_poll_tx, in_poll_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let after_await = Arc::new(AtomicBool::new(false));
        let after = after_await.clone();
        let mut task = rt.spawn(async move {
            let _guard = guard;
            // Blocks its worker inside the poll until the test has cancelled.
            in_poll_tx.send(()).unwrap();
            go_rx.recv_timeout(LIMIT).unwrap();
            corio::yield_now().await;
            after.store(true, Ordering::SeqCst);
        });
        in_poll_rx.recv_timeout(LIMIT).unwrap();
        // The task is running: cancellation is only requested.
        assert!(task.cancel());
        assert!(!task.done());
        go_tx.send(()).unwrap();
        let res = rt.block_on(&mut task);
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(dropped.load(Ordering::SeqCst), "awaited before the destructor ran");
        assert!(!after_await.load(Ordering::SeqCst), "the task went on past its suspension point");
        assert!(task.cancelled());
    });
}

#[test]
fn cancel_with_message_gives_that_message() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let res = rt.block_on(async {
            let task = corio::create_task(never());
            assert!(task.cancel_with("shutting down"));
            task.await
        });
        match res {
            Err(TaskError::Cancelled(Some(msg))) => assert_eq!(msg, "shutting down"),
            other => panic!("expected Cancelled(Some(..)), got {other:?}"),
        }
    });
}

#[test]
fn cancel_with_on_a_suspended_task_gives_that_message() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (polled_tx, polled_rx) = mpsc::channel();
        let task = rt.spawn(async move {
            polled_tx.send(()).unwrap();
            never().await;
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        assert!(task.task_ref().cancel_with("from a ref"));
        match rt.block_on(task) {
            Err(TaskError::Cancelled(Some(msg))) => assert_eq!(msg, "from a ref"),
            other => panic!("expected Cancelled(Some(..)), got {other:?}"),
        }
    });
}

#[test]
fn cancel_on_a_finished_task_returns_false_and_keeps_the_value() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(async { 5 });
        wait_until(|| task.done());
        assert!(!task.cancel());
        assert!(!task.cancel_with("too late"));
        assert!(!task.task_ref().cancel());
        assert!(task.done());
        assert!(!task.cancelled());
        assert_eq!(rt.block_on(&mut task).unwrap(), 5);
    });
}

#[test]
fn cancel_twice_returns_true_then_false_once_done() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut task = rt.spawn(never());
        assert!(task.cancel());
        let res = rt.block_on(&mut task);
        assert!(res.unwrap_err().is_cancelled());
        assert!(!task.cancel());
        assert!(task.cancelled());
        assert!(task.done());
    });
}

#[test]
fn done_and_cancelled_are_false_while_pending() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let task = rt.spawn(never());
        assert!(!task.done());
        assert!(!task.cancelled());
        let r = task.task_ref();
        assert!(!r.done());
        assert!(!r.cancelled());
        assert!(!r.panicked());
        drop(task);
        wait_until(|| r.done());
        assert!(r.cancelled());
        assert!(!r.panicked());
    });
}

#[test]
fn cancelling_a_pending_task_from_another_task_drops_it_at_its_suspension_point() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let resumed = Arc::new(AtomicBool::new(false));
        let resumed2 = resumed.clone();
        let res = rt.block_on(async move {
            let suspended = Arc::new(AtomicBool::new(false));
            let s = suspended.clone();
            let victim = corio::create_task(async move {
                let _guard = guard;
                s.store(true, Ordering::SeqCst);
                never().await;
                resumed2.store(true, Ordering::SeqCst);
            });
            let victim_ref = victim.task_ref();
            let canceller = corio::create_task(async move {
                common::yield_until(|| suspended.load(Ordering::SeqCst)).await;
                victim_ref.cancel()
            });
            assert!(canceller.await.unwrap(), "cancel of a pending task returned false");
            victim.await
        });
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(dropped.load(Ordering::SeqCst));
        assert!(!resumed.load(Ordering::SeqCst));
    });
}

#[test]
fn a_task_can_be_cancelled_by_its_own_task_ref_while_running() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let reached = Arc::new(AtomicBool::new(false));
        let r2 = reached.clone();
        let task = rt.spawn(async move {
            let _guard = guard;
            let me = corio::current_task().unwrap();
            assert!(me.cancel());
            // The cancellation lands at the next suspension point.
            corio::yield_now().await;
            r2.store(true, Ordering::SeqCst);
        });
        let res = rt.block_on(task);
        assert!(res.unwrap_err().is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
        assert!(!reached.load(Ordering::SeqCst), "ran past the suspension point");
    });
}

#[test]
fn detach_lets_the_task_run_to_completion_after_the_handle_is_gone() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel();
        let (guard, dropped) = DropFlag::new();
        let task = rt.spawn(async move {
            let _guard = guard;
            // Suspend at least once before finishing.
            common::yield_until(move || go_rx.try_recv().is_ok()).await;
            done_tx.send(99).unwrap();
        });
        task.detach();
        go_tx.send(()).unwrap();
        assert_eq!(done_rx.recv_timeout(LIMIT).unwrap(), 99);
        wait_until(|| dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn detach_of_a_finished_task_drops_its_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let task = rt.spawn(async move { guard });
        wait_until(|| task.done());
        assert!(!dropped.load(Ordering::SeqCst), "output dropped before the handle let go");
        task.detach();
        assert!(dropped.load(Ordering::SeqCst), "detach leaked the output");
    });
}

#[test]
fn dropping_an_unawaited_finished_task_drops_its_output() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (guard, dropped) = DropFlag::new();
        let task = rt.spawn(async move { guard });
        wait_until(|| task.done());
        drop(task);
        assert!(dropped.load(Ordering::SeqCst), "drop leaked the output");
    });
}

#[test]
fn awaiting_a_cancelled_task_from_outside_any_runtime_works() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let task = rt.spawn(never());
        task.cancel();
        assert!(block_on_plain(task).unwrap_err().is_cancelled());
    });
}
