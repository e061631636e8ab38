//! Models of the scheduler's own hand-offs: the stealable LIFO slot, the
//! parker's driver path and the driver lock, and the `block_on` thread's
//! waker and busy count.

use std::sync::Arc as StdArc;
use std::task::Wake;
use std::time::Duration;

use super::Mock;
use crate::Builder;
use crate::block_on::{RootBusy, ThreadWaker};
use crate::loom::{Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering, thread};
use crate::sched::lifo::LifoSlot;
use crate::sched::park::{Driver, Parker, SharedDriver};

/// A future that counts its one poll.
async fn count(runs: Arc<AtomicUsize>) {
    runs.fetch_add(1, Ordering::SeqCst);
}

/// `lifo.rs` rules 1–3: the owner puts two tasks (the second displaces the
/// first) and takes, while a stealer steals: every task runs exactly once,
/// none is lost or run twice, and every cell is freed.
#[test]
fn loom_lifo_slot_put_take_vs_steal_runs_each_task_once() {
    loom::model(|| {
        let mock = Mock::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let t1 = mock.spawn(count(runs.clone()));
        let t2 = mock.spawn(count(runs.clone()));
        let (n1, n2) = (mock.pop().unwrap(), mock.pop().unwrap());
        let slot = Arc::new(LifoSlot::new());
        let stealer = {
            let slot = slot.clone();
            thread::spawn(move || {
                if let Some(task) = slot.take() {
                    task.run();
                }
            })
        };
        assert!(slot.put(n1).is_none(), "the slot starts empty");
        if let Some(displaced) = slot.put(n2) {
            // The owner pushes a displaced entry to its deque; here it runs.
            displaced.run();
        }
        if let Some(task) = slot.take() {
            task.run();
        }
        stealer.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert!(t1.done() && t2.done());
    });
}

/// `lifo.rs` rule 2 with the real worker loop: a task spawns two children
/// (the second displaces the first from the LIFO slot into the deque, then
/// fence and `notify_parked`) while the other worker parks. Both children
/// run: the displaced one is never stranded. (Two workers and the whole
/// loop make a large state space: this model bounds preemptions at 1.)
#[test]
fn loom_displaced_lifo_task_is_run() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(1);
    model.check(|| {
        let rt = Builder::new().worker_threads(2).max_blocking_threads(1).build().unwrap();
        let runs = Arc::new(AtomicUsize::new(0));
        let done = Arc::new((Mutex::new(0usize), Condvar::new()));
        let child = |runs: Arc<AtomicUsize>, done: Arc<(Mutex<usize>, Condvar)>| async move {
            runs.fetch_add(1, Ordering::SeqCst);
            *done.0.lock() += 1;
            done.1.notify_one();
        };
        {
            let (runs, done) = (runs.clone(), done.clone());
            rt.spawn(async move {
                crate::create_task(child(runs.clone(), done.clone())).detach();
                crate::create_task(child(runs, done)).detach();
            })
            .detach();
        }
        let mut finished = done.0.lock();
        while *finished < 2 {
            finished = done.1.wait(finished);
        }
        drop(finished);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        drop(rt);
    });
}

/// A driver whose `park` blocks until `unpark`, and that checks that no two
/// threads are ever inside it at once (`park.rs` rule 4). It can be told to
/// panic on its first park.
struct MockDriver {
    inside: AtomicBool,
    woken: Mutex<bool>,
    condvar: Condvar,
    panic_first: AtomicBool,
    parks: AtomicUsize,
}

impl MockDriver {
    fn new(panic_first: bool) -> MockDriver {
        MockDriver {
            inside: AtomicBool::new(false),
            woken: Mutex::new(false),
            condvar: Condvar::new(),
            panic_first: AtomicBool::new(panic_first),
            parks: AtomicUsize::new(0),
        }
    }
}

impl Driver for StdArc<MockDriver> {
    fn park(&self, _timeout: Option<Duration>) {
        assert!(!self.inside.swap(true, Ordering::SeqCst), "two threads inside the driver");
        self.parks.fetch_add(1, Ordering::SeqCst);
        if self.panic_first.swap(false, Ordering::SeqCst) {
            self.inside.store(false, Ordering::SeqCst);
            panic!("driver fault (expected by the model)");
        }
        let mut woken = self.woken.lock();
        while !*woken {
            woken = self.condvar.wait(woken);
        }
        *woken = false;
        self.inside.store(false, Ordering::SeqCst);
    }

    fn unpark(&self) {
        *self.woken.lock() = true;
        self.condvar.notify_one();
    }
}

/// `park.rs` rules 1–4: two threads park (one gets the driver, the other the
/// condvar) while a third unparks both: both return, and never are two
/// threads inside the driver.
#[test]
fn loom_parker_driver_path_vs_unpark() {
    loom::model(|| {
        let mock = StdArc::new(MockDriver::new(false));
        let driver = Arc::new(SharedDriver::new(Box::new(mock.clone())));
        let parkers = Arc::new([Parker::new(), Parker::new()]);
        let sleepers: Vec<_> = (0..2)
            .map(|i| {
                let (driver, parkers) = (driver.clone(), parkers.clone());
                thread::spawn(move || parkers[i].park(Some(&driver), None))
            })
            .collect();
        for parker in parkers.iter() {
            parker.unpark(Some(&driver));
        }
        for sleeper in sleepers {
            sleeper.join().unwrap();
        }
    });
}

/// `park.rs` rule 4: a driver that panics is reported, and leaves neither
/// the driver locked nor the parker in `PARKED_DRIVER`: the next park enters
/// the driver again and an unpark racing with it still wakes it.
#[test]
fn loom_driver_panic_releases_the_driver() {
    loom::model(|| {
        let mock = StdArc::new(MockDriver::new(true));
        let driver = Arc::new(SharedDriver::new(Box::new(mock.clone())));
        let parker = Arc::new(Parker::new());
        // First park: the driver panics; the fault boundary catches it.
        parker.park(Some(&driver), None);
        let unparker = {
            let (driver, parker) = (driver.clone(), parker.clone());
            thread::spawn(move || parker.unpark(Some(&driver)))
        };
        parker.park(Some(&driver), None);
        unparker.join().unwrap();
        // The second park either consumed the notification up front or was
        // inside the driver: the driver was usable again either way.
        assert!(mock.parks.load(Ordering::SeqCst) >= 1);
        assert!(!mock.inside.load(Ordering::SeqCst));
    });
}

/// `block_on.rs`: a `block_on` thread parks while another thread wakes it.
/// From the wake on, the thread counts as busy (so a paused clock never
/// jumps past work the woken thread is about to do), and the count ends
/// exact.
#[test]
fn loom_block_on_waker_vs_busy_roots() {
    loom::model(|| {
        let rt = Builder::new().worker_threads(1).max_blocking_threads(1).build().unwrap();
        let shared = rt.handle().shared;
        let busy = RootBusy::enter(&shared);
        let waker = StdArc::new(ThreadWaker::new(shared.clone()));
        let ready = Arc::new(AtomicBool::new(false));
        let other = {
            let (waker, ready, shared) = (waker.clone(), ready.clone(), shared.clone());
            thread::spawn(move || {
                ready.store(true, Ordering::SeqCst);
                waker.wake_by_ref();
                assert!(shared.busy_roots.load(Ordering::SeqCst) >= 1, "a woken root thread counted as idle");
            })
        };
        while !ready.load(Ordering::SeqCst) {
            waker.park();
        }
        other.join().unwrap();
        assert_eq!(shared.busy_roots.load(Ordering::SeqCst), 1);
        drop(busy);
        assert_eq!(shared.busy_roots.load(Ordering::SeqCst), 0);
        drop(waker);
        drop(rt);
    });
}

/// A driver with one event source: `park` blocks until the source fires or
/// `unpark` (or returns at once for a zero timeout), and dispatches a fired
/// event by waking the wakers registered for it — from inside the worker's
/// `park`, as the I/O driver does.
struct EventDriver {
    state: Mutex<EventState>,
    condvar: Condvar,
}

#[derive(Default)]
struct EventState {
    fired: bool,
    wakers: Vec<std::task::Waker>,
    unparked: bool,
}

impl EventDriver {
    fn new() -> StdArc<EventDriver> {
        StdArc::new(EventDriver { state: Mutex::new(EventState::default()), condvar: Condvar::new() })
    }
}

impl Driver for StdArc<EventDriver> {
    fn park(&self, timeout: Option<Duration>) {
        let mut state = self.state.lock();
        loop {
            if state.fired && !state.wakers.is_empty() {
                let wakers = std::mem::take(&mut state.wakers);
                drop(state);
                for waker in wakers {
                    waker.wake();
                }
                return;
            }
            // A zero timeout (a busy worker's look at the driver) never
            // blocks; any other stands for "until woken".
            if std::mem::take(&mut state.unparked) || timeout == Some(Duration::ZERO) {
                return;
            }
            state = self.condvar.wait(state);
        }
    }

    fn unpark(&self) {
        self.state.lock().unparked = true;
        self.condvar.notify_one();
    }
}

/// A task that waits for `mock`'s event, which the `n`-th task to wait
/// fires itself, so the wake comes from whichever worker parks in the driver
/// next.
fn wait_for_event(mock: StdArc<EventDriver>, n: usize) -> impl std::future::Future<Output = ()> {
    std::future::poll_fn(move |cx| {
        let mut state = mock.state.lock();
        let registered = state.wakers.iter().any(|w| w.will_wake(cx.waker()));
        if state.fired && !registered {
            return std::task::Poll::Ready(());
        }
        if !registered {
            state.wakers.push(cx.waker().clone());
        }
        if state.wakers.len() == n {
            state.fired = true;
            drop(state);
            mock.condvar.notify_one();
        }
        std::task::Poll::Pending
    })
}

/// `worker.rs` (`in_park`): a task woken by the driver's dispatch inside a
/// worker's `park` is queued there without a wake-up. Two workers; the task
/// fires its own event source and waits for it. The task always runs again
/// (a lost wake-up is a loom deadlock). Two workers and a driver make this
/// the suite's largest state space: one preemption bounds it to seconds,
/// where two take minutes.
#[test]
fn loom_task_woken_inside_park_runs() {
    check_two_workers_with_event_driver(|rt, mock| {
        let task = rt.spawn(wait_for_event(mock, 1));
        loom::future::block_on(task).unwrap();
    });
}

/// Explores `f` on a runtime of two workers whose driver is an
/// [`EventDriver`], at one preemption: two workers and a driver are the
/// suite's largest state space (two preemptions take minutes).
fn check_two_workers_with_event_driver(f: impl Fn(&crate::Runtime, StdArc<EventDriver>) + Sync + Send + 'static) {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(1);
    model.check(move || {
        let mock = EventDriver::new();
        let rt =
            Builder::new().worker_threads(2).max_blocking_threads(1).driver(Box::new(mock.clone())).build().unwrap();
        f(&rt, mock);
        drop(rt);
    });
}

/// A one-shot flag a task can block its worker on (a loom condvar, so a
/// flag never set is a loom deadlock, not a spin).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    condvar: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock() = true;
        self.condvar.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock();
        while !*open {
            open = self.condvar.wait(open);
        }
    }
}

/// `idle.rs` rule 5: every parking worker re-checks the queues, so a task
/// left in the deque of a worker that then blocks inside a poll is stolen.
/// Two tasks wait for one event; the dispatch queues both on the worker in
/// the driver (one in its LIFO slot, one in its deque). Whichever runs first
/// blocks its worker until the other has run, so the other worker must
/// steal it. With only the last searcher re-checking (tokio's rule) loom
/// finds the deadlock: the other worker, refused a search while the first
/// searched, counted as awake when the dispatch's tasks were published, so
/// nobody was woken, and it parked without looking.
#[test]
fn loom_blocked_worker_deque_is_stolen() {
    check_two_workers_with_event_driver(|rt, mock| {
        let first = Arc::new(AtomicBool::new(true));
        let gate = Arc::new(Gate::default());
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (mock, first, gate) = (mock.clone(), first.clone(), gate.clone());
                rt.spawn(async move {
                    wait_for_event(mock, 2).await;
                    if first.swap(false, Ordering::SeqCst) {
                        gate.wait();
                    } else {
                        gate.open();
                    }
                })
            })
            .collect();
        for task in tasks {
            loom::future::block_on(task).unwrap();
        }
    });
}
