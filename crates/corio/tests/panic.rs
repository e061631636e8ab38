#![cfg(not(corio_loom))]
//! Panics inside tasks: caught per task, reported as `TaskError::Panicked`,
//! the worker survives, and an unretrieved panic is reported once.

mod common;

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{LIMIT, never, runtime, wait_until, with_timeout};
use corio::TaskError;

#[test]
fn a_panicking_task_ends_with_panicked_and_its_message() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt.block_on(rt.spawn(async { panic!("boom {}", 42) })).unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        match &err {
            TaskError::Panicked(payload) => {
                assert_eq!(payload.message().as_deref(), Some("boom 42"))
            }
            other => panic!("expected Panicked, got {other:?}"),
        }
        assert!(err.to_string().contains("boom 42"), "Display: {err}");
    });
}

#[test]
fn a_static_str_panic_message_is_kept() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt.block_on(rt.spawn(async { panic!("static text") })).unwrap_err();
        match err {
            TaskError::Panicked(payload) => {
                assert_eq!(payload.message().as_deref(), Some("static text"))
            }
            other => panic!("expected Panicked, got {other:?}"),
        }
    });
}

#[test]
fn into_panic_gives_the_original_payload() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt.block_on(rt.spawn(async { std::panic::panic_any(Custom(7)) })).unwrap_err();
        match &err {
            TaskError::Panicked(payload) => assert_eq!(payload.message(), None),
            other => panic!("expected Panicked, got {other:?}"),
        }
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(7)));
    });
}

#[test]
fn panic_payload_into_inner_gives_the_payload() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt.block_on(rt.spawn(async { panic!("inner {}", std::hint::black_box(1)) })).unwrap_err();
        let TaskError::Panicked(payload) = err else { panic!("not a panic") };
        let inner = payload.into_inner();
        // A formatted message is a `String` payload (a literal one may be
        // folded into a `&'static str`).
        let text = inner
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| inner.downcast_ref::<&'static str>().copied());
        assert_eq!(text, Some("inner 1"));
    });
}

#[test]
#[should_panic(expected = "into_panic")]
fn into_panic_on_a_cancelled_error_panics() {
    let _ = TaskError::Cancelled(None).into_panic();
}

#[test]
fn is_panic_and_is_cancelled_tell_the_variants_apart() {
    let cancelled = TaskError::Cancelled(Some("m".into()));
    assert!(cancelled.is_cancelled() && !cancelled.is_panic());
    let invalid = TaskError::InvalidState;
    assert!(!invalid.is_cancelled() && !invalid.is_panic());
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let err = rt.block_on(rt.spawn(async { panic!("p") })).unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
    });
}

#[test]
fn the_worker_survives_many_panicking_tasks() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(1).thread_name("survivor").build().unwrap();
        let panickers: Vec<_> = (0..50).map(|i| rt.spawn(async move { panic!("panicker {i}") })).collect();
        for (i, t) in panickers.into_iter().enumerate() {
            let err = rt.block_on(t).unwrap_err();
            let TaskError::Panicked(p) = err else { panic!("not a panic") };
            assert_eq!(p.message(), Some(format!("panicker {i}")));
        }
        // Still the same single worker, still running tasks.
        let name = rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_string) })).unwrap();
        assert_eq!(name.as_deref(), Some("survivor-0"));
        let (tx, rx) = mpsc::channel();
        rt.spawn(async move { tx.send(1).unwrap() }).detach();
        assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 1);
    });
}

#[test]
fn a_panic_in_a_nested_task_does_not_affect_its_parent() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let out = rt.block_on(async {
            let child = corio::create_task(async { panic!("child") });
            let err = child.await.unwrap_err();
            assert!(err.is_panic());
            "parent fine"
        });
        assert_eq!(out, "parent fine");
    });
}

#[test]
fn the_panicked_flag_shows_on_the_task_ref() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let task = rt.spawn(async { panic!("flagged") });
        let r = task.task_ref();
        wait_until(|| r.done());
        assert!(r.panicked());
        assert!(!r.cancelled());
        assert!(!task.cancelled());
        assert!(rt.block_on(task).unwrap_err().is_panic());
    });
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("destructor exploded");
    }
}

#[test]
fn a_panic_in_a_destructor_during_cancel_is_reported_as_a_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (polled_tx, polled_rx) = mpsc::channel();
        let task = rt.spawn(async move {
            let _bomb = PanicOnDrop;
            polled_tx.send(()).unwrap();
            never().await;
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        // The task is suspended (or about to be): either way the canceller or
        // the worker drops the future, and the destructor's panic is caught.
        assert!(task.cancel());
        let err = rt.block_on(task).unwrap_err();
        match err {
            TaskError::Panicked(p) => {
                assert_eq!(p.message().as_deref(), Some("destructor exploded"))
            }
            other => panic!("expected Panicked, got {other:?}"),
        }
    });
}

#[test]
fn a_panic_in_a_destructor_of_an_unpolled_cancelled_task_is_reported_as_a_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        // Spawned and cancelled within one poll on a worker: never polled.
        let err = rt
            .block_on(rt.spawn(async {
                let bomb = PanicOnDrop;
                let task = corio::create_task(async move {
                    let _bomb = bomb;
                });
                assert!(task.cancel());
                task.await.unwrap_err()
            }))
            .unwrap();
        assert!(err.is_panic(), "{err:?}");
    });
}

#[test]
fn a_panic_in_a_destructor_after_the_body_finished_is_reported_as_a_panic() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt
            .block_on(rt.spawn(async {
                let _bomb = PanicOnDrop;
                corio::yield_now().await;
                5
            }))
            .unwrap_err();
        assert!(err.is_panic(), "{err:?}");
    });
}

// ---- unretrieved panics, checked in a child process -----------------------

const CHILD_ENV: &str = "CORIO_PANIC_TEST_CHILD";

/// Re-runs this test binary with only `test` selected and `CHILD_ENV` set,
/// and returns the child's stderr.
fn child_stderr(test: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child test process did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let err = reader.join().unwrap();
    assert!(status.success(), "child failed ({status}); stderr:\n{err}");
    err
}

/// The child's scenario: named tasks panic; some panics are retrieved,
/// some are not.
fn unretrieved_panic_scenario() {
    let rt = runtime(2);
    let spawn_named = |name: &'static str, msg: &'static str| {
        common::in_runtime(&rt, || corio::task::Builder::new().name(name).spawn(async move { panic!("{msg}") }))
    };
    // Detached: nobody can ever retrieve it.
    spawn_named("zz-detached", "payload one").detach();
    // Handle dropped after the task finished.
    let t = spawn_named("zz-dropped-after-done", "payload two");
    wait_until(|| t.done());
    drop(t);
    // Retrieved by awaiting, and by `result()`.
    let awaited = rt.block_on(spawn_named("zz-awaited", "payload three"));
    assert!(awaited.unwrap_err().is_panic());
    let mut taken = spawn_named("zz-taken-by-result", "payload four");
    wait_until(|| taken.done());
    assert!(taken.result().unwrap_err().is_panic());
    drop(taken);
    drop(rt);
}

#[test]
fn an_unretrieved_panic_is_reported_once_on_stderr_with_the_task_name() {
    if std::env::var_os(CHILD_ENV).is_some() {
        unretrieved_panic_scenario();
        return;
    }
    let err =
        with_timeout(LIMIT, || child_stderr("an_unretrieved_panic_is_reported_once_on_stderr_with_the_task_name"));
    let count = |needle: &str| err.matches(needle).count();
    assert_eq!(count("zz-detached"), 1, "stderr:\n{err}");
    assert_eq!(count("zz-dropped-after-done"), 1, "stderr:\n{err}");
    assert_eq!(count("zz-awaited"), 0, "a retrieved panic was reported; stderr:\n{err}");
    assert_eq!(count("zz-taken-by-result"), 0, "a retrieved panic was reported; stderr:\n{err}");
}
