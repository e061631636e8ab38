#![cfg(not(corio_loom))]
//! Wake-ups: no wake is lost between tasks, from foreign threads to parked
//! workers, or when a `Task` handle changes hands; stale wakes are harmless.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};

use common::{Counter, LIMIT, block_on_plain, runtime, wait_until, with_timeout};

/// Spins (yielding the thread) until `cond` holds; panics after [`LIMIT`].
fn spin_until(mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + LIMIT;
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "condition not reached");
        std::thread::yield_now();
    }
}

#[test]
fn ping_pong_between_two_tasks_never_loses_a_wake() {
    const ROUNDS: usize = 10_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let (ping, pong) = (Counter::new(), Counter::new());
        let (p1, q1) = (ping.clone(), pong.clone());
        let a = rt.spawn(async move {
            for i in 1..=ROUNDS {
                p1.bump();
                q1.reach(i).await;
            }
        });
        let (p2, q2) = (ping.clone(), pong.clone());
        let b = rt.spawn(async move {
            for i in 1..=ROUNDS {
                p2.reach(i).await;
                q2.bump();
            }
        });
        rt.block_on(async {
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!((ping.get(), pong.get()), (ROUNDS, ROUNDS));
    });
}

#[test]
fn wakes_from_a_foreign_thread_reach_parked_workers() {
    const ROUNDS: usize = 1_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let counter = Counter::new();
        let c = counter.clone();
        let task = rt.spawn(async move {
            for i in 1..=ROUNDS {
                c.reach(i).await;
            }
        });
        // Each round the task is suspended and the workers have nothing to
        // do (they park); the wake comes from this thread.
        for _ in 0..ROUNDS {
            spin_until(|| counter.has_waiter());
            counter.bump();
        }
        rt.block_on(task).unwrap();
    });
}

#[test]
fn wakes_from_a_foreign_thread_reach_block_on() {
    const ROUNDS: usize = 1_000;
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let counter = Counter::new();
        let c = counter.clone();
        let waker = std::thread::spawn(move || {
            for _ in 0..ROUNDS {
                spin_until(|| c.has_waiter());
                c.bump();
            }
        });
        rt.block_on(async {
            for i in 1..=ROUNDS {
                counter.reach(i).await;
            }
        });
        waker.join().unwrap();
    });
}

#[test]
fn a_chain_of_tasks_each_waking_the_next_completes() {
    const LEN: usize = 1_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let counters: Vec<_> = (0..=LEN).map(|_| Counter::new()).collect();
        let tasks: Vec<_> = (0..LEN)
            .map(|i| {
                let (mine, next) = (counters[i].clone(), counters[i + 1].clone());
                rt.spawn(async move {
                    mine.reach(1).await;
                    next.bump();
                })
            })
            .collect();
        counters[0].bump();
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(counters[LEN].get(), 1);
    });
}

#[test]
fn a_task_waking_itself_during_its_poll_is_polled_again() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let polls = rt
            .block_on(rt.spawn(async {
                let mut polls = 0;
                std::future::poll_fn(|cx| {
                    polls += 1;
                    if polls < 50 {
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await;
                polls
            }))
            .unwrap();
        assert_eq!(polls, 50);
    });
}

#[test]
fn a_waker_cloned_and_woken_many_times_polls_the_task_exactly_once_more() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let polls = Arc::new(AtomicUsize::new(0));
        let (s, p) = (slot.clone(), polls.clone());
        let task = rt.spawn(std::future::poll_fn(move |cx| {
            let n = p.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= 2 {
                return Poll::Ready(());
            }
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }));
        wait_until(|| slot.lock().unwrap().is_some());
        let waker = slot.lock().unwrap().take().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let w = waker.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        w.wake_by_ref();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        rt.block_on(task).unwrap();
        // Extra wakes of a finished task do nothing.
        waker.wake_by_ref();
        waker.wake();
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn waking_a_task_after_its_runtime_is_gone_does_nothing() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let s = slot.clone();
        let task = rt.spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        wait_until(|| slot.lock().unwrap().is_some());
        let waker = slot.lock().unwrap().take().unwrap();
        drop(rt);
        waker.wake_by_ref();
        waker.wake();
        assert!(block_on_plain(task).unwrap_err().is_cancelled());
    });
}

#[test]
fn the_join_waker_follows_the_task_handle_when_it_moves() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let release = Counter::new();
        let r = release.clone();
        let mut target = rt.spawn(async move {
            r.reach(1).await;
            "moved"
        });
        // First awaited (polled once) by one task...
        let first = rt.spawn(async move {
            assert!(common::poll_once(&mut target).await.is_pending());
            // Handed back (not awaited) for the second awaiter below.
            Some(target)
        });
        let mut target = rt.block_on(first).unwrap().unwrap();
        // ...then by another: completion must wake the second awaiter.
        let (tx, rx) = mpsc::channel();
        let second = rt.spawn(async move {
            tx.send(()).unwrap();
            (&mut target).await.unwrap()
        });
        rx.recv_timeout(LIMIT).unwrap();
        release.bump();
        assert_eq!(rt.block_on(second).unwrap(), "moved");
    });
}

#[test]
fn a_task_awaited_from_outside_any_runtime_wakes_that_thread() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let release = Counter::new();
        let r = release.clone();
        let task = rt.spawn(async move {
            r.reach(1).await;
            5
        });
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(5));
            release.bump();
        });
        assert_eq!(block_on_plain(task).unwrap(), 5);
        releaser.join().unwrap();
    });
}

type Trace = Arc<Mutex<Vec<&'static str>>>;

/// A task body that appends `who` to the trace.
fn rec(trace: &Trace, who: &'static str) -> impl std::future::Future<Output = ()> + use<> {
    let trace = trace.clone();
    async move { trace.lock().unwrap().push(who) }
}

/// Runs `body` as a task on a one-worker runtime (so the run order is the queue order) and
/// returns the trace, with a lookup of where a name is in it.
fn on_one_worker<F>(body: impl FnOnce(Trace) -> F) -> (Vec<&'static str>, impl Fn(&str) -> usize)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let rt = runtime(1);
    let trace = Trace::default();
    rt.block_on(rt.spawn(body(trace.clone()))).unwrap();
    let trace = trace.lock().unwrap().clone();
    let lookup = trace.clone();
    let at =
        move |who: &str| lookup.iter().position(|&w| w == who).unwrap_or_else(|| panic!("{who} never ran: {lookup:?}"));
    (trace, at)
}

/// A finished task's awaiter resumes behind the tasks already queued, as asyncio's awaiters
/// resume through `call_soon` (a message wake still runs next: the LIFO slot).
#[test]
fn an_awaiter_of_a_finished_task_runs_after_the_tasks_already_ready() {
    with_timeout(LIMIT, || {
        let (trace, at) = on_one_worker(|t| async move {
            let child = corio::create_task(rec(&t, "child"));
            let others: Vec<_> = ["x1", "x2", "x3"].into_iter().map(|x| corio::create_task(rec(&t, x))).collect();
            child.await.unwrap();
            t.lock().unwrap().push("awaiter");
            for o in others {
                o.await.unwrap();
            }
        });
        for x in ["child", "x1", "x2", "x3"] {
            assert!(at(x) < at("awaiter"), "the awaiter ran before {x}: {trace:?}");
        }
    });
}

/// Done callbacks queue behind the tasks already queued too (their drainer is spawned at the
/// back), as asyncio's `call_soon` runs them.
#[test]
fn a_done_callback_runs_after_the_tasks_already_queued() {
    with_timeout(LIMIT, || {
        let (trace, at) = on_one_worker(|t| async move {
            let child = corio::create_task(rec(&t, "child"));
            let t2 = t.clone();
            child.add_done_callback(move |_| t2.lock().unwrap().push("callback"));
            let others: Vec<_> = ["x1", "x2", "x3"].into_iter().map(|x| corio::create_task(rec(&t, x))).collect();
            for o in others {
                o.await.unwrap();
            }
            child.await.unwrap();
            common::yield_until(|| t.lock().unwrap().contains(&"callback")).await;
        });
        for x in ["x1", "x2"] {
            assert!(at(x) < at("callback"), "the callback ran before {x}: {trace:?}");
        }
    });
}

/// With two workers the awaiter queues at the back of a deque its sibling can steal from: a
/// collector of many tasks, each waking it in turn, still sees them all.
#[test]
fn awaiting_many_tasks_in_turn_on_two_workers_sees_them_all() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let sum = rt
            .block_on(rt.spawn(async {
                let tasks: Vec<_> = (0..20_000u64).map(|i| corio::create_task(async move { i })).collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            }))
            .unwrap();
        assert_eq!(sum, 20_000 * 19_999 / 2);
    });
}
