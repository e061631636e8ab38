#![cfg(not(corio_loom))]
//! `yield_now` and the cooperative budget: tasks take turns on a worker.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{LIMIT, runtime, with_timeout};

/// Longest run of equal consecutive entries.
fn longest_run(trace: &[char]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &c in trace {
        run = if Some(c) == prev { run + 1 } else { 1 };
        prev = Some(c);
        best = best.max(run);
    }
    best
}

/// Two tasks on one worker each record 100 turns, awaiting `yield_once()` after each, and must
/// take turns. Both are spawned from the worker itself, so neither can start before the other
/// exists.
fn two_tasks_take_turns<F>(yield_once: fn() -> F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let rt = runtime(1);
    let trace = Arc::new(Mutex::new(Vec::new()));
    let t = trace.clone();
    rt.block_on(rt.spawn(async move {
        let step = move |who: char, t: Arc<Mutex<Vec<char>>>| async move {
            for _ in 0..100 {
                t.lock().unwrap().push(who);
                yield_once().await;
            }
        };
        let a = corio::create_task(step('a', t.clone()));
        let b = corio::create_task(step('b', t.clone()));
        a.await.unwrap();
        b.await.unwrap();
    }))
    .unwrap();
    let trace = trace.lock().unwrap();
    assert_eq!(trace.len(), 200);
    assert_eq!(trace.iter().filter(|&&c| c == 'a').count(), 100);
    assert!(longest_run(&trace) <= 2, "the tasks did not take turns: {}", trace.iter().collect::<String>());
}

#[test]
fn two_yielding_tasks_on_one_worker_interleave() {
    with_timeout(LIMIT, || two_tasks_take_turns(corio::yield_now));
}

#[test]
fn yield_now_returns_and_the_task_goes_on() {
    with_timeout(LIMIT, || {
        let out = corio::run(async {
            let mut n = 0;
            for _ in 0..1_000 {
                corio::yield_now().await;
                n += 1;
            }
            n
        });
        assert_eq!(out, 1_000);
    });
}

#[test]
fn yield_now_in_the_main_future_lets_tasks_run() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        rt.block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            let task = corio::create_task(async move { f.store(true, Ordering::SeqCst) });
            common::yield_until(|| flag.load(Ordering::SeqCst)).await;
            task.await.unwrap();
        });
    });
}

#[test]
fn a_yield_loop_does_not_starve_another_task_on_one_worker() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let iterations = rt
            .block_on(rt.spawn(async {
                let other_ran = Arc::new(AtomicBool::new(false));
                let o = other_ran.clone();
                let started = Arc::new(AtomicBool::new(false));
                let s = started.clone();
                let busy = corio::create_task(async move {
                    s.store(true, Ordering::SeqCst);
                    let mut i = 0u32;
                    while !o.load(Ordering::SeqCst) {
                        assert!(i < 100, "the other task did not run within 100 yields");
                        corio::yield_now().await;
                        i += 1;
                    }
                    i
                });
                // Finishes only once the busy task is looping, so it can only
                // finish if that loop lets it. It yields rather than sleeps:
                // a timer would tie the test to how fast 100 yields are.
                let other = corio::create_task(async move {
                    while !started.load(Ordering::SeqCst) {
                        corio::yield_now().await;
                    }
                    other_ran.store(true, Ordering::SeqCst);
                });
                let i = busy.await.unwrap();
                other.await.unwrap();
                i
            }))
            .unwrap();
        assert!(iterations < 100);
    });
}

#[test]
fn a_loop_over_an_always_ready_task_yields_to_other_tasks() {
    // Awaiting a finished `Task` is always ready; the cooperative budget
    // must still send the looping task back to the scheduler now and then.
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let spins = rt
            .block_on(rt.spawn(async {
                let mut ready = corio::create_task(async {});
                (&mut ready).await.unwrap();
                let other_ran = Arc::new(AtomicBool::new(false));
                let o = other_ran.clone();
                let started = Arc::new(AtomicBool::new(false));
                let s = started.clone();
                let spinner = corio::create_task(async move {
                    s.store(true, Ordering::SeqCst);
                    let mut spins = 0u64;
                    while !o.load(Ordering::SeqCst) {
                        // Never Pending on its own: the task is done.
                        let _ = (&mut ready).await;
                        spins += 1;
                    }
                    spins
                });
                let other = corio::create_task(async move {
                    common::yield_until(|| started.load(Ordering::SeqCst)).await;
                    other_ran.store(true, Ordering::SeqCst);
                });
                let spins = spinner.await.unwrap();
                other.await.unwrap();
                spins
            }))
            .unwrap();
        // The spinner was looping before the other task could finish.
        assert!(spins > 0);
    });
}

#[test]
fn many_yielding_tasks_all_finish_on_two_workers() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        rt.block_on(async move {
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let d = d.clone();
                    corio::create_task(async move {
                        for _ in 0..100 {
                            corio::yield_now().await;
                        }
                        d.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(done.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn yield_now_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let f = corio::yield_now();
    assert_send(&f);
}

/// A waker that forwards to the task's own: `yield_now` cannot tell it is the task's, so it
/// wakes it, as under any combinator that wraps wakers.
struct Forward(std::task::Waker);

impl std::task::Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.0.wake_by_ref();
    }
}

/// `yield_now` polled with a waker that wraps the task's own.
async fn yield_under_a_wrapping_waker() {
    let mut y = std::pin::pin!(corio::yield_now());
    std::future::poll_fn(|cx| {
        let waker = std::task::Waker::from(Arc::new(Forward(cx.waker().clone())));
        y.as_mut().poll(&mut std::task::Context::from_waker(&waker))
    })
    .await;
}

#[test]
fn yield_now_under_a_wrapping_waker_still_gives_other_tasks_a_turn() {
    with_timeout(LIMIT, || two_tasks_take_turns(yield_under_a_wrapping_waker));
}

/// A yield whose task then finishes in the same poll (a `select`-style race it lost) leaves no
/// request behind: the next task to run on that worker is not queued again by it. This checks
/// the behaviour end to end; three things in `context.rs` each prevent the leak on their own
/// (the runner takes the request after every poll, `enter_task` clears it, the guard restores
/// the outer value), so it fails only if all three are lost.
#[test]
fn a_yield_in_a_poll_that_ends_ready_does_not_requeue_the_next_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let polls = rt
            .block_on(rt.spawn(async {
                let polls = Arc::new(AtomicUsize::new(0));
                let p = polls.clone();
                let quitter = corio::create_task(async {
                    let mut y = std::pin::pin!(corio::yield_now());
                    std::future::poll_fn(|cx| {
                        assert!(y.as_mut().poll(cx).is_pending());
                        std::task::Poll::Ready(())
                    })
                    .await;
                });
                let sleeper = corio::create_task(std::future::poll_fn(move |_| {
                    p.fetch_add(1, Ordering::SeqCst);
                    std::task::Poll::<()>::Pending
                }));
                quitter.await.unwrap();
                // Let the sleeper run and settle: a leftover request would poll it again.
                for _ in 0..10 {
                    corio::yield_now().await;
                }
                let n = polls.load(Ordering::SeqCst);
                sleeper.cancel();
                n
            }))
            .unwrap();
        assert_eq!(polls, 1, "a pending task with no wake was polled again");
    });
}

#[test]
fn a_task_cancelled_while_it_keeps_yielding_ends_cancelled() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let res = rt.block_on(async {
            let spins = Arc::new(AtomicUsize::new(0));
            let s = spins.clone();
            let spinner = corio::create_task(async move {
                loop {
                    s.fetch_add(1, Ordering::SeqCst);
                    corio::yield_now().await;
                }
            });
            common::yield_until(|| spins.load(Ordering::SeqCst) > 100).await;
            assert!(spinner.cancel());
            spinner.await
        });
        assert!(matches!(res, Err(corio::TaskError::Cancelled(_))), "{res:?}");
    });
}

/// A yield, then an in-place cancel of an idle task in the same poll (whose future is dropped on
/// this thread, as that task): the yield request survives the nested task and requeues the
/// yielding task. Lost, the task would never run again and the test would time out.
#[test]
fn a_yield_then_an_in_place_cancel_in_the_same_poll_still_requeues_the_task() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let cancelled = rt
            .block_on(rt.spawn(async {
                let idle = corio::create_task(std::future::pending::<()>());
                // `idle` runs once and parks: a cancel now completes it in place.
                corio::yield_now().await;
                let mut idle = Some(idle);
                let mut yielding = std::pin::pin!(corio::yield_now());
                let mut cancelled = false;
                std::future::poll_fn(|cx| {
                    let polled = yielding.as_mut().poll(cx);
                    if let Some(t) = idle.take() {
                        assert!(polled.is_pending());
                        cancelled = t.cancel() && t.cancelled();
                    }
                    polled
                })
                .await;
                cancelled
            }))
            .unwrap();
        assert!(cancelled, "the idle task was not cancelled in place");
    });
}
