#![cfg(not(corio_loom))]
//! Runtimes inside runtimes, and runtime-needing calls outside any runtime.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use common::{LIMIT, runtime, with_timeout};
use corio::TaskError;

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn message(err: TaskError) -> String {
    match err {
        TaskError::Panicked(p) => p.message().unwrap_or_default(),
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn run_inside_a_task_panics_naming_the_problem() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let err = rt
            .block_on(rt.spawn(async {
                corio::run(async {});
            }))
            .unwrap_err();
        let msg = message(err);
        assert!(msg.contains("inside"), "unclear message: {msg:?}");
        assert!(msg.contains("run"), "unclear message: {msg:?}");
    });
}

#[test]
fn run_inside_a_task_can_be_caught_and_the_task_goes_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let out = rt
            .block_on(rt.spawn(async {
                let caught = catch_unwind(|| corio::run(async { 1 }));
                let text = panic_text(&*caught.unwrap_err());
                corio::yield_now().await;
                text
            }))
            .unwrap();
        assert!(out.contains("inside"), "unclear message: {out:?}");
    });
}

#[test]
fn run_inside_block_on_panics() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let text = rt.block_on(async {
            let caught = catch_unwind(|| corio::run(async {}));
            panic_text(&*caught.unwrap_err())
        });
        assert!(text.contains("inside"), "unclear message: {text:?}");
    });
}

#[test]
fn run_inside_run_panics() {
    with_timeout(LIMIT, || {
        let text = corio::run(async {
            let caught = catch_unwind(|| corio::run(async {}));
            panic_text(&*caught.unwrap_err())
        });
        assert!(text.contains("inside"), "unclear message: {text:?}");
    });
}

#[test]
fn block_on_on_a_worker_thread_panics_clearly() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let other = Arc::new(runtime(1));
        let other2 = other.clone();
        let err = rt
            .block_on(rt.spawn(async move {
                other2.block_on(async { 1 });
            }))
            .unwrap_err();
        let msg = message(err);
        assert!(msg.contains("block_on"), "unclear message: {msg:?}");
        assert!(msg.contains("inside"), "unclear message: {msg:?}");
        // Both runtimes still work.
        assert_eq!(other.block_on(async { 2 }), 2);
        assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
    });
}

#[test]
fn block_on_of_its_own_runtime_on_a_worker_thread_panics() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(runtime(2));
        let rt2 = rt.clone();
        let err = rt
            .block_on(rt.spawn(async move {
                let rt3 = rt2.clone();
                drop(rt2);
                rt3.block_on(async {});
            }))
            .unwrap_err();
        assert!(message(err).contains("block_on"));
    });
}

#[test]
fn block_on_nested_in_block_on_panics() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let text = rt.block_on(async {
            let caught = catch_unwind(AssertUnwindSafe(|| rt.block_on(async {})));
            panic_text(&*caught.unwrap_err())
        });
        assert!(text.contains("block_on"), "unclear message: {text:?}");
        // The runtime still works after the caught panic.
        assert_eq!(rt.block_on(async { 5 }), 5);
    });
}

#[test]
fn block_on_of_another_runtime_inside_block_on_panics() {
    with_timeout(LIMIT, || {
        let a = runtime(1);
        let b = runtime(1);
        let text = a.block_on(async {
            let caught = catch_unwind(AssertUnwindSafe(|| b.block_on(async {})));
            panic_text(&*caught.unwrap_err())
        });
        assert!(text.contains("block_on"), "unclear message: {text:?}");
    });
}

#[test]
fn block_on_inside_a_blocking_closure_is_allowed() {
    // A `to_thread` closure runs on a blocking thread, which drives no
    // runtime: blocking there is what it is for.
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let other = Arc::new(runtime(1));
        let other2 = other.clone();
        let out = rt.block_on(async move { corio::to_thread(move || other2.block_on(async { 8 })).await }).unwrap();
        assert_eq!(out, 8);
    });
}

#[test]
fn block_on_after_block_on_on_the_same_thread_works() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        assert_eq!(rt.block_on(async { 1 }), 1);
        assert_eq!(rt.block_on(async { 2 }), 2);
        // And the thread is outside any runtime again in between.
        assert!(corio::Handle::try_current().is_none());
        assert_eq!(corio::run(async { 3 }), 3);
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn handle_current_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        let _ = corio::Handle::current();
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn create_task_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        corio::create_task(async {}).detach();
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn spawn_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        corio::spawn(async {}).detach();
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn task_builder_spawn_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        corio::task::Builder::new().name("x").spawn(async {}).detach();
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn to_thread_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        corio::to_thread(|| {}).detach();
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn create_task_on_a_thread_with_a_live_runtime_it_is_not_in_panics() {
    // Owning a runtime is not being inside it.
    with_timeout(LIMIT, || {
        let _rt = runtime(1);
        corio::create_task(async {}).detach();
    });
}

#[test]
fn handle_try_current_is_none_outside_a_runtime() {
    assert!(corio::Handle::try_current().is_none());
    with_timeout(LIMIT, || {
        assert!(corio::Handle::try_current().is_none());
    });
}

#[test]
fn handle_try_current_is_some_inside_tasks_and_block_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        assert!(rt.block_on(async { corio::Handle::try_current().is_some() }));
        assert!(rt.block_on(rt.spawn(async { corio::Handle::try_current().is_some() })).unwrap());
    });
}

#[test]
fn handle_current_inside_a_task_spawns_on_the_same_runtime() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).thread_name("same-rt").build().unwrap();
        let name = rt
            .block_on(rt.spawn(async {
                corio::Handle::current()
                    .spawn(async { std::thread::current().name().map(str::to_string) })
                    .await
                    .unwrap()
            }))
            .unwrap();
        assert!(name.as_deref().is_some_and(|n| n.starts_with("same-rt")), "{name:?}");
    });
}
