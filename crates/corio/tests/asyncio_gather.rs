#![cfg(not(corio_loom))]
//! asyncio.gather: results in input order, first failure propagated at once
//! with the siblings still running, cancellation broadcast when the gather
//! is dropped, `return_exceptions`, `cancel_on_error`, the tuple macro, and
//! a million children in linear time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{DropFlag, LIMIT, runtime, with_timeout, yield_until};
use corio::TaskError;
use corio::sync::oneshot;

#[test]
fn gather_returns_results_in_input_order_not_completion_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            // Child i waits for a signal that is sent in reverse order.
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..8).map(|_| oneshot::channel::<()>()).unzip();
            let g = corio::gather(rxs.into_iter().enumerate().map(|(i, rx)| async move {
                rx.await.unwrap();
                i * 10
            }));
            for tx in txs.into_iter().rev() {
                tx.send(()).unwrap();
                corio::yield_now().await;
            }
            assert_eq!(g.await.unwrap(), [0, 10, 20, 30, 40, 50, 60, 70]);
        })
    });
}

#[test]
fn gather_spawns_every_child_when_called() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let started = Arc::new(AtomicUsize::new(0));
            let g = corio::gather((0..4).map(|_| {
                let started = started.clone();
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                }
            }));
            // Not awaited yet: the children run anyway (asyncio wraps them
            // in tasks at once).
            yield_until(|| started.load(Ordering::SeqCst) == 4).await;
            g.await.unwrap();
        })
    });
}

#[test]
fn gather_first_exception_propagates_at_once_while_siblings_keep_running() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot::channel::<()>();
            let finished = Arc::new(AtomicUsize::new(0));
            let f2 = finished.clone();
            let futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32> + Send>>> = vec![
                Box::pin(async move {
                    rx.await.unwrap();
                    f2.fetch_add(1, Ordering::SeqCst);
                    1
                }),
                Box::pin(async { panic!("child failed") }),
            ];
            let err = corio::gather(futs).await.unwrap_err();
            assert!(err.is_panic());
            // The sibling is still running, detached: releasing it lets it
            // finish.
            assert_eq!(finished.load(Ordering::SeqCst), 0);
            tx.send(()).unwrap();
            yield_until(|| finished.load(Ordering::SeqCst) == 1).await;
        })
    });
}

#[test]
fn gather_cancel_on_error_cancels_the_siblings() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let futs: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>> = vec![
                Box::pin(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                }),
                Box::pin(async { panic!("boom") }),
            ];
            let err = corio::gather(futs).cancel_on_error().await.unwrap_err();
            assert!(err.is_panic());
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn gather_cancelled_child_is_a_failure() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            // The child cancels its own task (asyncio: the child is
            // cancelled, gather raises CancelledError).
            let err = corio::gather([async {
                corio::current_task().unwrap().cancel();
                corio::yield_now().await;
                unreachable!("cancelled at the suspension point");
            }])
            .await
            .unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
        })
    });
}

#[test]
fn dropping_gather_broadcasts_cancellation_to_unfinished_children() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let dropped = Arc::new(AtomicUsize::new(0));
            let g = corio::gather((0..5).map(|_| {
                let guard = common::DropCounter(dropped.clone());
                async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                }
            }));
            corio::yield_now().await;
            drop(g);
            yield_until(|| dropped.load(Ordering::SeqCst) == 5).await;
        })
    });
}

#[test]
fn cancelling_the_awaiting_task_cancels_the_gathered_children() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let (started_tx, started_rx) = oneshot::channel::<()>();
            let outer = corio::create_task(async move {
                corio::gather([async move {
                    let _guard = guard;
                    started_tx.send(()).unwrap();
                    std::future::pending::<()>().await;
                }])
                .await
            });
            started_rx.await.unwrap();
            outer.cancel();
            assert!(outer.await.unwrap_err().is_cancelled());
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn gather_return_exceptions_collects_every_outcome_in_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let all = corio::gather([3u32, 0, 5].map(|d| async move {
                if d == 0 {
                    panic!("division by zero");
                }
                30 / d
            }))
            .return_exceptions()
            .await;
            assert_eq!(all.len(), 3);
            assert_eq!(*all[0].as_ref().unwrap(), 10);
            match &all[1] {
                Err(TaskError::Panicked(p)) => assert_eq!(p.message().as_deref(), Some("division by zero")),
                other => panic!("expected a panic, got {other:?}"),
            }
            assert_eq!(*all[2].as_ref().unwrap(), 6);
        })
    });
}

#[test]
fn gather_of_nothing_is_empty() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let none: Vec<std::future::Ready<u8>> = Vec::new();
            assert!(corio::gather(none).await.unwrap().is_empty());
            assert!(corio::gather(Vec::<std::future::Ready<u8>>::new()).return_exceptions().await.is_empty());
        })
    });
}

#[test]
fn gather_macro_gives_a_tuple_of_different_types() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            assert_eq!(corio::gather!().await.unwrap(), ());
            let (a,) = corio::gather!(async { 1u8 }).await.unwrap();
            assert_eq!(a, 1);
            let (n, s, v) = corio::gather!(async { 42 }, async { "text" }, async { vec![1, 2] }).await.unwrap();
            assert_eq!((n, s, v), (42, "text", vec![1, 2]));
            let twelve = corio::gather!(
                async { 1 },
                async { 2 },
                async { 3 },
                async { 4 },
                async { 5 },
                async { 6 },
                async { 7 },
                async { 8 },
                async { 9 },
                async { 10 },
                async { 11 },
                async { "12" },
            )
            .await
            .unwrap();
            assert_eq!(twelve.0 + twelve.10, 12);
            assert_eq!(twelve.11, "12");
        })
    });
}

#[test]
fn gather_macro_first_failure_propagates() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let err = corio::gather!(
                async move {
                    let _guard = guard;
                    std::future::pending::<u8>().await
                },
                async { panic!("tuple child failed") },
            )
            .cancel_on_error()
            .await
            .unwrap_err();
            assert!(err.is_panic());
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn gather_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let g = corio::gather([async { 1 }]);
            assert_send(&g);
            let t = corio::gather!(async { 1 }, async { 2 });
            assert_send(&t);
            let _ = (g.await, t.await);
        })
    });
}

#[test]
fn gather_of_a_million_tasks_completes() {
    // Linear work: each completion wakes and re-polls only its own child.
    // Bounded by the test limit only; nothing is timed.
    with_timeout(std::time::Duration::from_secs(120), || {
        let rt = runtime(2);
        let total = rt.block_on(async {
            let values = corio::gather((0..1_000_000u64).map(|i| async move { i })).await.unwrap();
            values.iter().sum::<u64>()
        });
        assert_eq!(total, 999_999 * 1_000_000 / 2);
    });
}
