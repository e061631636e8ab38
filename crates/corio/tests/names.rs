#![cfg(not(corio_loom))]
//! Task names and identity: `Task-N`, `task::Builder::name`, `set_name`,
//! `current_task()`, `all_tasks()`, `TaskId`.

mod common;

use std::collections::HashSet;
use std::sync::mpsc;

use common::{LIMIT, never, runtime, wait_until, with_timeout};

/// `N` of a default `Task-N` name.
fn number_of(name: &str) -> u64 {
    name.strip_prefix("Task-")
        .unwrap_or_else(|| panic!("{name:?} is not a default name"))
        .parse()
        .unwrap_or_else(|_| panic!("{name:?} has no number"))
}

#[test]
fn default_names_are_task_n_with_n_increasing() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {
            let tasks: Vec<_> = (0..20).map(|_| corio::create_task(async {})).collect();
            let numbers: Vec<u64> = tasks.iter().map(|t| number_of(&t.name())).collect();
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "not increasing: {numbers:?}");
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
}

#[test]
fn task_id_display_equals_the_n_in_the_default_name() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let task = rt.spawn(async {});
        assert_eq!(task.name(), format!("Task-{}", task.id()));
        assert_eq!(number_of(&task.name()).to_string(), task.id().to_string());
        rt.block_on(task).unwrap();
    });
}

#[test]
fn task_ids_are_unique() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let ids: HashSet<corio::TaskId> = rt.block_on(async {
            let tasks: Vec<_> = (0..1_000).map(|_| corio::create_task(async {})).collect();
            let ids = tasks.iter().map(|t| t.id()).collect();
            for t in tasks {
                t.await.unwrap();
            }
            ids
        });
        assert_eq!(ids.len(), 1_000);
    });
}

#[test]
fn task_builder_name_names_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {
            let task =
                corio::task::Builder::new().name("fetcher").spawn(async { corio::current_task().unwrap().name() });
            assert_eq!(task.name(), "fetcher");
            assert_eq!(task.task_ref().name(), "fetcher");
            assert_eq!(task.await.unwrap(), "fetcher");
        });
    });
}

#[test]
fn task_builder_without_a_name_gives_the_default_name() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        rt.block_on(async {
            let task = corio::task::Builder::new().spawn(async {});
            assert_eq!(task.name(), format!("Task-{}", task.id()));
            task.await.unwrap();
        });
    });
}

#[test]
fn set_name_renames_the_task_everywhere() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            common::yield_until(move || rx.try_recv().is_ok()).await;
            corio::current_task().unwrap().name()
        });
        let r = task.task_ref();
        task.set_name("renamed");
        assert_eq!(task.name(), "renamed");
        assert_eq!(r.name(), "renamed");
        tx.send(()).unwrap();
        assert_eq!(rt.block_on(task).unwrap(), "renamed");
        // The name outlives the task.
        assert_eq!(r.name(), "renamed");
    });
}

#[test]
fn current_task_inside_a_task_is_that_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let task = rt.spawn(async {
            let me = corio::current_task().expect("no current task inside a task");
            (me.id(), me.done())
        });
        let id = task.id();
        let r = task.task_ref();
        let (seen, done) = rt.block_on(task).unwrap();
        assert_eq!(seen, id);
        assert!(!done);
        assert!(r.done());
    });
}

#[test]
fn current_task_equals_the_task_ref_of_the_handle() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {
            let (tx, rx) = mpsc::channel();
            let task = corio::create_task(async move {
                tx.send(corio::current_task().unwrap()).unwrap();
            });
            let r = task.task_ref();
            task.await.unwrap();
            assert!(rx.recv().unwrap() == r);
        });
    });
}

#[test]
fn current_task_inside_run_is_the_main_task() {
    with_timeout(LIMIT, || {
        corio::run(async {
            let main = corio::current_task().expect("no current task in run's main future");
            assert!(!main.done());
            assert!(main.name().starts_with("Task-"), "{}", main.name());
            // Still the same task after a suspension.
            corio::yield_now().await;
            assert_eq!(corio::current_task().unwrap().id(), main.id());
            // And a child sees itself, not the main task.
            let child_id = corio::create_task(async { corio::current_task().unwrap().id() }).await.unwrap();
            assert_ne!(child_id, main.id());
        });
    });
}

#[test]
fn current_task_inside_block_on_is_the_main_task_and_appears_in_all_tasks() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        rt.block_on(async {
            let main = corio::current_task().unwrap();
            assert!(corio::all_tasks().iter().any(|t| t.id() == main.id()));
        });
    });
}

#[test]
fn current_task_is_none_outside_any_task() {
    assert!(corio::current_task().is_none());
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        drop(rt.handle());
        assert!(corio::current_task().is_none());
    });
}

#[test]
fn the_main_task_cannot_be_cancelled_through_its_ref() {
    with_timeout(LIMIT, || {
        let out = corio::run(async {
            let main = corio::current_task().unwrap();
            let cancelled = main.cancel();
            corio::yield_now().await;
            (cancelled, main.cancelled())
        });
        assert_eq!(out, (false, false));
    });
}

#[test]
fn all_tasks_contains_pending_tasks_and_the_main_task() {
    with_timeout(LIMIT, || {
        corio::run(async {
            let main = corio::current_task().unwrap();
            let pending: Vec<_> = (0..5).map(|_| corio::create_task(never())).collect();
            let all = corio::all_tasks();
            let ids: HashSet<_> = all.iter().map(|t| t.id()).collect();
            assert!(ids.contains(&main.id()), "main task missing from all_tasks");
            for t in &pending {
                assert!(ids.contains(&t.id()), "pending {} missing", t.name());
            }
            assert!(all.iter().all(|t| !t.done()));
        });
    });
}

#[test]
fn finished_tasks_leave_all_tasks() {
    with_timeout(LIMIT, || {
        corio::run(async {
            let finished = corio::create_task(async { 1 });
            let id = finished.id();
            let r = finished.task_ref();
            finished.await.unwrap();
            // Completion and leaving the registry are two steps on the
            // completing worker; give the second a bounded moment.
            common::yield_until(|| !corio::all_tasks().iter().any(|t| t.id() == id)).await;
            assert!(r.done());
        });
    });
}

#[test]
fn all_tasks_never_lists_a_done_task() {
    with_timeout(LIMIT, || {
        corio::run(async {
            for _ in 0..2_000 {
                let t = corio::create_task(async {});
                t.await.unwrap();
                let stale: Vec<String> = corio::all_tasks().iter().filter(|t| t.done()).map(|t| t.name()).collect();
                assert!(stale.is_empty(), "all_tasks listed finished tasks: {stale:?}");
            }
        });
    });
}

#[test]
fn all_tasks_contains_a_cancelled_task_only_until_it_ends() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let task = rt.spawn(never());
        let id = task.id();
        let listed = || rt.block_on(async { corio::all_tasks().iter().any(|t| t.id() == id) });
        assert!(listed());
        drop(task);
        wait_until(|| !listed());
    });
}

#[test]
fn all_tasks_only_lists_tasks_of_the_current_runtime() {
    with_timeout(LIMIT, || {
        let a = runtime(1);
        let b = runtime(1);
        let ta = a.spawn(never());
        let ids: Vec<_> = b.block_on(async { corio::all_tasks().iter().map(|t| t.id()).collect() });
        assert!(!ids.contains(&ta.id()));
    });
}

#[test]
#[should_panic(expected = "no running corio runtime")]
fn all_tasks_outside_a_runtime_panics() {
    with_timeout(LIMIT, || {
        let _ = corio::all_tasks();
    });
}
