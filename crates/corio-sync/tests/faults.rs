#![cfg(not(corio_loom))]
//! Faults in user code run by the primitives: a panicking done callback loses none of the
//! others, and no user code (`T::clone`, an item's destructor) runs under an internal lock, so
//! user code that calls back into the primitive cannot deadlock.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use common::{block_on, poll_once};
use corio_sync::{CallbackScheduler, Promise, Queue};

/// Runs `f` on a thread; fails the test if it does not finish in 10 s (a deadlock).
fn within_time<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("{what}: deadlock (no return in 10 s)"))
}

fn counting_callbacks(p: &Promise<u32>, ran: &Arc<AtomicUsize>) {
    for i in 0..3 {
        let ran = ran.clone();
        p.add_done_callback(move |_| {
            ran.fetch_add(1, Ordering::SeqCst);
            assert_ne!(i, 1, "callback boom");
        });
    }
}

#[test]
fn promise_panicking_callback_loses_no_other_callback() {
    let p = Promise::new();
    let ran = Arc::new(AtomicUsize::new(0));
    counting_callbacks(&p, &ran);
    let set = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.set_result(1)));
    assert_eq!(set.ok(), Some(Ok(())), "set_result must not unwind from a callback's panic");
    assert_eq!(ran.load(Ordering::SeqCst), 3, "a panicking callback lost the others");
    // Added after completion: runs at once, and a panic stays contained too.
    let late = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.add_done_callback(|_| panic!("late boom"))));
    assert!(late.is_ok());
}

#[test]
fn promise_panicking_callback_on_a_scheduler_loses_no_other_callback() {
    type Job = Box<dyn FnOnce() + Send>;
    let jobs: Arc<Mutex<Vec<Job>>> = Arc::default();
    let sched: CallbackScheduler = {
        let jobs = jobs.clone();
        Arc::new(move |job| jobs.lock().unwrap().push(job))
    };
    let p = Promise::with_scheduler(sched);
    let ran = Arc::new(AtomicUsize::new(0));
    counting_callbacks(&p, &ran);
    p.set_result(1).unwrap();
    let jobs = std::mem::take(&mut *jobs.lock().unwrap());
    assert_eq!(jobs.len(), 1);
    for job in jobs {
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_ok());
    }
    assert_eq!(ran.load(Ordering::SeqCst), 3, "a panicking callback lost the others");
}

/// A value whose `clone` looks at the promise holding it.
#[derive(Debug)]
struct Reentrant;

static PROMISE: OnceLock<Promise<Reentrant>> = OnceLock::new();

impl Clone for Reentrant {
    fn clone(&self) -> Self {
        let p = PROMISE.get().expect("set");
        assert!(p.done());
        assert!(!p.cancelled());
        // Even reading the result again, from inside `clone`.
        let _ = format!("{p:?}");
        Reentrant
    }
}

#[test]
fn promise_clones_the_result_outside_its_lock() {
    within_time("Promise::result with a re-entrant clone", || {
        let p = PROMISE.get_or_init(Promise::new);
        p.set_result(Reentrant).unwrap();
        assert!(p.result().is_ok());
        let mut waiter = p.clone();
        assert!(block_on(&mut waiter).is_ok());
        // Many threads cloning at once (the clone is still serialized for a `T: !Sync`).
        let ts: Vec<_> = (0..4).map(|_| thread::spawn(|| PROMISE.get().unwrap().result().is_ok())).collect();
        assert!(ts.into_iter().all(|t| t.join().unwrap()));
    });
}

/// An item whose destructor looks at its queue.
struct Item;

static QUEUE: OnceLock<Queue<Item>> = OnceLock::new();
static ITEM_DROPS: AtomicUsize = AtomicUsize::new(0);

impl Drop for Item {
    fn drop(&mut self) {
        let q = QUEUE.get().expect("set");
        let _ = q.qsize();
        ITEM_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn queue_put_refused_after_shutdown_drops_its_item_outside_the_lock() {
    within_time("a put refused after shutdown", || {
        let q = QUEUE.get_or_init(|| Queue::new(1));
        // A put created before the shutdown, first polled after it.
        let mut put = q.put(Item);
        q.shutdown(false);
        assert!(matches!(poll_once(&mut put), std::task::Poll::Ready(Err(_))));
        drop(put);
        assert_eq!(ITEM_DROPS.load(Ordering::SeqCst), 1);
        // And put_nowait hands the item back (the caller drops it).
        assert!(q.put_nowait(Item).is_err());
    });
}

/// A foreign waker that panics when woken.
struct PanicWaker;

impl std::task::Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker boom");
    }
}

#[test]
fn panicking_waker_loses_no_other_wakeup() {
    let event = corio_sync::Event::new();
    let panicking = std::task::Waker::from(Arc::new(PanicWaker));
    let mut first = Box::pin(event.wait());
    assert!(first.as_mut().poll(&mut std::task::Context::from_waker(&panicking)).is_pending());
    let (waker, count) = common::counting_waker();
    let mut second = Box::pin(event.wait());
    assert!(second.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending());
    let set = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| event.set()));
    assert!(set.is_ok(), "a waker's panic unwound into Event::set");
    assert_eq!(count.count(), 1, "the waiter after the panicking one was never woken");
}

/// An item whose `Ord` panics once `PANIC_ORD` is set.
#[derive(Debug, PartialEq, Eq)]
struct TouchyOrd(u32);

thread_local! {
    /// Per thread, so tests running side by side do not trip each other's items.
    static PANIC_ORD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl PartialOrd for TouchyOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TouchyOrd {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        assert!(!PANIC_ORD.get(), "TouchyOrd::cmp panics on purpose");
        self.0.cmp(&other.0)
    }
}

/// Runs `f` with every `TouchyOrd` comparison panicking, catching what unwinds out of it.
fn while_ord_panics<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    PANIC_ORD.set(true);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    PANIC_ORD.set(false);
    r
}

/// Waiter-list rule 7: when a getter refills the queue from a blocked putter and the item's
/// `Ord` panics, the getter's caller sees that panic, the putter's next poll panics with a
/// message naming the cause (it does not hang), and the queue keeps serving everyone else.
#[test]
fn priority_queue_panicking_ord_while_serving_a_putter_poisons_only_that_put() {
    within_time("a panicking Ord while a putter is served", || {
        let q = corio_sync::PriorityQueue::new(2);
        q.put_nowait(TouchyOrd(1)).unwrap();
        q.put_nowait(TouchyOrd(2)).unwrap();
        let mut put = q.put(TouchyOrd(3));
        assert!(poll_once(&mut put).is_pending());
        let got = while_ord_panics(|| q.get_nowait());
        assert!(got.is_err(), "the refill's Ord panic reaches the getter");
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll_once(&mut put)));
        let msg = polled.expect_err("the poisoned put panics").downcast::<&str>().map(|s| s.to_string());
        assert!(msg.unwrap().contains("panicked while this queued request was being served"));
        drop(put);
        // The queue still works for others: a new put and gets go through.
        let mut left = Vec::new();
        while let Ok(item) = q.get_nowait() {
            left.push(item.0);
        }
        assert!(!left.is_empty());
        q.put_nowait(TouchyOrd(9)).unwrap();
        assert_eq!(q.get_nowait().unwrap(), TouchyOrd(9));
    });
}

/// The poisoned putter's waker runs after the queue's internal lock is released, so a waker
/// that re-enters the queue (here: reads its size) does not deadlock; before, rule 7 woke it
/// under the lock.
#[test]
fn priority_queue_poisoned_putter_is_woken_outside_the_lock() {
    struct ReEnter {
        q: Arc<corio_sync::PriorityQueue<TouchyOrd>>,
        seen: Mutex<Option<usize>>,
    }
    impl std::task::Wake for ReEnter {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            *self.seen.lock().unwrap() = Some(self.q.qsize());
        }
    }
    within_time("a poisoned putter's waker re-entering the queue", || {
        let q = Arc::new(corio_sync::PriorityQueue::new(2));
        q.put_nowait(TouchyOrd(1)).unwrap();
        q.put_nowait(TouchyOrd(2)).unwrap();
        let waker = Arc::new(ReEnter { q: q.clone(), seen: Mutex::new(None) });
        let mut put = q.put(TouchyOrd(3));
        let std_waker = std::task::Waker::from(waker.clone());
        let mut cx = std::task::Context::from_waker(&std_waker);
        assert!(std::pin::Pin::new(&mut put).poll(&mut cx).is_pending());
        let got = while_ord_panics(|| q.get_nowait());
        assert!(got.is_err(), "the refill's Ord panic reaches the getter");
        assert!(waker.seen.lock().unwrap().is_some(), "the poisoned putter was woken, after the unlock");
        drop(put);
    });
}

/// A waker whose `clone` panics.
fn panicking_clone_waker() -> std::task::Waker {
    use std::task::{RawWaker, RawWakerVTable};
    fn clone(_: *const ()) -> RawWaker {
        panic!("this waker's clone panics on purpose")
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: every vtable function ignores the data pointer.
    unsafe { std::task::Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// A queued waiter re-polled with a waker whose `clone` panics keeps its entry: dropping it
/// afterwards unlinks it, so the lock goes to the next waiter instead of to a lost entry.
#[test]
fn mutex_waiter_whose_waker_clone_panics_still_leaves_the_queue() {
    within_time("a waker clone panicking under the list", || {
        let m = corio_sync::Mutex::new(0u32);
        let guard = m.try_lock().unwrap();
        let mut first = m.lock();
        assert!(poll_once(&mut first).is_pending());
        let waker = panicking_clone_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| std::pin::Pin::new(&mut first).poll(&mut cx)));
        assert!(polled.is_err(), "the waker's clone panicked");
        drop(first);
        let mut second = m.lock();
        assert!(poll_once(&mut second).is_pending());
        drop(guard);
        assert!(poll_once(&mut second).is_ready(), "the lock reached the next waiter");
    });
}

/// `shutdown(true)` takes a priority queue's items out without comparing them, so an `Ord`
/// that would panic cannot leave waiters unreleased or `join` stuck.
#[test]
fn priority_queue_shutdown_immediate_runs_no_ord() {
    within_time("shutdown(true) with a panicking Ord", || {
        let q = corio_sync::PriorityQueue::new(2);
        q.put_nowait(TouchyOrd(1)).unwrap();
        q.put_nowait(TouchyOrd(2)).unwrap();
        let mut put = q.put(TouchyOrd(3));
        assert!(poll_once(&mut put).is_pending());
        while_ord_panics(|| q.shutdown(true)).expect("shutdown(true) compares no item");
        assert!(matches!(poll_once(&mut put), std::task::Poll::Ready(Err(_))));
        assert!(q.empty());
        // Both stored items were counted done: join returns.
        assert!(poll_once(&mut q.join()).is_ready());
    });
}

/// A priority item's `Ord` panicking inside a pop loses that item (std's heap has taken it
/// out): it is counted done, so `join` waits only for the items that can still be got.
#[test]
fn priority_queue_panicking_ord_in_a_pop_does_not_leave_join_waiting_for_the_lost_item() {
    within_time("a panicking Ord in a pop", || {
        let q = corio_sync::PriorityQueue::new(0);
        for i in 1..=3 {
            q.put_nowait(TouchyOrd(i)).unwrap();
        }
        let got = while_ord_panics(|| q.get_nowait());
        assert!(got.is_err(), "the pop's Ord panic reaches the caller");
        while q.get_nowait().is_ok() {
            q.task_done().unwrap();
        }
        assert!(poll_once(&mut q.join()).is_ready());
    });
}
