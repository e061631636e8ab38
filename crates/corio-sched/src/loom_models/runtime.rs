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

/// The registry closing (shutdown) racing a spawn from another thread: the
/// task is either refused (its future dropped unpolled) or registered and
/// then cancelled by shutdown. Its future is dropped exactly once and its
/// cell freed, whatever the order.
#[test]
fn loom_registry_close_vs_spawn() {
    loom::model(|| {
        let rt = runtime(1);
        let handle = rt.handle();
        let drops = Arc::new(AtomicUsize::new(0));
        let spawner = {
            let drops = drops.clone();
            thread::spawn(move || {
                let guard = DropCounter(drops);
                handle
                    .spawn(async move {
                        let _keep = guard;
                        std::future::pending::<()>().await;
                    })
                    .detach();
            })
        };
        drop(rt);
        spawner.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// A one-shot signal between model threads (a loom mutex and condvar).
#[derive(Clone)]
struct Gate(Arc<(Mutex<bool>, crate::loom::Condvar)>);

impl Gate {
    fn new() -> Gate {
        Gate(Arc::new((Mutex::new(false), crate::loom::Condvar::new())))
    }

    fn open(&self) {
        *self.0.0.lock() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let mut open = self.0.0.lock();
        while !*open {
            open = self.0.1.wait(open);
        }
    }
}

/// Opens its gate when dropped.
struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// `shutdown_timeout` that gives up on a worker still inside a poll: the
/// shutdown cancels the running task, the worker completes it as cancelled
/// when the poll returns, and the future is dropped exactly once.
#[test]
fn loom_shutdown_timeout_while_a_worker_runs() {
    loom::model(|| {
        let rt = runtime(1);
        let (started, release, dropped) = (Gate::new(), Gate::new(), Gate::new());
        let drops = Arc::new(AtomicUsize::new(0));
        {
            let guard = (DropCounter(drops.clone()), OpenOnDrop(dropped.clone()));
            let (started, release) = (started.clone(), release.clone());
            rt.spawn(poll_fn(move |_cx| {
                let _keep = &guard;
                started.open();
                // Stay inside the poll until the shutdown gave up on us.
                release.wait();
                Poll::<()>::Pending
            }))
            .detach();
        }
        started.wait();
        rt.shutdown_timeout(std::time::Duration::ZERO);
        release.open();
        dropped.wait();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// The idle check a paused clock consults before it jumps (`Scheduler::is_idle`:
/// every worker parked, no `block_on` thread busy, no visible task, no
/// blocking job) racing a spawn from outside: once a spawn has returned, the
/// runtime never reports idle until that task has run. So virtual time never
/// jumps over a task that is ready to run.
#[test]
fn loom_is_idle_never_reports_a_spawned_pending_task() {
    loom::model(|| {
        let rt = runtime(1);
        let handle = rt.handle();
        let spawned = Arc::new(AtomicBool::new(false));
        let ran = Arc::new(AtomicBool::new(false));
        let checker = {
            let (shared, spawned, ran) = (handle.shared.clone(), spawned.clone(), ran.clone());
            thread::spawn(move || {
                let was_spawned = spawned.load(Ordering::SeqCst);
                let idle = shared.is_idle();
                if was_spawned && idle {
                    assert!(ran.load(Ordering::SeqCst), "idle reported while a spawned task waits to run");
                }
            })
        };
        {
            let ran = ran.clone();
            handle.spawn(async move { ran.store(true, Ordering::SeqCst) }).detach();
        }
        spawned.store(true, Ordering::SeqCst);
        checker.join().unwrap();
        drop(rt);
    });
}
