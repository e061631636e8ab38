#![cfg(not(corio_loom))]
//! `Runtime::block_on` and its main future (which counts as a task).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use common::{LIMIT, runtime, with_timeout};

#[test]
fn block_on_drives_a_future_that_is_neither_send_nor_static() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let local = vec![1, 2, 3];
        let rc = Rc::new(10);
        let out = rt.block_on(async {
            let borrowed: &Vec<i32> = &local;
            corio::yield_now().await;
            borrowed.iter().sum::<i32>() + *rc
        });
        assert_eq!(out, 16);
    });
}

#[test]
fn a_panic_in_the_main_future_propagates_and_the_runtime_stays_usable() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let mut main = None;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                main = corio::current_task();
                corio::yield_now().await;
                panic!("main future failed");
            })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"main future failed"));
        // The thread is outside the runtime again, and the runtime works.
        assert!(corio::Handle::try_current().is_none());
        assert!(corio::current_task().is_none());
        assert_eq!(rt.block_on(rt.spawn(async { 4 })).unwrap(), 4);
        // The failed main task has ended and left all_tasks.
        let main = main.expect("no current task in the main future");
        assert!(main.done());
        let listed = rt.block_on(async { corio::all_tasks().iter().any(|t| t.id() == main.id()) });
        assert!(!listed, "the failed main task is still listed");
    });
}

#[test]
fn the_main_task_is_done_after_block_on_returns() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let main = rt.block_on(async { corio::current_task().unwrap() });
        assert!(main.done());
        assert!(!main.cancelled());
        assert!(!main.panicked());
        // A new block_on is a new main task.
        let second = rt.block_on(async { corio::current_task().unwrap().id() });
        assert_ne!(second, main.id());
    });
}

#[test]
fn block_on_from_several_threads_on_one_runtime_at_once() {
    with_timeout(LIMIT, || {
        let rt = Arc::new(runtime(2));
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                let rt = rt.clone();
                std::thread::spawn(move || {
                    rt.block_on(async move {
                        let mut sum = 0;
                        for j in 0..100u64 {
                            sum += corio::create_task(async move { i * j }).await.unwrap();
                            corio::yield_now().await;
                        }
                        sum
                    })
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, (0..4u64).map(|i| i * 4950).sum::<u64>());
    });
}

#[test]
fn block_on_awaiting_many_finished_tasks_is_not_stuck_by_the_budget() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let out = rt.block_on(async {
            let tasks: Vec<_> = (0..1_000u32).map(|i| corio::create_task(async move { i })).collect();
            // Let them all finish, so every await below is ready at once.
            common::yield_until(|| tasks.iter().all(|t| t.done())).await;
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        assert_eq!(out, (0..1_000).sum::<u32>());
    });
}

#[test]
fn runtime_new_builds_a_working_default_runtime() {
    with_timeout(LIMIT, || {
        let rt = corio::Runtime::new().unwrap();
        assert_eq!(rt.block_on(async { corio::create_task(async { 1 }).await.unwrap() }), 1);
    });
}
