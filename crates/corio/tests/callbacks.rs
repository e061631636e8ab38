#![cfg(not(corio_loom))]
//! Done callbacks: order, where they run, removal, what they see.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};

use common::{LIMIT, never, runtime, wait_until, with_timeout};

thread_local! {
    /// Set while this thread is inside a call that must not run callbacks.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with `INSIDE` set on this thread.
fn inside<R>(f: impl FnOnce() -> R) -> R {
    INSIDE.with(|c| c.set(true));
    let out = f();
    INSIDE.with(|c| c.set(false));
    out
}

fn is_inside() -> bool {
    INSIDE.with(Cell::get)
}

/// A future that marks `INSIDE` for the duration of each of its polls.
struct MarkPolls<F>(Pin<Box<F>>);

impl<F: Future> Future for MarkPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        inside(|| self.0.as_mut().poll(cx))
    }
}

type Log = Arc<Mutex<Vec<usize>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn pusher(log: &Log, i: usize) -> impl FnOnce(&corio::TaskRef) + Send + 'static {
    let log = log.clone();
    move |_| log.lock().unwrap().push(i)
}

fn len(log: &Log) -> usize {
    log.lock().unwrap().len()
}

#[test]
fn callbacks_run_in_registration_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            common::yield_until(move || go_rx.try_recv().is_ok()).await;
        });
        let order = log();
        for i in 0..20 {
            task.add_done_callback(pusher(&order, i));
        }
        go_tx.send(()).unwrap();
        rt.block_on(task).unwrap();
        wait_until(|| len(&order) == 20);
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn callbacks_added_after_done_from_outside_run_in_registration_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let task = rt.spawn(async {});
        wait_until(|| task.done());
        let order = log();
        for i in 0..20 {
            task.add_done_callback(pusher(&order, i));
        }
        wait_until(|| len(&order) == 20);
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn callbacks_added_after_done_from_outside_run_in_registration_order_on_two_workers() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        for _ in 0..20 {
            let task = rt.spawn(async {});
            wait_until(|| task.done());
            let order = log();
            for i in 0..50 {
                task.add_done_callback(pusher(&order, i));
            }
            wait_until(|| len(&order) == 50);
            assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());
        }
    });
}

#[test]
fn callbacks_added_after_done_from_inside_a_task_run_in_registration_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let order = log();
        let o = order.clone();
        rt.block_on(rt.spawn(async move {
            let mut child = corio::create_task(async {});
            (&mut child).await.unwrap();
            for i in 0..5 {
                child.add_done_callback(pusher(&o, i));
            }
            common::yield_until(|| len(&o) == 5).await;
        }))
        .unwrap();
        assert_eq!(*order.lock().unwrap(), (0..5).collect::<Vec<_>>());
    });
}

#[test]
fn callbacks_added_before_and_after_done_keep_their_relative_order() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let order = log();
        let task = rt.spawn(async {});
        task.add_done_callback(pusher(&order, 0));
        wait_until(|| task.done() && len(&order) == 1);
        task.add_done_callback(pusher(&order, 1));
        wait_until(|| len(&order) == 2);
        assert_eq!(*order.lock().unwrap(), vec![0, 1]);
    });
}

#[test]
fn a_callback_never_runs_inside_add_done_callback() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let ran_inside = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        let task = rt.spawn(async {});
        wait_until(|| task.done());
        for _ in 0..50 {
            let (ran_inside, ran) = (ran_inside.clone(), ran.clone());
            inside(|| {
                task.add_done_callback(move |_| {
                    if is_inside() {
                        ran_inside.fetch_add(1, Ordering::SeqCst);
                    }
                    ran.fetch_add(1, Ordering::SeqCst);
                })
            });
        }
        wait_until(|| ran.load(Ordering::SeqCst) == 50);
        assert_eq!(ran_inside.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn a_callback_never_runs_inside_add_done_callback_on_a_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let flags = rt
            .block_on(rt.spawn(async {
                let mut child = corio::create_task(async {});
                (&mut child).await.unwrap();
                let seen: Arc<Mutex<Option<bool>>> = Arc::default();
                let slot = seen.clone();
                inside(|| child.add_done_callback(move |_| *slot.lock().unwrap() = Some(is_inside())));
                common::yield_until(|| seen.lock().unwrap().is_some()).await;
                seen.lock().unwrap().unwrap()
            }))
            .unwrap();
        assert!(!flags, "the callback ran inside add_done_callback");
    });
}

#[test]
fn a_callback_never_runs_inside_the_completing_poll() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        for _ in 0..20 {
            let (tx, rx) = mpsc::channel();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let task = rt.spawn(MarkPolls(Box::pin(async move {
                common::yield_until(move || go_rx.try_recv().is_ok()).await;
            })));
            task.add_done_callback(move |_| tx.send(is_inside()).unwrap());
            go_tx.send(()).unwrap();
            assert!(!rx.recv_timeout(LIMIT).unwrap(), "the callback ran inside the task's last poll");
            rt.block_on(task).unwrap();
        }
    });
}

#[test]
fn a_callback_never_runs_inside_cancel() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (polled_tx, polled_rx) = mpsc::channel();
        let task = rt.spawn(async move {
            polled_tx.send(()).unwrap();
            never().await;
        });
        polled_rx.recv_timeout(LIMIT).unwrap();
        let (tx, rx) = mpsc::channel();
        task.add_done_callback(move |r| tx.send((is_inside(), r.cancelled())).unwrap());
        // Cancelling an idle task completes it on this thread.
        assert!(inside(|| task.cancel()));
        let (was_inside, cancelled) = rx.recv_timeout(LIMIT).unwrap();
        assert!(!was_inside, "the callback ran inside cancel()");
        assert!(cancelled);
    });
}

#[test]
fn callbacks_run_on_the_runtime() {
    with_timeout(LIMIT, || {
        let rt = corio::Builder::new().worker_threads(2).thread_name("cb-rt").build().unwrap();
        let (tx, rx) = mpsc::channel();
        let task = rt.spawn(async {});
        let tx2 = tx.clone();
        task.add_done_callback(move |_| {
            tx.send((std::thread::current().name().map(str::to_string), corio::Handle::try_current().is_some()))
                .unwrap()
        });
        wait_until(|| task.done());
        task.add_done_callback(move |_| {
            tx2.send((std::thread::current().name().map(str::to_string), corio::Handle::try_current().is_some()))
                .unwrap()
        });
        for _ in 0..2 {
            let (name, in_runtime) = rx.recv_timeout(LIMIT).unwrap();
            assert!(name.as_deref().is_some_and(|n| n.starts_with("cb-rt")), "{name:?}");
            assert!(in_runtime);
        }
    });
}

#[test]
fn remove_done_callback_prevents_the_callback_and_returns_true() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            common::yield_until(move || go_rx.try_recv().is_ok()).await;
        });
        let order = log();
        let a = task.add_done_callback(pusher(&order, 0));
        let b = task.add_done_callback(pusher(&order, 1));
        let c = task.add_done_callback(pusher(&order, 2));
        assert_ne!(a, b);
        assert!(task.remove_done_callback(b));
        // A second removal finds nothing.
        assert!(!task.remove_done_callback(b));
        go_tx.send(()).unwrap();
        let mut task = task;
        rt.block_on(&mut task).unwrap();
        wait_until(|| len(&order) == 2);
        // Give a wrongly kept callback a chance to show up.
        rt.block_on(async {
            for _ in 0..10 {
                corio::yield_now().await;
            }
        });
        assert_eq!(*order.lock().unwrap(), vec![0, 2]);
        // Removing callbacks that already ran finds nothing.
        assert!(!task.remove_done_callback(a));
        assert!(!task.remove_done_callback(c));
    });
}

#[test]
fn remove_done_callback_with_another_tasks_id_returns_false() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let one = rt.spawn(never());
        let two = rt.spawn(never());
        let id = one.add_done_callback(|_| {});
        assert!(!two.remove_done_callback(id));
        assert!(one.remove_done_callback(id));
    });
}

#[test]
fn removing_every_callback_runs_none() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let task = rt.spawn(async {});
        let ids: Vec<_> = (0..5)
            .map(|_| {
                let ran = ran.clone();
                task.add_done_callback(move |_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // The task may already be done: a removal then may or may not find
        // the callback (already handed to the runtime). What is removed must
        // never run.
        let removed = ids.iter().filter(|id| task.remove_done_callback(**id)).count();
        rt.block_on(task).unwrap();
        rt.block_on(async {
            for _ in 0..10 {
                corio::yield_now().await;
            }
        });
        wait_until(|| ran.load(Ordering::SeqCst) == 5 - removed);
    });
}

#[test]
fn the_callback_gets_a_done_task_ref_of_its_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel();
        let task = rt.spawn(async { 1 });
        let id = task.id();
        task.add_done_callback(move |r| tx.send((r.id(), r.done(), r.cancelled(), r.panicked(), r.name())).unwrap());
        let (seen_id, done, cancelled, panicked, name) = rx.recv_timeout(LIMIT).unwrap();
        assert_eq!(seen_id, id);
        assert!(done);
        assert!(!cancelled);
        assert!(!panicked);
        assert_eq!(name, format!("Task-{id}"));
        assert_eq!(rt.block_on(task).unwrap(), 1);
    });
}

#[test]
fn the_callback_of_a_panicked_task_sees_panicked() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel();
        let task = rt.spawn(async { panic!("cb panic") });
        task.add_done_callback(move |r| tx.send((r.done(), r.panicked())).unwrap());
        assert_eq!(rx.recv_timeout(LIMIT).unwrap(), (true, true));
        assert!(rt.block_on(task).unwrap_err().is_panic());
    });
}

#[test]
fn a_panicking_callback_does_not_stop_the_next_one() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let order = log();
        let task = rt.spawn(async {});
        task.add_done_callback(|_| panic!("callback panic"));
        task.add_done_callback(pusher(&order, 1));
        wait_until(|| len(&order) == 1);
        // The worker survived too.
        assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
    });
}

#[test]
fn done_callbacks_of_suspended_tasks_cancelled_at_shutdown_run() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        let (polled_tx, polled_rx) = mpsc::channel();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let polled_tx = polled_tx.clone();
            let task = rt.spawn(async move {
                polled_tx.send(()).unwrap();
                never().await;
            });
            let ran = ran.clone();
            task.add_done_callback(move |_| {
                ran.fetch_add(1, Ordering::SeqCst);
            });
            tasks.push(task);
        }
        for _ in 0..50 {
            polled_rx.recv_timeout(LIMIT).unwrap();
        }
        drop(rt);
        wait_until(|| ran.load(Ordering::SeqCst) == 50);
    });
}

#[test]
fn done_callbacks_of_tasks_cancelled_at_shutdown_run() {
    with_timeout(LIMIT, || {
        for _ in 0..10 {
            let rt = runtime(2);
            let ran = Arc::new(AtomicUsize::new(0));
            const TASKS: usize = 200;
            let polls = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..TASKS {
                // Busy tasks: always queued on some worker when shutdown
                // begins.
                let polls = polls.clone();
                let task = rt.spawn(async move {
                    loop {
                        polls.fetch_add(1, Ordering::SeqCst);
                        corio::yield_now().await;
                    }
                });
                let ran = ran.clone();
                task.add_done_callback(move |_| {
                    ran.fetch_add(1, Ordering::SeqCst);
                });
                tasks.push(task);
            }
            // Every task has been picked up by a worker by now.
            wait_until(|| polls.load(Ordering::SeqCst) >= 3 * TASKS);
            drop(rt);
            assert!(tasks.iter().all(|t| t.cancelled()));
            // With the loop closing, callbacks run on a helper thread: they
            // arrive shortly after the drop, all of them, exactly once.
            wait_until(|| ran.load(Ordering::SeqCst) >= TASKS);
            assert_eq!(ran.load(Ordering::SeqCst), TASKS);
        }
    });
}

#[test]
fn a_callback_added_after_the_runtime_is_gone_does_not_run_inside_add_done_callback() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let task = rt.spawn(async {});
        wait_until(|| task.done());
        drop(rt);
        let (tx, rx) = mpsc::channel();
        inside(|| task.add_done_callback(move |_| tx.send(is_inside()).unwrap()));
        // With no loop left it runs on a helper thread: still never inside
        // add_done_callback, and never lost.
        let was_inside = rx.recv_timeout(LIMIT).expect("the callback never ran");
        assert!(!was_inside, "the callback ran inside add_done_callback");
    });
}
