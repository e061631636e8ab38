//! Faults in and around the I/O and time driver:
//! panicking foreign wakers in the reactor's dispatch and in timer firing,
//! panicking `call_soon` destructors, and the bound on waiters left behind
//! by the poll functions. Each test bounds its own time; loopback only.
#![cfg(not(corio_loom))]

mod common;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream};
use futures_io::AsyncRead;

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = corio::create_task(TcpStream::connect(addr));
    let (server, _) = listener.accept().await.unwrap();
    (connect.await.unwrap().unwrap(), server)
}

/// A foreign waker that panics when woken.
struct PanicWaker;

impl Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("waker boom");
    }
}

fn panic_waker() -> Waker {
    Waker::from(Arc::new(PanicWaker))
}

/// Polls `f` once with a waker that panics when woken (the waker stays
/// registered wherever `f` registered it).
fn poll_with_panicking_waker<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = panic_waker();
    Pin::new(f).poll(&mut Context::from_waker(&waker))
}

/// Item 5: tasks that read a shared idle stream through the poll function
/// (`AsyncRead` on `&TcpStream`, what hyper and TLS adapters use) and give
/// up on a timeout must not leave their wakers behind.
#[test]
fn poll_read_waiters_of_tasks_that_gave_up_stay_bounded() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (client, _server) = pair().await;
            let client = Arc::new(client);
            for _ in 0..20 {
                let tasks: Vec<_> = (0..50)
                    .map(|_| {
                        let client = client.clone();
                        corio::create_task(async move {
                            let mut buf = [0u8; 16];
                            let read = poll_fn(|cx| Pin::new(&mut &*client).poll_read(cx, &mut buf));
                            assert!(corio::wait_for(read, Duration::from_millis(2)).await.is_err());
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            }
            let (readers, writers) = client.waiter_counts();
            assert!(readers <= 8, "{readers} read waiters left behind by 1000 tasks that gave up");
            assert_eq!(writers, 0);
        })
    });
}

/// Item 5: a waiter pushed out of the bounded set is woken, so a task
/// still waiting is never lost (it polls again and re-registers).
#[test]
fn many_concurrent_poll_readers_of_one_stream_all_get_data() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (client, server) = pair().await;
            let client = Arc::new(client);
            let got = Arc::new(AtomicUsize::new(0));
            let readers: Vec<_> = (0..20)
                .map(|_| {
                    let (client, got) = (client.clone(), got.clone());
                    corio::create_task(async move {
                        let mut buf = [0u8; 1];
                        let n = poll_fn(|cx| Pin::new(&mut &*client).poll_read(cx, &mut buf)).await.unwrap();
                        got.fetch_add(n, Ordering::SeqCst);
                    })
                })
                .collect();
            // Let every reader register, then send one byte per reader.
            corio::sleep(Duration::from_millis(20)).await;
            server.write_all(&[7u8; 20]).await.unwrap();
            for r in readers {
                corio::wait_for(r, Duration::from_secs(10)).await.expect("a poll reader was never woken").unwrap();
            }
            assert_eq!(got.load(Ordering::SeqCst), 20);
        })
    });
}

/// Item 3: a foreign waker that panics in the reactor's dispatch must not
/// lose the wake-up of another waiter on the same socket.
#[test]
fn panicking_waker_in_io_dispatch_does_not_lose_the_other_waiters() {
    for workers in [1, 2] {
        with_timeout(LIMIT, move || {
            runtime(workers).block_on(async {
                let (client, server) = pair().await;
                let client = Arc::new(client);
                // The panicking waker registers first.
                let mut buf = [0u8; 4];
                let mut read = poll_fn(|cx| Pin::new(&mut &*client).poll_read(cx, &mut buf));
                assert!(poll_with_panicking_waker(&mut read).is_pending());
                let reader = {
                    let client = client.clone();
                    corio::create_task(async move {
                        let mut buf = [0u8; 4];
                        client.read(&mut buf).await.unwrap()
                    })
                };
                common::yield_until(|| client.waiter_counts().0 >= 2).await;
                server.write_all(b"ping").await.unwrap();
                let n = corio::wait_for(reader, Duration::from_secs(5)).await.expect("waiter lost").unwrap();
                assert_eq!(n, 4);
                // The runtime still serves I/O and timers.
                corio::sleep(Duration::from_millis(1)).await;
            })
        });
    }
}

/// Item 3: a foreign waker that panics while timers fire must not lose
/// the other timers fired in the same pass.
#[test]
fn panicking_waker_in_timer_firing_does_not_lose_the_other_timers() {
    for workers in [1, 2] {
        with_timeout(LIMIT, move || {
            runtime(workers).block_on(async {
                let deadline = std::time::Instant::now() + Duration::from_millis(30);
                // Fired in creation order; the driver wakes the first fired
                // last, so real sleepers before and after the panicking one
                // cover every position.
                let done = Arc::new(AtomicUsize::new(0));
                let sleepers: Vec<_> = (0..2)
                    .map(|_| {
                        let s = corio::sleep_until(deadline);
                        let done = done.clone();
                        corio::create_task(async move {
                            s.await;
                            done.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                let mut panicking = corio::sleep_until(deadline);
                assert!(poll_with_panicking_waker(&mut panicking).is_pending());
                let mut last = corio::sleep_until(deadline);
                let last_done = Arc::new(AtomicBool::new(false));
                let t = {
                    let last_done = last_done.clone();
                    corio::create_task(async move {
                        (&mut last).await;
                        last_done.store(true, Ordering::SeqCst);
                    })
                };
                for s in sleepers {
                    corio::wait_for(s, Duration::from_secs(5)).await.expect("timer wake lost").unwrap();
                }
                corio::wait_for(t, Duration::from_secs(5)).await.expect("timer wake lost").unwrap();
                assert_eq!(done.load(Ordering::SeqCst), 2);
                assert!(last_done.load(Ordering::SeqCst));
                drop(panicking);
            })
        });
    }
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("destructor boom");
    }
}

/// Item 6: a cancelled `call_soon` callback whose destructor panics must
/// not lose the callbacks queued after it.
#[test]
fn panicking_destructor_of_cancelled_callback_loses_no_other_callback() {
    for workers in [1, 2] {
        with_timeout(LIMIT, move || {
            runtime(workers).block_on(async {
                let ran = Arc::new(AtomicUsize::new(0));
                // Hold the callback queue until the bomb is cancelled: with
                // two workers the drain could otherwise run it first.
                let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
                corio::call_soon(move || {
                    let _ = gate_rx.recv_timeout(LIMIT);
                });
                let bomb = PanicOnDrop;
                let cancelled = corio::call_soon(move || drop(bomb));
                let handles: Vec<_> = (0..3)
                    .map(|_| {
                        let ran = ran.clone();
                        corio::call_soon(move || {
                            ran.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                assert!(cancelled.cancel());
                gate_tx.send(()).unwrap();
                common::yield_until(|| ran.load(Ordering::SeqCst) == 3).await;
                assert!(handles.iter().all(|h| !h.cancelled()));
                // The queue still drains later callbacks.
                let again = Arc::new(AtomicBool::new(false));
                let a = again.clone();
                corio::call_soon(move || a.store(true, Ordering::SeqCst));
                common::yield_until(|| again.load(Ordering::SeqCst)).await;
            })
        });
    }
}

/// Item 6: closures whose destructors panic, pending when the runtime
/// shuts down, neither make the shutdown panic nor keep the driver from
/// telling the sockets still open that it is gone.
#[test]
fn panicking_timer_closures_at_shutdown_do_not_skip_the_driver_shutdown() {
    with_timeout(LIMIT, || {
        let rt = runtime(1);
        let (flag_drop, dropped) = common::DropFlag::new();
        let (client, _server) = rt.block_on(async move {
            let bomb = PanicOnDrop;
            corio::call_later(Duration::from_secs(3600), move || drop(bomb));
            corio::call_later(Duration::from_secs(3600), move || drop(flag_drop));
            pair().await
        });
        let dropped_rt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rt)));
        assert!(dropped_rt.is_ok(), "dropping the runtime panicked");
        assert!(dropped.load(Ordering::SeqCst), "a pending closure was never dropped");
        // The socket outlived its runtime: it must fail, not hang.
        let mut buf = [0u8; 1];
        let res = common::block_on_plain(poll_fn(|cx| Pin::new(&mut &client).poll_read(cx, &mut buf)));
        assert!(res.is_err(), "a read on a socket whose driver is gone returned {res:?}");
    });
}
