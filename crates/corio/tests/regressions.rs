//! Regression tests from the review of corio-io and the combinators: each
//! one failed before its fix (the comment above it says what went wrong).
//! Every test is bounded in time.
#![cfg(not(corio_loom))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{DropFlag, LIMIT, runtime, with_timeout};

// ---------------------------------------------------------------------------
// time/call_soon.rs: a call_soon callback that reschedules itself is run by the same
// drain job, in the same poll, forever: the job never yields, so with one
// worker no other task ever runs (asyncio runs callbacks added during an
// iteration in the *next* iteration, interleaved with tasks).
// ---------------------------------------------------------------------------

fn reschedule(flag: Arc<AtomicBool>, valve: Arc<AtomicBool>, started: Instant) {
    if flag.load(Ordering::SeqCst) {
        return;
    }
    if started.elapsed() > Duration::from_secs(3) {
        // Safety valve so the test ends: the chain gives up after 3 s.
        valve.store(true, Ordering::SeqCst);
        return;
    }
    corio::call_soon(move || reschedule(flag, valve, started));
}

#[test]
fn a_self_rescheduling_call_soon_chain_does_not_starve_other_tasks() {
    with_timeout(LIMIT, || {
        runtime(1).block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let valve = Arc::new(AtomicBool::new(false));
            let (f, v) = (flag.clone(), valve.clone());
            corio::call_soon(move || reschedule(f, v, Instant::now()));
            let f = flag.clone();
            let setter = corio::create_task(async move { f.store(true, Ordering::SeqCst) });
            setter.await.unwrap();
            assert!(
                !valve.load(Ordering::SeqCst),
                "the task that ends the call_soon chain could not run for 3 s: the drain job never yields"
            );
        })
    });
}

// ---------------------------------------------------------------------------
// driver/io_driver.rs / IoDriver::drop: pending call_later closures live in
// the wheel, inside the driver's `DriverShared`, which the corio-sched
// `Scheduler` owns. A closure that captures anything pointing back at the
// runtime (a Handle, a TaskRef, a socket, ...) forms a cycle, so dropping the runtime leaks the whole
// driver (poller fd included) and never runs the closure's destructors.
// ---------------------------------------------------------------------------

#[test]
fn a_pending_call_later_holding_a_handle_does_not_leak_the_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let flag = rt.block_on(async {
            let (guard, flag) = DropFlag::new();
            let h = corio::Handle::current();
            let _cb = corio::call_later(Duration::from_secs(3600), move || {
                let _keep = (&h, &guard);
            });
            flag
        });
        drop(rt);
        assert!(flag.load(Ordering::SeqCst), "the pending callback (and the runtime it points to) was leaked");
    });
}

#[test]
fn a_pending_call_later_holding_a_task_ref_does_not_leak_the_runtime() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let flag = rt.block_on(async {
            let (guard, flag) = DropFlag::new();
            let task = corio::create_task(std::future::pending::<()>());
            let r = task.task_ref();
            task.detach();
            // asyncio's `loop.call_later(60, task.cancel)`.
            let _cb = corio::call_later(Duration::from_secs(60), move || {
                let _keep = &guard;
                r.cancel();
            });
            flag
        });
        drop(rt);
        assert!(flag.load(Ordering::SeqCst), "the pending callback (and the runtime it points to) was leaked");
    });
}

// ---------------------------------------------------------------------------
// time/timeout.rs: the deadline is rounded *up* to the next 1 ms tick and
// filed, so with `Duration::ZERO` (or a deadline already past within the
// current tick) a future that is not ready at the first poll still gets up
// to 1 ms to finish and its value is returned. API.md §3: "Duration::ZERO:
// an already-ready future still returns its value; otherwise TimeoutError."
// ---------------------------------------------------------------------------

#[test]
fn wait_for_zero_times_out_a_not_ready_future_real_clock() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut oks = 0;
            for _ in 0..20 {
                let r = corio::wait_for(
                    async {
                        corio::yield_now().await;
                        7
                    },
                    Duration::ZERO,
                )
                .await;
                if r.is_ok() {
                    oks += 1;
                }
            }
            assert_eq!(oks, 0, "wait_for(.., ZERO) returned the value of a future that was not ready at once");
        })
    });
}

#[test]
fn wait_for_zero_times_out_a_not_ready_future_paused_clock() {
    with_timeout(LIMIT, || {
        corio::Builder::new().worker_threads(2).start_paused(true).build().unwrap().block_on(async {
            // Put the virtual clock mid-tick.
            corio::time::advance(Duration::from_micros(500)).await;
            let r = corio::wait_for(
                async {
                    corio::yield_now().await;
                    7
                },
                Duration::ZERO,
            )
            .await;
            assert!(r.is_err(), "wait_for(.., ZERO) gave {r:?} for a future that was not ready at its first poll");
        })
    });
}

/// Control for the two leak tests above (PASSES): without a captured
/// reference back to the runtime the pending closure is dropped, so the
/// leak is the reference cycle.
#[test]
fn pending_call_later_closures_are_dropped_at_runtime_drop() {
    with_timeout(LIMIT, || {
        let rt = runtime(2);
        let flag = rt.block_on(async {
            let (guard, flag) = DropFlag::new();
            let _cb = corio::call_later(Duration::from_secs(3600), move || {
                let _keep = &guard;
            });
            flag
        });
        drop(rt);
        assert!(flag.load(Ordering::SeqCst));
    });
}

// ---------------------------------------------------------------------------
// time/sleep.rs `Sleep::reset`: `keep` is decided by a lock-free
// `is_fired()` check, then `e.reset(..)` is called and its `false`
// ("had fired meanwhile") is ignored. If the timer fires between the two,
// the sleep stays fired and completes at once, ignoring the new deadline:
// a sleep that ends (up to an hour) early. Made deterministic here by
// making the driver hold the wheel lock while it fires 20,000 timers that
// share the deadline and were filed before ours.
// ---------------------------------------------------------------------------

#[test]
fn sleep_reset_racing_its_fire_never_ends_early() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let mut hits = 0;
            for _round in 0..5 {
                let d = corio::time::now() + Duration::from_millis(30);
                let others: Vec<_> = (0..20_000).map(|_| corio::time::sleep_until(d)).collect();
                let mut mine = Box::pin(corio::time::sleep_until(d));
                // Wait (spinning, off the driver's thread) until the driver
                // has started firing the batch.
                let limit = Instant::now() + Duration::from_secs(5);
                while !others[0].is_elapsed() {
                    assert!(Instant::now() < limit);
                    std::hint::spin_loop();
                }
                let later = corio::time::now() + Duration::from_secs(3600);
                mine.as_mut().reset(later);
                if mine.is_elapsed() {
                    hits += 1;
                }
            }
            assert_eq!(hits, 0, "Sleep::reset(now + 1h) left the sleep elapsed in {hits}/5 rounds");
        })
    });
}

// ---------------------------------------------------------------------------
// reactor/scheduled_io.rs: a waiter's waker stays in the direction's slot
// (first + overflow list) after its future is dropped; the list is only
// emptied by a readiness event. Many tasks that give up waiting on one idle
// shared socket (timeouts, cancellation) pile up there without bound, each
// keeping its task cell alive.
// ---------------------------------------------------------------------------

struct CountedWaker(Arc<AtomicUsize>);

impl std::task::Wake for CountedWaker {
    fn wake(self: Arc<Self>) {}
}

impl Drop for CountedWaker {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn socket_waiters_that_give_up_leave_no_waker_behind() {
    use std::future::Future;
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (a, _b) = corio::net::UnixDatagram::pair().unwrap();
            let live = Arc::new(AtomicUsize::new(0));
            for i in 0..1_000 {
                live.fetch_add(1, Ordering::SeqCst);
                let waker = std::task::Waker::from(Arc::new(CountedWaker(live.clone())));
                let mut cx = std::task::Context::from_waker(&waker);
                let mut buf = [0u8; 16];
                let mut fut = std::pin::pin!(a.recv(&mut buf));
                assert!(fut.as_mut().poll(&mut cx).is_pending());
                // The waiter gives up (timeout / cancellation): its future
                // and its own waker handle are dropped.
                drop(waker);
                if i % 50 == 0 {
                    corio::yield_now().await; // refill the coop budget
                }
            }
            let left = live.load(Ordering::SeqCst);
            assert!(left <= 2, "{left} wakers of dropped waiters are still held by the socket");
        })
    });
}

// ---------------------------------------------------------------------------
// streams/server.rs `accept_loop`: the handler *call* `handler(reader,
// writer)` runs on the accept task's stack, outside `CatchUnwind`. A handler
// that panics before returning its future (any non-`async fn` handler that
// validates or sets up synchronously) kills the accept task: the server
// still says `is_serving()` but never accepts again. API.md §7: "a handler
// that panics is logged and the server keeps serving".
// ---------------------------------------------------------------------------

#[test]
fn a_handler_panicking_before_returning_its_future_does_not_stop_the_server() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let calls = Arc::new(AtomicUsize::new(0));
            let c = calls.clone();
            let server = corio::start_server(
                move |_r, w| {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    if n == 0 {
                        panic!("handler set-up failed");
                    }
                    async move {
                        w.write(b"hi\n");
                        let _ = w.drain().await;
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
            let port = server.local_addrs()[0].port();
            let (_r1, _w1) = corio::open_connection("127.0.0.1", port).await.unwrap();
            common::yield_until(|| calls.load(Ordering::SeqCst) >= 1).await;
            assert!(server.is_serving());
            // Today: the listener was dropped with the accept task, so this
            // connect is refused although the server says it is serving.
            let (mut r2, _w2) = corio::open_connection("127.0.0.1", port)
                .await
                .expect("second connect refused: the accept task died with the handler's panic");
            let line = corio::wait_for(r2.readline(), Duration::from_secs(2)).await;
            assert!(
                matches!(&line, Ok(Ok(l)) if l == b"hi\n"),
                "second connection not served after a handler panicked synchronously: {line:?}"
            );
        })
    });
}

// ---------------------------------------------------------------------------
// reactor/mod.rs: a source registered after the driver shut down was never
// told (no SHUTDOWN), so its operations would wait forever; registering now
// fails with an error that names the problem.
// ---------------------------------------------------------------------------

#[test]
fn registering_a_socket_after_the_runtime_shut_down_is_an_error() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (res_tx, res_rx) = std::sync::mpsc::channel();
        // A blocking closure outlives its runtime and still finds it current.
        let task = rt.spawn(async move {
            corio::to_thread(move || {
                go_rx.recv().unwrap();
                res_tx.send(corio::net::UnixStream::pair().map(drop)).unwrap();
            })
            .detach();
        });
        rt.block_on(task).unwrap();
        drop(rt);
        go_tx.send(()).unwrap();
        let err = res_rx.recv_timeout(LIMIT).expect("the blocking closure never finished").unwrap_err();
        assert!(err.to_string().contains("shut down"), "unexpected error: {err}");
    });
}
