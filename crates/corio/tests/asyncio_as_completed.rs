#![cfg(not(corio_loom))]
//! asyncio.as_completed: results in completion order, as `next()` and as a
//! `futures_core::Stream`.

mod common;

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::Poll;

use common::{DropFlag, LIMIT, runtime, with_timeout, yield_until};
use corio::sync::oneshot;

#[test]
fn as_completed_yields_results_in_completion_order() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..5).map(|_| oneshot::channel::<()>()).unzip();
            let tasks: Vec<_> = rxs
                .into_iter()
                .enumerate()
                .map(|(i, rx)| {
                    corio::create_task(async move {
                        rx.await.unwrap();
                        i
                    })
                })
                .collect();
            let mut ac = corio::as_completed(tasks);
            let order = [3, 0, 4, 1, 2];
            let mut txs: Vec<_> = txs.into_iter().map(Some).collect();
            for &i in &order {
                txs[i].take().unwrap().send(()).unwrap();
                assert_eq!(ac.next().await.unwrap().unwrap(), i);
            }
            assert!(ac.next().await.is_none());
            assert_eq!(ac.remaining(), 0);
        })
    });
}

#[test]
fn as_completed_is_a_stream() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let tasks: Vec<_> = (0..100u64).map(|i| corio::create_task(async move { i })).collect();
            let mut stream = corio::as_completed(tasks);
            assert_eq!(futures_core::Stream::size_hint(&stream), (100, Some(100)));
            let mut sum = 0;
            while let Some(r) =
                std::future::poll_fn(|cx| match futures_core::Stream::poll_next(Pin::new(&mut stream), cx) {
                    Poll::Ready(v) => Poll::Ready(v),
                    Poll::Pending => Poll::Pending,
                })
                .await
            {
                sum += r.unwrap();
            }
            assert_eq!(sum, 4950);
        })
    });
}

#[test]
fn as_completed_reports_failures_as_they_come() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let bad = corio::create_task(async { panic!("bad") });
            let mut ac = corio::as_completed([bad]);
            assert!(ac.next().await.unwrap().unwrap_err().is_panic());
        })
    });
}

#[test]
fn dropping_as_completed_cancels_the_tasks_not_yet_yielded() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (guard, dropped) = DropFlag::new();
            let stuck = corio::create_task(async move {
                let _guard = guard;
                std::future::pending::<u8>().await
            });
            let quick = corio::create_task(async { 7u8 });
            let mut ac = corio::as_completed([stuck, quick]);
            assert_eq!(ac.next().await.unwrap().unwrap(), 7);
            drop(ac);
            yield_until(|| dropped.load(Ordering::SeqCst)).await;
        })
    });
}
