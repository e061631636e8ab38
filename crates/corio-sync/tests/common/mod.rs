//! Helpers shared by the integration tests: a tiny thread-parking `block_on`, a counting
//! waker and single polls. Everything bounds its time.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long any single blocking wait in a test may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(20);

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `f` to completion on this thread; panics after [`LIMIT`].
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        let now = Instant::now();
        assert!(now < deadline, "block_on: future did not finish in {LIMIT:?}");
        thread::park_timeout(deadline - now);
    }
}

/// A waker counting its wake-ups.
#[derive(Default)]
pub struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker and its counter.
pub fn counting_waker() -> (Waker, Arc<CountingWaker>) {
    let c = Arc::new(CountingWaker::default());
    (Waker::from(c.clone()), c)
}

impl CountingWaker {
    /// Wake-ups so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `f` once with `waker`.
pub fn poll_with<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    std::pin::Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Polls `f` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    poll_with(f, Waker::noop())
}

/// Joins a thread, failing the test if it takes longer than [`LIMIT`].
pub fn join<T>(h: thread::JoinHandle<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    while !h.is_finished() {
        assert!(Instant::now() < deadline, "thread did not finish in {LIMIT:?}");
        thread::sleep(Duration::from_millis(1));
    }
    h.join().expect("thread panicked")
}

/// Counts drops of the values it hands out.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

/// A value that bumps its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct Tracked(pub u32, Arc<AtomicUsize>);

impl DropCounter {
    /// A tracked value.
    pub fn make(&self, v: u32) -> Tracked {
        Tracked(v, self.0.clone())
    }
    /// Drops so far.
    pub fn drops(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}
