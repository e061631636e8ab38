#![cfg(not(corio_loom))]
//! asyncio.TaskGroup: values in creation order, the first failure cancels
//! the siblings and every failure is collected in order, panics are
//! failures, a child cancelled on its own does not abort the group, handles
//! add children, nested groups, dropping a group cancels its children.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{DropCounter, DropFlag, LIMIT, runtime, with_timeout, yield_until};
use corio::sync::oneshot;
use corio::{GroupClosed, GroupFailure, TaskGroup};

#[test]
fn task_group_join_returns_values_in_creation_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut tg = TaskGroup::<usize, ()>::new();
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..6).map(|_| oneshot::channel::<()>()).unzip();
            for (i, rx) in rxs.into_iter().enumerate() {
                tg.create_task(async move {
                    rx.await.unwrap();
                    Ok(i)
                });
            }
            for tx in txs.into_iter().rev() {
                tx.send(()).unwrap();
            }
            assert_eq!(tg.join().await.unwrap(), [0, 1, 2, 3, 4, 5]);
        })
    });
}

#[test]
fn task_group_first_failure_cancels_siblings_and_collects_all_errors_in_order() {
    with_timeout(LIMIT, || {
        runtime(3).block_on(async {
            let dropped = Arc::new(AtomicUsize::new(0));
            let mut tg = TaskGroup::<u32, String>::new();
            for _ in 0..3 {
                let guard = DropCounter(dropped.clone());
                tg.create_task(async move {
                    let _guard = guard;
                    std::future::pending::<Result<u32, String>>().await
                });
            }
            // "second" starts, wakes "first" and blocks inside its poll
            // until "first" has *completed* — which is after its failure was
            // recorded (the group records it before the child's task
            // finishes) — so the group's cancellation cannot stop "second"
            // from failing too, and it fails second.
            let (started_tx, started_rx) = oneshot::channel::<()>();
            let first = tg.create_task(async move {
                started_rx.await.unwrap();
                Err("first".into())
            });
            tg.create_task(async move {
                // Woken from a foreign thread, "first" goes to the shared
                // queue, where a free worker takes it (a wake from this
                // worker would park it in this blocked worker's LIFO slot).
                std::thread::spawn(move || started_tx.send(()).unwrap());
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while !first.done() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Err("second".into())
            });
            let err = tg.join().await.unwrap_err();
            let msgs: Vec<_> = err
                .errors()
                .iter()
                .map(|f| match f {
                    GroupFailure::Failed(e) => e.clone(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            assert_eq!(msgs, ["first", "second"]);
            assert_eq!(dropped.load(Ordering::SeqCst), 3, "every pending sibling was cancelled");
            assert!(err.to_string().contains("first"), "{err}");
        })
    });
}

#[test]
fn task_group_panic_is_a_failure_and_cancels_siblings() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let mut tg = TaskGroup::<(), ()>::new();
            tg.create_task(async move {
                let _guard = guard;
                std::future::pending().await
            });
            tg.create_task(async { panic!("child panicked") });
            let err = tg.join().await.unwrap_err();
            match err.errors() {
                [GroupFailure::Panicked(p)] => assert_eq!(p.message().as_deref(), Some("child panicked")),
                other => panic!("unexpected {other:?}"),
            }
            assert!(dropped.load(Ordering::SeqCst));
        })
    });
}

#[test]
fn task_group_child_cancelled_on_its_own_does_not_cancel_siblings() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot::channel::<()>();
            let mut tg = TaskGroup::<u8, ()>::new();
            let victim = tg.create_task(std::future::pending());
            tg.create_task(async move {
                rx.await.unwrap();
                Ok(1)
            });
            victim.cancel();
            yield_until(|| victim.done()).await;
            tx.send(()).unwrap();
            let err = tg.join().await.unwrap_err();
            assert!(matches!(err.errors(), [GroupFailure::Cancelled]), "{err:?}");
        })
    });
}

#[test]
fn task_group_handle_adds_children_that_join_waits_for() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut tg = TaskGroup::<u32, ()>::new();
            let handle = tg.handle();
            tg.create_task(async move {
                corio::yield_now().await;
                for i in 0..3 {
                    let h2 = handle.clone();
                    handle
                        .create_task(async move {
                            corio::yield_now().await;
                            // Grandchildren, too.
                            h2.create_task(async move { Ok(100 + i) }).unwrap();
                            Ok(10 + i)
                        })
                        .unwrap();
                }
                Ok(1)
            });
            let mut values = tg.join().await.unwrap();
            assert_eq!(values[0], 1);
            values.sort();
            assert_eq!(values, [1, 10, 11, 12, 100, 101, 102]);
        })
    });
}

#[test]
fn task_group_handle_is_closed_once_the_group_failed_or_finished() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut tg = TaskGroup::<(), ()>::new();
            let handle = tg.handle();
            tg.create_task(async { Ok(()) });
            tg.join().await.unwrap();
            assert_eq!(handle.create_task(async { Ok(()) }).unwrap_err(), GroupClosed);
            assert!(handle.is_closed());

            let mut tg = TaskGroup::<(), ()>::new();
            let handle = tg.handle();
            tg.create_task(async { Err(()) });
            yield_until(|| handle.is_closed()).await;
            assert!(handle.create_task(async { Ok(()) }).is_err());
            // The owner's create_task gives an already-cancelled task.
            let late = tg.create_task(async { Ok(()) });
            yield_until(|| late.done()).await;
            assert!(late.cancelled());
            assert_eq!(tg.join().await.unwrap_err().errors().len(), 1);
        })
    });
}

#[test]
fn nested_task_groups_cancel_inwards_and_report_outwards() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, inner_dropped) = DropFlag::new();
            let mut outer = TaskGroup::<u32, String>::new();
            // An inner group whose child never ends: cancelled when the
            // outer group fails, through the inner group being dropped.
            outer.create_task(async move {
                let mut inner = TaskGroup::<u32, String>::new();
                inner.create_task(async move {
                    let _guard = guard;
                    std::future::pending().await
                });
                inner.join().await.map(|v| v.len() as u32).map_err(|e| e.to_string())
            });
            // An inner group that fails: its error becomes the outer's.
            outer.create_task(async {
                let mut inner = TaskGroup::<u32, String>::new();
                inner.create_task(async { Err("deep".to_string()) });
                inner.join().await.map(|v| v.len() as u32).map_err(|e| e.to_string())
            });
            let err = outer.join().await.unwrap_err();
            match err.errors() {
                [GroupFailure::Failed(msg)] => assert!(msg.contains("deep"), "{msg}"),
                other => panic!("unexpected {other:?}"),
            }
            assert!(inner_dropped.load(Ordering::SeqCst));

            // And nested success.
            let mut outer = TaskGroup::<u32, ()>::new();
            for n in 1..=3u32 {
                outer.create_task(async move {
                    let mut inner = TaskGroup::<u32, ()>::new();
                    for k in 0..n {
                        inner.create_task(async move { Ok(k) });
                    }
                    Ok(inner.join().await.map_err(|_| ())?.iter().sum())
                });
            }
            assert_eq!(outer.join().await.unwrap(), [0, 1, 3]);
        })
    });
}

#[test]
fn dropping_a_task_group_cancels_its_children() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let dropped = Arc::new(AtomicUsize::new(0));
            let mut tg = TaskGroup::<(), ()>::new();
            let handle = tg.handle();
            for _ in 0..4 {
                let guard = DropCounter(dropped.clone());
                tg.create_task(async move {
                    let _guard = guard;
                    std::future::pending().await
                });
            }
            drop(tg);
            yield_until(|| dropped.load(Ordering::SeqCst) == 4).await;
            assert!(handle.create_task(async { Ok(()) }).is_err());
        })
    });
}

#[test]
fn cancelling_the_joiner_cancels_the_group() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let mut tg = TaskGroup::<(), ()>::new();
            tg.create_task(async move {
                let _guard = guard;
                std::future::pending().await
            });
            let joiner = corio::create_task(tg.join());
            corio::yield_now().await;
            joiner.cancel();
            assert!(joiner.await.unwrap_err().is_cancelled());
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}

#[test]
fn empty_task_group_joins_at_once() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            assert!(TaskGroup::<(), ()>::new().join().await.unwrap().is_empty());
        })
    });
}

#[test]
fn a_child_added_without_a_runtime_panics_and_join_still_ends() {
    with_timeout(LIMIT, || {
        // Made outside any runtime: children are spawned on the caller's.
        let mut group = corio::TaskGroup::<u32, ()>::new();
        let handle = group.handle();
        let added = std::thread::spawn(move || handle.create_task(async { Ok(1) }).map(drop)).join();
        assert!(added.is_err(), "create_task with no runtime on the thread must panic");
        let out = runtime(1).block_on(async move {
            group.create_task(async { Ok(2) });
            group.join().await
        });
        assert_eq!(out.map_err(|e| e.errors().len()).unwrap(), vec![2]);
    });
}
