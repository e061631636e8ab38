#![cfg(not(corio_loom))]
//! asyncio.shield: dropping the shield (the awaiter is cancelled) keeps the
//! inner task running; cancelling the inner task cancels the shield.

mod common;

use std::sync::atomic::Ordering;

use common::{DropFlag, LIMIT, runtime, with_timeout};
use corio::sync::oneshot;

#[test]
fn shield_keeps_the_inner_task_running_when_the_outer_is_dropped() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (go_tx, go_rx) = oneshot::channel::<()>();
            let (done_tx, done_rx) = oneshot::channel::<&str>();
            let inner = corio::create_task(async move {
                go_rx.await.unwrap();
                done_tx.send("inner finished").unwrap();
            });
            let shield = corio::shield(inner);
            drop(shield);
            go_tx.send(()).unwrap();
            assert_eq!(done_rx.await.unwrap(), "inner finished");
        })
    });
}

#[test]
fn shield_protects_the_inner_task_when_the_awaiting_task_is_cancelled() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (go_tx, go_rx) = oneshot::channel::<()>();
            let (guard, dropped) = DropFlag::new();
            let inner = corio::create_task(async move {
                let _guard = guard;
                go_rx.await.unwrap();
                42
            });
            let probe = inner.task_ref();
            // The shield is made here, so even an outer task cancelled
            // before its first poll drops only the shield.
            let shielded = corio::shield(inner);
            let outer = corio::create_task(shielded);
            corio::yield_now().await;
            outer.cancel();
            assert!(outer.await.unwrap_err().is_cancelled());
            assert!(!probe.done() && !dropped.load(Ordering::SeqCst), "inner still running");
            go_tx.send(()).unwrap();
            common::yield_until(|| probe.done()).await;
            assert!(!probe.cancelled());
        })
    });
}

#[test]
fn shield_propagates_the_cancellation_of_the_inner_task() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let inner = corio::create_task(std::future::pending::<()>());
            let inner_ref = inner.task_ref();
            let shield = corio::shield(inner);
            inner_ref.cancel_with("inner cancelled");
            match shield.await {
                Err(corio::TaskError::Cancelled(msg)) => assert_eq!(msg.as_deref(), Some("inner cancelled")),
                other => panic!("expected Cancelled, got {other:?}"),
            }
        })
    });
}

#[test]
fn shield_gives_the_inner_value() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let inner = corio::create_task(async { "value" });
            assert_eq!(corio::shield(inner).await.unwrap(), "value");
        })
    });
}
