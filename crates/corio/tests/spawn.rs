#![cfg(not(corio_loom))]
//! Spawning: many tasks, from anywhere, on runtimes with their own threads.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{LIMIT, block_on_plain, runtime, with_timeout};

#[test]
fn one_million_spawned_tasks_all_complete_with_the_right_sum() {
    const TASKS: u64 = 1_000_000;
    const BATCH: u64 = 10_000;
    let total = with_timeout(LIMIT, || {
        corio::run(async {
            let mut sum = 0u64;
            let mut start = 0;
            while start < TASKS {
                let tasks: Vec<_> = (start..start + BATCH).map(|i| corio::create_task(async move { i })).collect();
                for t in tasks {
                    sum += t.await.unwrap();
                }
                start += BATCH;
            }
            sum
        })
    });
    assert_eq!(total, TASKS * (TASKS - 1) / 2);
}

#[test]
fn spawn_alias_and_create_task_both_spawn_on_the_current_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (a, b) = rt.block_on(async {
            let a = corio::spawn(async { 1 });
            let b = corio::create_task(async { 2 });
            (a.await.unwrap(), b.await.unwrap())
        });
        assert_eq!((a, b), (1, 2));
    });
}

#[test]
fn handle_spawn_from_a_foreign_thread_runs_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let handle = rt.handle();
        let task = std::thread::spawn(move || {
            assert!(corio::Handle::try_current().is_none());
            handle.spawn(async { 40 + 2 })
        })
        .join()
        .unwrap();
        assert_eq!(rt.block_on(task).unwrap(), 42);
    });
}

#[test]
fn runtime_spawn_from_a_foreign_thread_runs_the_task() {
    with_timeout(LIMIT, || {
        let rt = std::sync::Arc::new(runtime(2));
        let rt2 = rt.clone();
        let task = std::thread::spawn(move || rt2.spawn(async { "hi" })).join().unwrap();
        // Awaited from a thread that is in no runtime at all.
        assert_eq!(block_on_plain(task).unwrap(), "hi");
    });
}

#[test]
fn workers_run_spawned_tasks_without_anyone_in_block_on() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel();
        rt.spawn(async move {
            let inner = corio::create_task(async { 7 });
            tx.send(inner.await.unwrap()).unwrap();
        })
        .detach();
        assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 7);
    });
}

#[test]
fn several_runtimes_in_one_process_each_run_on_their_own_threads() {
    with_timeout(LIMIT, || {
        let a = corio::Builder::new().worker_threads(1).thread_name("rt-alpha").build().unwrap();
        let b = corio::Builder::new().worker_threads(2).thread_name("rt-beta").build().unwrap();
        let name = || std::thread::current().name().unwrap_or("").to_string();
        let ta = a.spawn(async move { name() });
        let tb = b.spawn(async move { name() });
        let na = a.block_on(ta).unwrap();
        let nb = b.block_on(tb).unwrap();
        assert!(na.starts_with("rt-alpha"), "task of runtime a ran on {na:?}");
        assert!(nb.starts_with("rt-beta"), "task of runtime b ran on {nb:?}");
        // A task spawned from inside runtime b's task lands on b, not a.
        let nested = b.block_on(async move { corio::create_task(async move { name() }).await.unwrap() });
        assert!(nested.starts_with("rt-beta"), "nested task ran on {nested:?}");
    });
}

#[test]
fn several_run_calls_on_separate_threads_run_concurrently() {
    with_timeout(LIMIT, || {
        // Two event loops at once, each in its own thread; they rendezvous,
        // so this only finishes if both really run at the same time.
        let (tx_a, rx_a) = mpsc::channel::<()>();
        let (tx_b, rx_b) = mpsc::channel::<()>();
        let a = std::thread::spawn(move || {
            corio::run(async move {
                let t = corio::to_thread(move || {
                    tx_b.send(()).unwrap();
                    rx_a.recv_timeout(LIMIT).unwrap();
                });
                t.await.unwrap();
                1
            })
        });
        let b = std::thread::spawn(move || {
            corio::run(async move {
                let t = corio::to_thread(move || {
                    tx_a.send(()).unwrap();
                    rx_b.recv_timeout(LIMIT).unwrap();
                });
                t.await.unwrap();
                2
            })
        });
        assert_eq!(a.join().unwrap() + b.join().unwrap(), 3);
    });
}

#[test]
fn builder_worker_threads_zero_is_an_error() {
    let err = corio::Builder::new().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn runtime_builder_gives_a_working_builder() {
    with_timeout(LIMIT, || {
        let rt = corio::Runtime::builder().worker_threads(1).build().unwrap();
        assert_eq!(rt.block_on(async { 5 }), 5);
    });
}

#[test]
fn thread_name_shows_inside_a_task() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).thread_name("my-loop").build().unwrap();
        let name = rt
            .block_on(rt.spawn(async { std::thread::current().name().map(str::to_string) }))
            .unwrap()
            .expect("worker threads have a name");
        assert!(name.starts_with("my-loop"), "worker thread name {name:?}");
    });
}

#[test]
fn tasks_spawned_from_tasks_complete_in_a_deep_chain() {
    fn chain(n: u32) -> std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send>> {
        Box::pin(async move { if n == 0 { 0 } else { corio::create_task(chain(n - 1)).await.unwrap() + 1 } })
    }
    let depth = with_timeout(LIMIT, || runtime(2).block_on(chain(1_000)));
    assert_eq!(depth, 1_000);
}

#[test]
fn a_spawned_task_runs_on_a_worker_not_on_the_block_on_thread() {
    with_timeout(Duration::from_secs(10), || {
        let rt = corio::Builder::new().worker_threads(1).thread_name("only-worker").build().unwrap();
        let name = rt.block_on(async {
            corio::create_task(async { std::thread::current().name().map(str::to_string) }).await.unwrap()
        });
        assert!(name.as_deref().is_some_and(|n| n.starts_with("only-worker")), "{name:?}");
    });
}

#[test]
fn concurrent_spawns_from_foreign_threads_all_complete() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 10_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let spawners: Vec<_> = (0..THREADS)
            .map(|t| {
                let handle = rt.handle();
                std::thread::spawn(move || {
                    (0..PER_THREAD).map(|i| handle.spawn(async move { t * PER_THREAD + i })).collect::<Vec<_>>()
                })
            })
            .collect();
        let tasks: Vec<_> = spawners.into_iter().flat_map(|s| s.join().unwrap()).collect();
        let sum = rt.block_on(async move {
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        let n = THREADS * PER_THREAD;
        assert_eq!(sum, n * (n - 1) / 2);
    });
}
