//! The `http` row: hyper 1.x serving "Hello, World!" over HTTP/1.1 on each
//! runtime (corio through `corio::hyper`, tokio through hyper-util's
//! `TokioIo`, smol through [`FuturesIo`], the same futures-io path as
//! corio's), loaded by one runtime-neutral client: plain threads with
//! blocking std sockets, [`HTTP_CONNECTIONS`] keep-alive connections ×
//! [`HTTP_REQUESTS`] requests each, every response checked.
//!
//! Server and client run in separate processes (`compare --http-server`,
//! `compare --http-client`, started by [`crate::child::load`]), so the
//! server's CPU time can be read from its own `/proc/PID/stat` before and
//! after the client's run.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

/// Keep-alive connections of the client.
pub const HTTP_CONNECTIONS: usize = 50;
/// Requests per connection, one after the other.
pub const HTTP_REQUESTS: usize = 2_000;
/// The body every response carries.
pub const HELLO: &[u8] = b"Hello, World!";

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// The service every server runs.
pub async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(HELLO))))
}

/// hyper's `Read`/`Write` over a futures-io stream, as smol-hyper does:
/// what the smol server uses (the same shape as `corio::hyper::Io`).
#[derive(Debug)]
pub struct FuturesIo<T>(pub T);

impl<T: futures_io::AsyncRead + Unpin> hyper::rt::Read for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, buf.initialize_unfilled()))?;
        assert!(n <= buf.remaining(), "reader returned more than it was given");
        // SAFETY: `initialize_unfilled` initialized the unfilled part and the
        // reader filled its first `n` bytes (`n` checked above).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: futures_io::AsyncWrite + Unpin> hyper::rt::Write for FuturesIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// Runs the client against `addr`: every connection is opened first, then
/// all send their requests at once; returns the time from that start until
/// the last response. Panics on any malformed or unexpected response.
pub fn client(addr: SocketAddr, connections: usize, requests: usize) -> Duration {
    let start = Arc::new(Barrier::new(connections + 1));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let start = start.clone();
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut stream = TcpStream::connect(addr).expect("connect to the http server");
                    stream.set_nodelay(true).expect("nodelay");
                    let mut buf = Vec::with_capacity(1024);
                    start.wait();
                    for _ in 0..requests {
                        stream.write_all(REQUEST).expect("send request");
                        read_response(&mut stream, &mut buf);
                    }
                })
                .expect("client thread")
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    for t in threads {
        t.join().expect("client thread panicked");
    }
    t0.elapsed()
}

/// Reads one response, checks it is `200` with body [`HELLO`]. `buf` keeps
/// whatever followed it (nothing, without pipelining).
fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).expect("ascii head");
            assert!(head.starts_with("HTTP/1.1 200 "), "unexpected response: {head}");
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                })
                .expect("content-length");
            let total = end + 4 + len;
            while buf.len() < total {
                let n = stream.read(&mut chunk).expect("read body");
                assert!(n > 0, "server closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            assert_eq!(&buf[end + 4..total], HELLO, "wrong body");
            buf.drain(..total);
            return;
        }
        let n = stream.read(&mut chunk).expect("read head");
        assert!(n > 0, "server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
}
