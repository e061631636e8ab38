//! hyper 1.x on corio through `corio::hyper` (API.md §11): HTTP/1.1 and
//! HTTP/2 servers and clients, keep-alive, the timer-driven timeouts, a
//! streamed 10 MB body, and graceful shutdown. Loopback only; every wait is
//! bounded by `wait_for`, which fails the test instead of hanging.
#![cfg(feature = "hyper")]

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use corio::hyper::{Executor, Io, Timer};
use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};

/// Bound on every wait in these tests: generous, only there to turn a hang
/// into a failure.
const BOUND: Duration = Duration::from_secs(20);

async fn bounded<F: Future>(what: &str, f: F) -> F::Output {
    match corio::wait_for(f, BOUND).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {BOUND:?}"),
    }
}

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = format!("Hello, {}!", req.uri().path().trim_start_matches('/'));
    Ok(Response::new(Full::new(Bytes::from(text))))
}

async fn body_text<B>(body: B) -> String
where
    B: Body,
    B::Error: std::fmt::Debug,
{
    let bytes = body.collect().await.expect("body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8 body")
}

/// An HTTP/1 server on a fresh loopback port; counts accepted connections.
async fn h1_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    corio::create_task(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            count.fetch_add(1, Ordering::SeqCst);
            corio::create_task(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(Timer::new())
                    .serve_connection(Io::new(stream), service_fn(hello));
                let _ = conn.await;
            })
            .detach();
        }
    })
    .detach();
    (addr, accepted)
}

async fn h1_client(addr: std::net::SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
    Executor::new().execute_detached(conn);
    sender
}

#[test]
fn http1_server_and_client() {
    corio::run(bounded("http1 pair", async {
        let (addr, _) = h1_server().await;
        let mut sender = h1_client(addr).await;
        let req = Request::get("/corio").header("host", "localhost").body(Full::default()).unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body_text(res.into_body()).await, "Hello, corio!");
    }));
}

#[test]
fn http1_keep_alive_serves_many_requests_on_one_connection() {
    corio::run(bounded("keep-alive", async {
        let (addr, accepted) = h1_server().await;
        let mut sender = h1_client(addr).await;
        for i in 0..500 {
            poll_fn(|cx| sender.poll_ready(cx)).await.unwrap();
            let req = Request::get(format!("/{i}")).header("host", "localhost").body(Full::default()).unwrap();
            let res = sender.send_request(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(body_text(res.into_body()).await, format!("Hello, {i}!"));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "all 500 requests on one connection");
    }));
}

#[test]
fn http2_server_and_client_multiplex_through_the_executor() {
    corio::run(bounded("http2", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        corio::create_task(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                count.fetch_add(1, Ordering::SeqCst);
                corio::create_task(async move {
                    let conn = hyper::server::conn::http2::Builder::new(Executor::new())
                        .timer(Timer::new())
                        .serve_connection(Io::new(stream), service_fn(hello));
                    let _ = conn.await;
                })
                .detach();
            }
        })
        .detach();

        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, conn) = hyper::client::conn::http2::Builder::new(Executor::new())
            .timer(Timer::new())
            .handshake::<_, Full<Bytes>>(Io::new(stream))
            .await
            .unwrap();
        Executor::new().execute_detached(conn);
        // 50 concurrent streams on the one connection.
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let mut sender = sender.clone();
                corio::create_task(async move {
                    let req = Request::get(format!("http://localhost/{i}")).body(Full::default()).unwrap();
                    let res = sender.send_request(req).await.unwrap();
                    assert_eq!(res.version(), hyper::Version::HTTP_2);
                    assert_eq!(res.status(), StatusCode::OK);
                    body_text(res.into_body()).await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), format!("Hello, {i}!"));
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }));
}

#[test]
fn http1_header_read_timeout_closes_a_client_that_sends_half_a_header() {
    corio::run(bounded("header_read_timeout", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::create_task(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .timer(Timer::new())
                .header_read_timeout(Duration::from_millis(200))
                .serve_connection(Io::new(stream), service_fn(hello))
                .await
        });
        let client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"GET / HTTP/1.1\r\nHost: loc").await.unwrap();
        // The server closes the connection: EOF (or a reset) on our side.
        let mut buf = [0u8; 1024];
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let err = server.await.unwrap().expect_err("a half header must not be served");
        assert!(err.is_timeout(), "expected hyper's header timeout, got {err}");
    }));
}

#[test]
fn http2_keep_alive_closes_a_peer_that_never_answers_pings() {
    corio::run(bounded("h2 keep-alive", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::create_task(async move {
            let (stream, _) = listener.accept().await.unwrap();
            hyper::server::conn::http2::Builder::new(Executor::new())
                .timer(Timer::new())
                .keep_alive_interval(Duration::from_millis(100))
                .keep_alive_timeout(Duration::from_millis(200))
                .serve_connection(Io::new(stream), service_fn(hello))
                .await
        });
        // A raw HTTP/2 peer: the connection preface and an empty SETTINGS
        // frame, then silence — it never acknowledges a PING.
        let client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
        client.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
        let mut buf = [0u8; 1024];
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let err = server.await.unwrap().expect_err("a dead peer must be dropped");
        assert!(err.is_timeout(), "expected hyper's keep-alive timeout, got {err}");
    }));
}

/// A streamed body of `total` bytes (`i % 251` at offset `i`), in 64 KiB
/// frames made on demand, so neither side ever holds it whole.
struct Pattern {
    sent: usize,
    total: usize,
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent == self.total {
            return Poll::Ready(None);
        }
        let n = (self.total - self.sent).min(64 * 1024);
        let chunk: Vec<u8> = (self.sent..self.sent + n).map(|i| (i % 251) as u8).collect();
        self.sent += n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }
}

/// Reads `body` frame by frame, checking the pattern; returns its length.
async fn check_pattern<B>(body: B) -> usize
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let mut body = pin!(body);
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("body frame");
        if let Ok(data) = frame.into_data() {
            for (k, b) in data.iter().enumerate() {
                assert_eq!(*b, ((seen + k) % 251) as u8, "byte {} of the body", seen + k);
            }
            seen += data.len();
        }
    }
    seen
}

const TEN_MB: usize = 10 * 1024 * 1024;

/// Echo-ish: checks the uploaded pattern, answers with a fresh 10 MB one.
async fn upload(req: Request<Incoming>) -> Result<Response<Pattern>, Infallible> {
    let got = check_pattern(req.into_body()).await;
    assert_eq!(got, TEN_MB);
    Ok(Response::new(Pattern { sent: 0, total: TEN_MB }))
}

#[test]
fn ten_megabyte_bodies_stream_both_ways_over_http1_and_http2() {
    corio::run(bounded("10 MB", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        corio::create_task(async move {
            // First connection HTTP/1.1, second HTTP/2.
            let (s1, _) = listener.accept().await.unwrap();
            corio::create_task(
                hyper::server::conn::http1::Builder::new().serve_connection(Io::new(s1), service_fn(upload)),
            )
            .detach();
            let (s2, _) = listener.accept().await.unwrap();
            corio::create_task(
                hyper::server::conn::http2::Builder::new(Executor::new())
                    .timer(Timer::new())
                    .serve_connection(Io::new(s2), service_fn(upload)),
            )
            .detach();
        })
        .detach();

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut h1, conn) = hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
        Executor::new().execute_detached(conn);
        let req = Request::post("/up").header("host", "localhost").body(Pattern { sent: 0, total: TEN_MB }).unwrap();
        let res = h1.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(check_pattern(res.into_body()).await, TEN_MB);

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut h2, conn) = hyper::client::conn::http2::Builder::new(Executor::new())
            .timer(Timer::new())
            .handshake(Io::new(stream))
            .await
            .unwrap();
        Executor::new().execute_detached(conn);
        let req = Request::post("http://localhost/up").body(Pattern { sent: 0, total: TEN_MB }).unwrap();
        let res = h2.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(check_pattern(res.into_body()).await, TEN_MB);
    }));
}

/// What the graceful-shutdown server reports.
#[derive(Debug, PartialEq)]
enum Shutdown {
    /// Every connection finished before the deadline.
    Graceful,
    /// The deadline passed; this many connections were aborted.
    Forced(usize),
}

struct Gates {
    /// Set by the `/slow` handler once it runs.
    entered: Event,
    /// The `/slow` handler answers once this is set.
    release: Event,
}

/// An HTTP/1 server that, once `stop` is set, stops accepting (drops its
/// listener, then sets `closed`), asks every connection to shut down
/// gracefully and waits for them at most `deadline`.
async fn graceful_server(
    listener: TcpListener,
    gates: Arc<Gates>,
    stop: Arc<Event>,
    closed: Arc<Event>,
    deadline: Duration,
) -> Shutdown {
    let mut conns = Vec::new();
    loop {
        let accepted = {
            let mut accept = pin!(listener.accept());
            let mut stopped = pin!(stop.wait());
            poll_fn(|cx| {
                if let Poll::Ready(r) = accept.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                stopped.as_mut().poll(cx).map(|_| None)
            })
            .await
        };
        let Some(Ok((stream, _))) = accepted else { break };
        let gates = gates.clone();
        let stop = stop.clone();
        conns.push(corio::create_task(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let gates = gates.clone();
                async move {
                    if req.uri().path() == "/slow" {
                        gates.entered.set();
                        gates.release.wait().await;
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("done"))))
                }
            });
            let mut conn = pin!(hyper::server::conn::http1::Builder::new().serve_connection(Io::new(stream), service));
            let mut stopped = pin!(stop.wait());
            let finished = poll_fn(|cx| {
                if let Poll::Ready(r) = conn.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                stopped.as_mut().poll(cx).map(|_| None)
            })
            .await;
            if finished.is_none() {
                // In-flight requests finish; an idle keep-alive connection
                // closes at once.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }));
    }
    drop(listener);
    closed.set();
    let total = conns.len();
    let finished = Arc::new(AtomicUsize::new(0));
    let count = finished.clone();
    let all = async move {
        for c in conns {
            let _ = c.await;
            count.fetch_add(1, Ordering::SeqCst);
        }
    };
    // On timeout the remaining connection tasks are dropped: cancelled.
    match corio::timeout(deadline, all).await {
        Ok(()) => Shutdown::Graceful,
        Err(_) => Shutdown::Forced(total - finished.load(Ordering::SeqCst)),
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path).header("host", "localhost").body(Full::default()).unwrap()
}

struct Fixture {
    addr: std::net::SocketAddr,
    gates: Arc<Gates>,
    stop: Arc<Event>,
    closed: Arc<Event>,
    server: corio::Task<Shutdown>,
}

async fn fixture(deadline: Duration) -> Fixture {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let gates = Arc::new(Gates { entered: Event::new(), release: Event::new() });
    let stop = Arc::new(Event::new());
    let closed = Arc::new(Event::new());
    let server = corio::create_task(graceful_server(listener, gates.clone(), stop.clone(), closed.clone(), deadline));
    Fixture { addr, gates, stop, closed, server }
}

#[test]
fn graceful_shutdown_stops_accepting_and_lets_in_flight_requests_finish() {
    corio::run(bounded("graceful shutdown", async {
        let f = fixture(BOUND).await;
        // An idle keep-alive connection, and one with a request in flight.
        let stream = TcpStream::connect(f.addr).await.unwrap();
        let (mut idle, idle_conn) = hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
        let idle_conn = corio::create_task(idle_conn);
        let res = idle.send_request(get("/")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body_text(res.into_body()).await, "done");
        let mut busy: Sender = h1_client(f.addr).await;
        let in_flight = corio::create_task(async move {
            let res = busy.send_request(get("/slow")).await.unwrap();
            (res.status(), body_text(res.into_body()).await)
        });
        f.gates.entered.wait().await;

        f.stop.set();
        f.closed.wait().await;
        assert!(TcpStream::connect(f.addr).await.is_err(), "no new connection after shutdown began");
        // The idle connection is closed by the server without a request
        // of ours: the client's connection future ends cleanly.
        idle_conn.await.unwrap().expect("idle connection closed cleanly");
        drop(idle);

        f.gates.release.set();
        assert_eq!(in_flight.await.unwrap(), (StatusCode::OK, "done".to_string()));
        assert_eq!(f.server.await.unwrap(), Shutdown::Graceful);
    }));
}

#[test]
fn graceful_shutdown_is_bounded_by_its_deadline() {
    corio::run(bounded("shutdown deadline", async {
        let f = fixture(Duration::from_millis(200)).await;
        let mut stuck: Sender = h1_client(f.addr).await;
        let in_flight = corio::create_task(async move { stuck.send_request(get("/slow")).await.map(|_| ()) });
        f.gates.entered.wait().await;
        // `release` is never set: the handler would wait forever.
        f.stop.set();
        assert_eq!(f.server.await.unwrap(), Shutdown::Forced(1));
        // The aborted connection's client gets an error, not a hang.
        assert!(in_flight.await.unwrap().is_err());
        drop(f.gates);
    }));
}

#[test]
fn timer_reset_moves_a_pending_sleep_and_revives_an_elapsed_one() {
    use hyper::rt::Timer as _;
    corio::run(bounded("timer reset", async {
        let timer = Timer::new();
        let start = timer.now();
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        timer.reset(&mut sleep, start + Duration::from_millis(20));
        sleep.as_mut().await;
        assert!(timer.now() >= start + Duration::from_millis(20), "never early");
        // Elapsed, then reset into the future: pending again until then.
        let again = timer.now() + Duration::from_millis(20);
        timer.reset(&mut sleep, again);
        sleep.as_mut().await;
        assert!(timer.now() >= again, "never early");
    }));
}

#[test]
fn executor_and_timer_made_in_a_runtime_work_from_a_plain_thread() {
    use hyper::rt::{Executor as _, Timer as _};
    let rt = corio::Runtime::new().unwrap();
    let (executor, timer) = rt.block_on(async { (Executor::new(), Timer::new()) });
    let done = Arc::new(Event::new());
    let flag = done.clone();
    let sleep = std::thread::spawn(move || {
        // No runtime on this thread: both use the handles they keep.
        let sleep = timer.sleep(Duration::from_millis(5));
        executor.execute(async move {
            sleep.await;
            flag.set();
        });
    });
    sleep.join().unwrap();
    rt.block_on(bounded("spawned from a plain thread", done.wait()));
}
