//! Faults in user code never kill a worker, wedge the driver or lose other
//! tasks' work: panics in an output's `Drop`, a future's `Drop`, a foreign
//! waker, a done callback and inside the driver are caught and reported,
//! with 1 and with 2 workers. Also: a task woken into the LIFO slot of a
//! worker that then blocks is run by another worker.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use common::{LIMIT, runtime, with_timeout};

/// An output whose destructor panics.
struct Boom;

impl Drop for Boom {
    fn drop(&mut self) {
        panic!("boom");
    }
}

/// A waker that panics when woken.
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("foreign waker");
    }
}

fn panicking_waker() -> Waker {
    Waker::from(Arc::new(PanickingWaker))
}

/// After a fault, the runtime must still run tasks and fire timers.
async fn runtime_still_works() {
    let task = corio::create_task(async { 42 });
    let got = corio::wait_for(task, Duration::from_secs(10)).await;
    assert_eq!(got.expect("a task after the fault timed out").expect("the task failed"), 42);
    corio::sleep(Duration::from_millis(5)).await;
}

fn for_1_and_2_workers(body: fn(&corio::Runtime)) {
    for workers in [1, 2] {
        with_timeout(LIMIT, move || {
            let rt = runtime(workers);
            body(&rt);
        });
    }
}

#[test]
fn output_drop_panic_of_a_detached_task_keeps_the_worker() {
    // The reproduction: a finished task nobody awaits drops its
    // output on the worker; the panic used to kill it and hang the runtime.
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            corio::create_task(async { Boom }).detach();
            corio::sleep(Duration::from_millis(20)).await;
            runtime_still_works().await;
        });
    });
}

#[test]
fn output_drop_panic_after_the_handle_was_dropped_mid_poll() {
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            let started = Arc::new(AtomicBool::new(false));
            let flag = started.clone();
            let task = corio::create_task(async move {
                flag.store(true, Ordering::SeqCst);
                // Block inside the poll so the handle is dropped meanwhile.
                std::thread::sleep(Duration::from_millis(30));
                Boom
            });
            while !started.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            drop(task);
            corio::sleep(Duration::from_millis(50)).await;
            runtime_still_works().await;
        });
    });
}

#[test]
fn output_dropped_after_a_panicking_future_destructor() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("future destructor");
        }
    }
    struct ReadyBoom(#[allow(dead_code)] PanicOnDrop);
    impl Future for ReadyBoom {
        type Output = Boom;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Boom> {
            Poll::Ready(Boom)
        }
    }
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            let err = corio::create_task(ReadyBoom(PanicOnDrop)).await.err().expect("the task must fail");
            assert!(err.is_panic(), "a panicking destructor is the task's result: {err:?}");
            runtime_still_works().await;
        });
    });
}

#[test]
fn panicking_foreign_join_waker_is_caught() {
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            let (tx, rx) = corio::sync::oneshot::channel::<()>();
            let mut task = corio::create_task(async move {
                let _ = rx.await;
                7
            });
            // Register a foreign waker that panics as the join waker.
            let waker = panicking_waker();
            assert!(Pin::new(&mut task).poll(&mut Context::from_waker(&waker)).is_pending());
            tx.send(()).unwrap();
            let deadline = Instant::now() + LIMIT;
            while !task.done() {
                assert!(Instant::now() < deadline, "the task never completed");
                corio::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(task.result().unwrap(), 7);
            runtime_still_works().await;
        });
    });
}

#[test]
fn panicking_done_callback_does_not_lose_the_next_one() {
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            let ran = Arc::new(AtomicUsize::new(0));
            let task = corio::create_task(async { 1 });
            task.add_done_callback(|_| panic!("callback"));
            let r = ran.clone();
            task.add_done_callback(move |_| {
                r.fetch_add(1, Ordering::SeqCst);
            });
            task.await.unwrap();
            let deadline = Instant::now() + LIMIT;
            while ran.load(Ordering::SeqCst) == 0 {
                assert!(Instant::now() < deadline, "the second callback never ran");
                corio::sleep(Duration::from_millis(1)).await;
            }
            runtime_still_works().await;
        });
    });
}

#[test]
fn panicking_waker_woken_by_the_driver_does_not_wedge_it() {
    // The timer wheel wakes this waker from inside the driver's park.
    for_1_and_2_workers(|rt| {
        rt.block_on(async {
            let mut sleep = Box::pin(corio::sleep(Duration::from_millis(5)));
            let waker = panicking_waker();
            assert!(sleep.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
            // Let the timer fire (and the waker panic) several times over.
            for _ in 0..5 {
                corio::sleep(Duration::from_millis(10)).await;
            }
            runtime_still_works().await;
            drop(sleep);
        });
    });
}

#[test]
fn callbacks_of_a_drainer_queued_at_shutdown_still_run() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let ran = Arc::new(AtomicBool::new(false));
        let blocker_started = Arc::new(AtomicBool::new(false));
        let started = blocker_started.clone();
        // Keep the only worker busy, so the drainer task stays queued.
        rt.spawn(async move {
            started.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(200));
        })
        .detach();
        common::wait_until(|| blocker_started.load(Ordering::SeqCst));
        let (tx, rx) = corio::sync::oneshot::channel::<()>();
        let task = rt.spawn(async move {
            let _ = rx.await;
        });
        let r = ran.clone();
        task.add_done_callback(move |_| r.store(true, Ordering::SeqCst));
        // Cancelled here, off the runtime: the drainer goes to the injector,
        // behind the blocked worker, where shutdown finds it.
        task.cancel();
        drop(task);
        drop(tx);
        rt.shutdown_timeout(Duration::from_millis(10));
        common::wait_until(|| ran.load(Ordering::SeqCst));
    });
}

/// Task B parks on a oneshot; task A sends on it (waking B into A's
/// worker's LIFO slot), then blocks its thread until B has run or `cap`
/// passed. `true` if B ran while A still blocked: the other worker stole it
/// (tokio 1.x strands it: #4941).
async fn woken_task_runs_while_its_waker_blocks(park_for: Duration, cap: Duration) -> bool {
    let b_ran = Arc::new(AtomicBool::new(false));
    let (tx, rx) = corio::sync::oneshot::channel::<()>();
    let flag = b_ran.clone();
    let b = corio::create_task(async move {
        let _ = rx.await;
        flag.store(true, Ordering::SeqCst);
    });
    // Let B park on its receiver.
    corio::sleep(park_for).await;
    let a = corio::create_task(async move {
        tx.send(()).unwrap();
        let deadline = Instant::now() + cap;
        while !b_ran.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        b_ran.load(Ordering::SeqCst)
    });
    let stolen = a.await.unwrap();
    b.await.unwrap();
    stolen
}

#[test]
fn task_woken_into_a_blocked_workers_lifo_slot_is_stolen() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let stolen =
                woken_task_runs_while_its_waker_blocks(Duration::from_millis(20), Duration::from_secs(5)).await;
            assert!(stolen, "B stayed stranded in the LIFO slot of the blocked worker");
        });
    });
}

#[test]
fn lifo_watcher_keeps_watching_after_io_wakes() {
    // A parked watcher that the driver hands a task (a timer here) leaves
    // `park` through its "local work" exit; the watcher role must go with
    // it, or no worker ever watches again and a later stuck slot strands
    // its task.
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            for round in 0..20 {
                // Timer wakes, dispatched by whichever worker is parked in
                // the driver (often the watcher).
                let sleepers: Vec<_> =
                    (0..4).map(|_| corio::create_task(corio::sleep(Duration::from_millis(2)))).collect();
                for s in sleepers {
                    s.await.unwrap();
                }
                let stolen =
                    woken_task_runs_while_its_waker_blocks(Duration::from_millis(5), Duration::from_secs(2)).await;
                assert!(stolen, "round {round}: B stranded in a blocked worker's LIFO slot");
            }
        });
    });
}
