//! Models of the scheduler: the idle protocol and shutdown, on the real
//! worker loop with two workers.

use std::future::poll_fn;
use std::task::{Poll, Waker};

use super::DropCounter;
use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering, thread};
use crate::{Builder, Runtime};

fn runtime(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).max_blocking_threads(1).build().unwrap()
}

/// `idle.rs` rules 3–5: a task pushed to the injector from outside while
/// both workers go to park is always run — no lost wake-up.
#[test]
fn loom_injector_push_vs_worker_park() {
    loom::model(|| {
        let rt = runtime(2);
        let ran = Arc::new(AtomicBool::new(false));
        let task = {
            let ran = ran.clone();
            rt.spawn(async move { ran.store(true, Ordering::SeqCst) })
        };
        // Waiting on the handle parks this thread until a worker ran the
        // task; a lost wake-up shows up as a loom deadlock.
        loom::future::block_on(task).unwrap();
        assert!(ran.load(Ordering::SeqCst));
        drop(rt);
    });
}

/// Shutdown racing with a wake from another thread: the task's future is
/// dropped exactly once and the cell is freed, whatever the order.
#[test]
fn loom_shutdown_while_tasks_wake() {
    loom::model(|| {
        // One worker: the race is between shutdown and the foreign wake.
        let rt = runtime(1);
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicBool::new(false));
        {
            let slot = slot.clone();
            let guard = DropCounter(drops.clone());
            let polled = polled.clone();
            rt.spawn(poll_fn(move |cx| {
                let _keep = &guard;
                *slot.lock() = Some(cx.waker().clone());
                polled.store(true, Ordering::SeqCst);
                Poll::<()>::Pending
            }))
            .detach();
        }
        let waker_thread = {
            let slot = slot.clone();
            thread::spawn(move || {
                let waker = slot.lock().take();
                if let Some(w) = waker {
                    w.wake();
                }
            })
        };
        drop(rt);
        waker_thread.join().unwrap();
        drop(slot.lock().take());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}
