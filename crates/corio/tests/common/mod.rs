//! Helpers shared by corio's integration tests.
//!
//! Every test bounds its own time with [`with_timeout`]; nothing here makes a
//! timing *assertion*: limits are generous and only catch hangs.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// The default bound of a test body.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Runs `body` on its own thread and panics if it does not finish within
/// `limit`. A panic in `body` is resumed here with its original payload, so
/// `#[should_panic(expected = ...)]` sees the body's message.
#[track_caller]
pub fn with_timeout<R, F>(limit: Duration, body: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = tx.send(out);
        })
        .expect("cannot start the test body thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = runner.join();
            value
        }
        Ok(Err(payload)) => {
            let _ = runner.join();
            std::panic::resume_unwind(payload)
        }
        // The body thread is left behind: it is stuck, which is the failure.
        Err(_) => panic!("test body did not finish within {limit:?} (hang)"),
    }
}

/// A small multi-thread runtime (`workers` worker threads).
pub fn runtime(workers: usize) -> corio::Runtime {
    corio::Builder::new().worker_threads(workers).build().expect("cannot build a runtime")
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `f` on this thread with no corio runtime at all (to await a `Task`
/// from outside any runtime); panics after [`LIMIT`].
pub fn block_on_plain<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        let now = Instant::now();
        assert!(now < deadline, "block_on_plain: future did not finish in {LIMIT:?}");
        thread::park_timeout(deadline - now);
    }
}

/// Spins (sleeping 1 ms between looks) until `cond` holds; panics after
/// [`LIMIT`].
#[track_caller]
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "condition not reached within {LIMIT:?}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Waits (asynchronously, 1 ms at a time) until `cond` holds; panics after
/// [`LIMIT`]. A sleep, not a `yield_now` loop: a task that keeps yielding is
/// busy, so on a paused clock virtual time would never move for the task it
/// waits for (a woken `block_on` thread counts as busy).
pub async fn yield_until(mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "condition not reached within {LIMIT:?}");
        corio::sleep(Duration::from_millis(1)).await;
    }
}

/// Sets its flag when dropped.
#[derive(Debug)]
pub struct DropFlag(pub Arc<AtomicBool>);

impl DropFlag {
    pub fn new() -> (DropFlag, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (DropFlag(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Increments its counter when dropped.
#[derive(Debug)]
pub struct DropCounter(pub Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that is never ready (and never wakes anyone).
pub fn never() -> std::future::Pending<()> {
    std::future::pending()
}

/// Polls `f` once, returning its state (for futures that must be polled to
/// register something).
pub async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

/// A counter tasks can wait on: `bump` adds one and wakes the waiter,
/// `reach(n)` waits until the count is at least `n`. One waiter at a time.
#[derive(Debug, Default)]
pub struct Counter {
    count: AtomicUsize,
    waker: std::sync::Mutex<Option<Waker>>,
}

impl Counter {
    pub fn new() -> Arc<Counter> {
        Arc::new(Counter::default())
    }

    pub fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub fn bump(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// `true` once a waiter is registered (it is suspended or about to be).
    pub fn has_waiter(&self) -> bool {
        self.waker.lock().unwrap().is_some()
    }

    pub async fn reach(&self, n: usize) {
        std::future::poll_fn(|cx| {
            if self.get() >= n {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            // Checked again after publishing the waker: a bump in between
            // either sees the waker or is seen here.
            if self.get() >= n { Poll::Ready(()) } else { Poll::Pending }
        })
        .await
    }
}

/// Runs `f` inside `rt` (on this thread, as its main task) and returns what
/// it gives — for calls that need a runtime, like `corio::to_thread`, whose
/// `Task` the test then keeps outside.
pub fn in_runtime<T>(rt: &corio::Runtime, f: impl FnOnce() -> T) -> T {
    rt.block_on(async move { f() })
}
