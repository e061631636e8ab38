#![cfg(not(corio_loom))]
//! asyncio.wait: ALL_COMPLETED, FIRST_COMPLETED (with everything done by
//! then), FIRST_EXCEPTION (cancellations do not count), the timeout that
//! cancels nothing, and dropping a Wait detaches its tasks.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{DropFlag, LIMIT, runtime, with_timeout, yield_until};
use corio::ReturnWhen;
use corio::sync::oneshot;

#[test]
fn wait_all_completed_returns_every_task_done_in_input_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let tasks: Vec<_> = (0..10u32).map(|i| corio::create_task(async move { i })).collect();
            let ids: Vec<_> = tasks.iter().map(|t| t.id()).collect();
            let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted).await;
            assert!(pending.is_empty());
            assert_eq!(done.iter().map(|t| t.id()).collect::<Vec<_>>(), ids);
            // The outputs are still in the tasks.
            for (i, mut t) in done.into_iter().enumerate() {
                assert_eq!(t.result().unwrap(), i as u32);
            }
        })
    });
}

#[test]
fn wait_first_completed_includes_every_task_already_done() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let a = corio::create_task(async { 1 });
            let b = corio::create_task(async { 2 });
            let slow = corio::create_task(std::future::pending::<i32>());
            yield_until(|| a.done() && b.done()).await;
            let (done, pending) = corio::wait([a, slow, b], ReturnWhen::FirstCompleted).await;
            assert_eq!(done.len(), 2, "both finished tasks are in done");
            assert_eq!(pending.len(), 1);
            assert!(!pending[0].done());
        })
    });
}

#[test]
fn wait_first_completed_leaves_the_rest_running() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot::channel::<()>();
            let (release_tx, release_rx) = oneshot::channel::<()>();
            let first = corio::create_task(async move {
                rx.await.unwrap();
                "first"
            });
            let second = corio::create_task(async move {
                release_rx.await.unwrap();
                "second"
            });
            let w = corio::wait([first, second], ReturnWhen::FirstCompleted);
            tx.send(()).unwrap();
            let (mut done, mut pending) = w.await;
            assert_eq!(done.pop().unwrap().result().unwrap(), "first");
            release_tx.send(()).unwrap();
            assert_eq!(pending.pop().unwrap().await.unwrap(), "second");
        })
    });
}

#[test]
fn wait_first_exception_returns_at_the_first_panic() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let slow = corio::create_task(std::future::pending::<()>());
            let bad = corio::create_task(async { panic!("bad") });
            let (done, pending) = corio::wait([slow, bad], ReturnWhen::FirstException).await;
            assert_eq!(done.len(), 1);
            assert!(done[0].task_ref().panicked());
            assert_eq!(pending.len(), 1);
        })
    });
}

#[test]
fn wait_first_exception_ignores_cancellation() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot::channel::<()>();
            let victim = corio::create_task(std::future::pending::<()>());
            let other = corio::create_task(async move {
                rx.await.unwrap();
            });
            victim.cancel();
            let w = corio::create_task(corio::wait([victim, other], ReturnWhen::FirstException));
            // The cancelled task is done but not an exception: wait goes on.
            corio::yield_now().await;
            for _ in 0..10 {
                corio::yield_now().await;
            }
            assert!(!w.done());
            tx.send(()).unwrap();
            let (done, pending) = w.await.unwrap();
            assert_eq!(done.len(), 2);
            assert!(pending.is_empty());
            assert!(done[0].cancelled());
        })
    });
}

#[test]
fn wait_timeout_returns_what_is_done_and_cancels_nothing() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let quick = corio::create_task(async { 1 });
            let stuck = corio::create_task(async move {
                let _guard = guard;
                std::future::pending::<i32>().await
            });
            let (done, pending) =
                corio::wait([quick, stuck], ReturnWhen::AllCompleted).timeout(Duration::from_millis(20)).await;
            assert_eq!(done.len(), 1);
            assert_eq!(pending.len(), 1);
            assert!(!pending[0].done(), "the timeout cancelled nothing");
            assert!(!dropped.load(Ordering::SeqCst));
            drop(pending); // now it is cancelled, by us
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn wait_of_nothing_returns_two_empty_vecs_at_once() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let (done, pending) = corio::wait(Vec::<corio::Task<()>>::new(), ReturnWhen::FirstCompleted).await;
            assert!(done.is_empty() && pending.is_empty());
        })
    });
}

#[test]
fn dropping_wait_detaches_its_tasks() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot::channel::<()>();
            let (flag_tx, flag_rx) = oneshot::channel::<&str>();
            let task = corio::create_task(async move {
                rx.await.unwrap();
                flag_tx.send("finished").unwrap();
            });
            // The caller of wait is cancelled...
            let waiter = corio::create_task(corio::wait([task], ReturnWhen::AllCompleted));
            corio::yield_now().await;
            waiter.cancel();
            assert!(waiter.await.unwrap_err().is_cancelled());
            // ...but the child is not.
            tx.send(()).unwrap();
            assert_eq!(flag_rx.await.unwrap(), "finished");
        })
    });
}
