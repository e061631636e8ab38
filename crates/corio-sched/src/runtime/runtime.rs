//! corio-sched's `Runtime`: driving, spawning on and shutting down a
//! scheduler-only runtime (it is made in `builder.rs`).

use super::handle::Handle;
use crate::block_on::{RootBusy, ThreadWaker};
use crate::context;
use crate::loom::{Arc, Condvar, Mutex};
use crate::sched::Scheduler;
use crate::task::Task;
use crate::task::root::Root;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// corio-sched's runtime: the multi-threaded scheduler alone — worker threads
/// that run tasks, and a blocking pool — with no I/O or timers unless a
/// driver was plugged in (the facade's `corio::Runtime` is this with corio's
/// I/O and time driver). `Send + Sync`.
///
/// Workers run spawned tasks whether or not anyone is inside
/// [`block_on`](Runtime::block_on). Dropping the runtime (or
/// [`shutdown_timeout`](Runtime::shutdown_timeout)) cancels every task still
/// alive and drops its future, so destructors run and nothing leaks.
pub struct Runtime {
    pub(super) shared: Arc<Scheduler>,
    pub(super) alive: Arc<(Mutex<usize>, Condvar)>,
    pub(super) shut_down: Mutex<bool>,
}

impl Runtime {
    /// Runs `future` to completion on this thread while the workers run
    /// tasks — asyncio's `loop.run_until_complete`. The future counts as a
    /// task: `current_task()` inside it gives its `TaskRef`.
    ///
    /// # Panics
    ///
    /// When called on a thread that already drives a corio runtime (inside a
    /// task, or inside another `block_on`): that would block a worker.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if crate::sched::thread::is_entered() {
            panic!(
                "corio: block_on/run called from inside a running corio runtime; \
                 a runtime cannot be driven from within one of its tasks (asyncio raises \
                 RuntimeError here too) — await the future instead"
            );
        }
        let _enter = crate::sched::thread::enter(self.shared.clone(), true, std::ptr::null());
        let root = Root::new(self.shared.clone(), |raw| self.shared.registry.insert(raw));
        let parker = StdArc::new(ThreadWaker::new(self.shared.clone()));
        let _busy = RootBusy::enter(&self.shared);
        let waker = Waker::from(parker.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            let polled = {
                let _task = context::enter_task(root.raw());
                future.as_mut().poll(&mut cx)
            };
            if let Poll::Ready(out) = polled {
                return out;
            }
            parker.park();
        }
    }

    /// Spawns a task on this runtime, from any thread.
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Scheduler::spawn(&self.shared, future, None)
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> Handle {
        Handle { shared: self.shared.clone() }
    }

    /// Shuts down like dropping the runtime does, but waits at most `limit`
    /// for workers stuck in a long poll; such a worker's task is cancelled
    /// right after that poll returns — asyncio's `loop.close`.
    pub fn shutdown_timeout(self, limit: Duration) {
        self.shutdown(Some(limit));
    }

    fn shutdown(&self, limit: Option<Duration>) {
        {
            let mut done = self.shut_down.lock();
            if *done {
                return;
            }
            *done = true;
        }
        self.shared.begin_shutdown();
        // A runtime dropped on one of its own workers cannot wait for itself.
        let own_worker = crate::sched::with_worker(|w| w.is_some_and(|w| Arc::ptr_eq(w.shared(), &self.shared)));
        let limit = if own_worker { Some(Duration::ZERO) } else { limit };
        let deadline = limit.map(|l| Instant::now() + l);
        let (count, cv) = &*self.alive;
        let mut alive = count.lock();
        while *alive > 0 {
            alive = match deadline {
                None => cv.wait(alive),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
                    cv.wait_timeout(alive, left).0
                }
            };
        }
        drop(alive);
        self.shared.finish_shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("workers", &self.shared.workers()).finish()
    }
}
