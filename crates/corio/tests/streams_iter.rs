//! API.md §12: `futures_core::Stream` for `Interval`, `Signal`,
//! `TcpListener::incoming()`, `UnixListener::incoming()`,
//! `StreamReader::lines()` and `Queue::stream()` — what they yield, when they
//! end, and that each is cancel-safe: a stream (or its `next()`) dropped
//! after a `Pending`, or after its wake-up but before the next poll, loses
//! no tick, delivery, connection, line or item.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use futures_core::Stream;
use futures_lite::StreamExt;

const LIMIT: Duration = Duration::from_secs(30);

fn block<F: std::future::Future>(f: F) -> F::Output {
    let rt = corio::Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async { corio::wait_for(f, LIMIT).await.expect("test timed out") })
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `s` once with a recording waker and checks it is `Pending`.
fn poll_pending<S: Stream + Unpin>(s: &mut S) -> Arc<Flag> {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let r = Pin::new(s).poll_next(&mut Context::from_waker(&waker));
    assert!(r.is_pending(), "the stream was expected to wait");
    flag
}

/// Waits (bounded) until `flag` was woken.
async fn woken(flag: &Flag) {
    let deadline = Instant::now() + LIMIT;
    while !flag.0.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the stream's waker was never woken");
        corio::sleep(Duration::from_millis(1)).await;
    }
}

/// Bounds a wait for something that must come.
async fn soon<F: std::future::Future>(f: F) -> F::Output {
    corio::wait_for(f, Duration::from_secs(10)).await.expect("the item was lost")
}

// ---- Interval ----

#[test]
fn interval_stream_yields_ticks() {
    block(async {
        let period = Duration::from_millis(5);
        let ticks: Vec<Instant> = corio::time::interval(period).take(4).collect().await;
        assert_eq!(ticks.len(), 4);
        for w in ticks.windows(2) {
            assert!(w[1] >= w[0] + period, "{ticks:?}");
        }
    });
}

#[test]
fn interval_dropped_next_after_pending_loses_no_tick() {
    block(async {
        let period = Duration::from_millis(20);
        let mut iv = corio::time::interval(period);
        let first = iv.next().await.unwrap();
        // A next() that waited and was dropped (a timeout around it).
        assert!(corio::wait_for(iv.next(), Duration::from_millis(1)).await.is_err());
        assert_eq!(soon(iv.next()).await.unwrap(), first + period);
    });
}

#[test]
fn interval_woken_then_dropped_loses_no_tick() {
    block(async {
        let period = Duration::from_millis(20);
        let mut iv = corio::time::interval(period);
        let first = iv.next().await.unwrap();
        let flag = poll_pending(&mut iv);
        woken(&flag).await;
        // Woken, never polled again: the tick is still there.
        assert_eq!(soon(iv.next()).await.unwrap(), first + period);
        assert_eq!(soon(iv.next()).await.unwrap(), first + 2 * period);
    });
}

// ---- Signal ----

fn raise(sig: i32) {
    // SAFETY: sending a signal this process listens for to itself.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

#[test]
fn signal_stream_yields_deliveries_and_is_cancel_safe() {
    block(async {
        let mut sig = corio::signal::signal(corio::signal::SignalKind::from_raw(libc::SIGUSR2)).unwrap();
        raise(libc::SIGUSR2);
        assert_eq!(soon(sig.next()).await, Some(()));

        // Dropped after Pending: the delivery that comes later is seen.
        assert!(corio::wait_for(sig.next(), Duration::from_millis(1)).await.is_err());
        raise(libc::SIGUSR2);
        assert_eq!(soon(sig.next()).await, Some(()));

        // Woken, then not polled: the delivery is still there.
        let flag = poll_pending(&mut sig);
        raise(libc::SIGUSR2);
        woken(&flag).await;
        assert_eq!(soon(sig.next()).await, Some(()));
    });
}

// ---- TcpListener::incoming ----

#[test]
fn tcp_incoming_yields_connections() {
    block(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients = corio::spawn(async move {
            let mut v = Vec::new();
            for _ in 0..3 {
                v.push(corio::net::TcpStream::connect(addr).await.unwrap());
            }
            v
        });
        let accepted: Vec<_> = listener.incoming().take(3).collect().await;
        assert_eq!(accepted.len(), 3);
        let clients = clients.await.unwrap();
        let mut local: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        let mut peers: Vec<_> = accepted.into_iter().map(|s| s.unwrap().peer_addr().unwrap()).collect();
        local.sort();
        peers.sort();
        assert_eq!(local, peers);
    });
}

#[test]
fn tcp_incoming_dropped_after_pending_loses_no_connection() {
    block(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut inc = listener.incoming();
        let _ = poll_pending(&mut inc);
        drop(inc);
        let client = corio::net::TcpStream::connect(addr).await.unwrap();
        let (server, peer) = soon(listener.accept()).await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        drop(server);
    });
}

#[test]
fn tcp_incoming_woken_then_dropped_loses_no_connection() {
    block(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut inc = listener.incoming();
        let flag = poll_pending(&mut inc);
        let client = corio::net::TcpStream::connect(addr).await.unwrap();
        woken(&flag).await;
        drop(inc);
        // The next reader of the listener gets the connection.
        let got = soon(listener.incoming().next()).await.unwrap().unwrap();
        assert_eq!(got.peer_addr().unwrap(), client.local_addr().unwrap());
    });
}

// ---- UnixListener::incoming ----

fn sock_path(tag: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("corio-iter-{tag}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn unix_incoming_yields_connections_and_is_cancel_safe() {
    let path = sock_path("incoming");
    block(async {
        let listener = corio::net::UnixListener::bind(&path).unwrap();
        // Stream basics.
        let c1 = corio::net::UnixStream::connect(&path).await.unwrap();
        let s1 = soon(listener.incoming().next()).await.unwrap().unwrap();
        drop((c1, s1));

        // Dropped after Pending.
        let mut inc = listener.incoming();
        let _ = poll_pending(&mut inc);
        drop(inc);
        let _c2 = corio::net::UnixStream::connect(&path).await.unwrap();
        let _s2 = soon(listener.accept()).await.unwrap();

        // Woken, then dropped before the next poll.
        let mut inc = listener.incoming();
        let flag = poll_pending(&mut inc);
        let _c3 = corio::net::UnixStream::connect(&path).await.unwrap();
        woken(&flag).await;
        drop(inc);
        let _s3 = soon(listener.accept()).await.unwrap();
    });
    let _ = std::fs::remove_file(&path);
}

// ---- StreamReader::lines ----

fn reader_pair() -> (corio::streams::StreamReader, corio::net::UnixStream) {
    let (a, b) = corio::net::UnixStream::pair().unwrap();
    let (reader, _writer) = corio::streams::from_unix_stream(a);
    (reader, b)
}

#[test]
fn lines_yields_lines_and_ends_at_eof() {
    block(async {
        let (mut reader, peer) = reader_pair();
        peer.write_all(b"one\ntwo\nthree").await.unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let lines: Vec<Vec<u8>> = reader.lines().map(|l| l.unwrap()).collect().await;
        assert_eq!(lines, [b"one\n".to_vec(), b"two\n".to_vec(), b"three".to_vec()]);
        assert!(reader.at_eof());
    });
}

#[test]
fn lines_over_limit_is_an_err_item_then_goes_on() {
    block(async {
        let (reader, peer) = reader_pair();
        let mut reader = reader.with_limit(8);
        peer.write_all(b"0123456789abcdef\nok\n").await.unwrap();
        drop(peer);
        let mut lines = reader.lines();
        let err = soon(lines.next()).await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.get_ref().and_then(|e| e.downcast_ref::<corio::streams::LimitOverrunError>()).is_some());
        assert_eq!(soon(lines.next()).await.unwrap().unwrap(), b"ok\n");
        assert!(soon(lines.next()).await.is_none());
    });
}

#[test]
fn lines_dropped_after_pending_loses_no_line() {
    block(async {
        let (mut reader, peer) = reader_pair();
        // Half a line arrives, the stream waits for the rest, and is dropped.
        peer.write_all(b"hal").await.unwrap();
        {
            let mut lines = reader.lines();
            assert!(corio::wait_for(lines.next(), Duration::from_millis(20)).await.is_err());
        }
        peer.write_all(b"f\nnext\n").await.unwrap();
        assert_eq!(soon(reader.readline()).await.unwrap(), b"half\n");
        assert_eq!(soon(reader.lines().next()).await.unwrap().unwrap(), b"next\n");
    });
}

#[test]
fn lines_woken_then_dropped_loses_no_line() {
    block(async {
        let (mut reader, peer) = reader_pair();
        {
            let mut lines = reader.lines();
            let flag = poll_pending(&mut lines);
            peer.write_all(b"line\n").await.unwrap();
            woken(&flag).await;
        }
        assert_eq!(soon(reader.readline()).await.unwrap(), b"line\n");
    });
}

// ---- Queue::stream ----

#[test]
fn queue_stream_yields_items_then_ends_after_graceful_shutdown() {
    block(async {
        let q = corio::sync::Queue::new(0);
        let producer = {
            let q = q.clone();
            corio::spawn(async move {
                for i in 0..5 {
                    q.put(i).await.unwrap();
                }
                q.shutdown(false);
            })
        };
        let items: Vec<i32> = q.stream().collect().await;
        assert_eq!(items, [0, 1, 2, 3, 4]);
        producer.await.unwrap();

        // Items stored before shutdown(false) are still yielded.
        let q = corio::sync::Queue::new(0);
        for i in 0..3 {
            q.put_nowait(i).unwrap();
        }
        q.shutdown(false);
        assert_eq!(q.stream().collect::<Vec<_>>().await, [0, 1, 2]);
    });
}

#[test]
fn queue_stream_ends_at_once_after_immediate_shutdown() {
    block(async {
        let q = corio::sync::Queue::new(0);
        q.put_nowait(1).unwrap();
        let mut s = q.stream();
        q.shutdown(true);
        assert_eq!(soon(s.next()).await, None);
        // A waiting stream ends too.
        let q2 = corio::sync::Queue::<u8>::new(0);
        let mut s2 = q2.stream();
        let flag = poll_pending(&mut s2);
        q2.shutdown(true);
        woken(&flag).await;
        assert_eq!(soon(s2.next()).await, None);
    });
}

#[test]
fn queue_stream_dropped_after_pending_loses_no_item() {
    block(async {
        let q = corio::sync::Queue::new(0);
        let mut s = q.stream();
        let _ = poll_pending(&mut s);
        drop(s);
        q.put_nowait(7).unwrap();
        assert_eq!(q.get_nowait(), Ok(7));
    });
}

#[test]
fn queue_stream_woken_then_dropped_loses_no_item() {
    block(async {
        let q = corio::sync::Queue::new(0);
        let mut s = q.stream();
        let flag = poll_pending(&mut s);
        // The put hands the item to the stream's waiting get and wakes it.
        q.put_nowait(7).unwrap();
        woken(&flag).await;
        drop(s);
        // The item went back to the queue for the next reader.
        assert_eq!(q.get_nowait(), Ok(7));
        // And a waiting getter elsewhere gets a handed-back item.
        let mut s = q.stream();
        let flag = poll_pending(&mut s);
        let other = {
            let q = q.clone();
            corio::spawn(async move { q.get().await.unwrap() })
        };
        corio::sleep(Duration::from_millis(10)).await;
        q.put_nowait(8).unwrap();
        woken(&flag).await;
        drop(s);
        assert_eq!(soon(other).await.unwrap(), 8);
    });
}

// ---- AsCompleted (kept) ----

#[test]
fn as_completed_is_a_stream() {
    block(async {
        let tasks = (0..5u64).map(|i| corio::spawn(async move { i }));
        let mut got: Vec<u64> = corio::as_completed(tasks).map(|r| r.unwrap()).collect().await;
        got.sort();
        assert_eq!(got, [0, 1, 2, 3, 4]);
    });
}

// ---- auto traits (API.md: every stream type is Send + Sync + Unpin) ----

#[test]
fn stream_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<corio::time::Interval>();
    check::<corio::signal::Signal>();
    check::<corio::net::TcpIncoming<'static>>();
    check::<corio::net::UnixIncoming<'static>>();
    check::<corio::streams::Lines<'static>>();
    check::<corio::sync::QueueStream<'static, corio::sync::Fifo<u8>>>();
    check::<corio::AsCompleted<u8>>();
}
