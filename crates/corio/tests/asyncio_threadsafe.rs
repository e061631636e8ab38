#![cfg(not(corio_loom))]
//! asyncio.run_coroutine_threadsafe and loop.call_soon_threadsafe, from
//! threads outside the runtime.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::{DropFlag, LIMIT, runtime, wait_until, with_timeout};
use corio::TaskError;
use corio::sync::oneshot;

#[test]
fn run_coroutine_threadsafe_from_a_foreign_thread_gives_the_result() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        let out = std::thread::spawn(move || {
            let fut = handle.run_coroutine_threadsafe(async {
                corio::yield_now().await;
                corio::current_task().is_some()
            });
            fut.result()
        })
        .join()
        .unwrap();
        assert!(out.unwrap(), "the coroutine ran as a task of the runtime");
    });
}

#[test]
fn run_coroutine_threadsafe_cancel_from_the_foreign_thread() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        let (guard, dropped) = DropFlag::new();
        let (started_tx, started_rx) = mpsc::channel();
        let res = std::thread::spawn(move || {
            let fut = handle.run_coroutine_threadsafe(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await
            });
            started_rx.recv().unwrap();
            assert!(!fut.done());
            assert!(fut.cancel());
            fut.result()
        })
        .join()
        .unwrap();
        assert!(matches!(res, Err(TaskError::Cancelled(None))), "{res:?}");
        assert!(dropped.load(Ordering::SeqCst), "result() returned after the task's destructors ran");
    });
}

#[test]
fn run_coroutine_threadsafe_result_timeout() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = oneshot::channel::<u8>();
        let mut fut = rt.handle().run_coroutine_threadsafe(async move { rx.await.unwrap() });
        assert!(fut.result_timeout(Duration::from_millis(5)).is_none());
        tx.send(9).unwrap();
        assert_eq!(fut.result_timeout(LIMIT).unwrap().unwrap(), 9);
        assert!(matches!(fut.result_timeout(Duration::ZERO), Some(Err(TaskError::InvalidState))));
    });
}

#[test]
fn run_coroutine_threadsafe_panic_is_reported() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let fut = rt.handle().run_coroutine_threadsafe(async { panic!("remote panic") });
        assert!(fut.result().unwrap_err().is_panic());
    });
}

#[test]
fn concurrent_future_can_be_awaited_and_dropping_it_cancels() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        assert_eq!(rt.block_on(handle.run_coroutine_threadsafe(async { 5 })).unwrap(), 5);
        let (guard, dropped) = DropFlag::new();
        let fut = handle.run_coroutine_threadsafe(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        drop(fut);
        wait_until(|| dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn call_soon_threadsafe_runs_callbacks_fifo_on_the_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, done_rx) = mpsc::channel();
        let s = seen.clone();
        std::thread::spawn(move || {
            for i in 0..100 {
                let s = s.clone();
                let _ = handle.call_soon_threadsafe(move || {
                    assert!(corio::Handle::try_current().is_some(), "runs on the runtime");
                    s.lock().unwrap().push(i);
                });
            }
            let _ = handle.call_soon_threadsafe(move || done_tx.send(()).unwrap());
        });
        done_rx.recv().unwrap();
        assert_eq!(*seen.lock().unwrap(), (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn call_soon_threadsafe_handle_cancels_a_callback_that_has_not_run() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let handle = rt.handle();
        // Keep the only worker busy so the callbacks cannot run yet.
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (busy_tx, busy_rx) = mpsc::channel::<()>();
        rt.spawn(async move {
            busy_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(LIMIT);
        })
        .detach();
        busy_rx.recv().unwrap();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let cancelled = handle.call_soon_threadsafe(move || tx.send("cancelled one ran").unwrap());
        let _kept = handle.call_soon_threadsafe(move || tx2.send("kept").unwrap());
        assert!(cancelled.cancel());
        assert!(cancelled.cancelled());
        release_tx.send(()).unwrap();
        assert_eq!(rx.recv().unwrap(), "kept");
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    });
}
