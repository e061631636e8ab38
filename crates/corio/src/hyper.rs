//! hyper 1.x on corio (cargo feature `hyper`): the three pieces hyper asks
//! of a runtime — an [`Executor`] for the tasks HTTP/2 spawns, a [`Timer`]
//! for its timeouts and keep-alive pings, and [`Io`], which gives any
//! `futures_io` stream (`TcpStream`, `UnixStream`, a TLS stream) hyper's
//! `Read`/`Write`. No tokio runtime is involved: hyper only uses tokio's
//! `sync` and h2 its `io-util` and tokio-util's codec.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use corio::hyper::{Executor, Io, Timer};
//! use corio::net::{TcpListener, TcpStream};
//! use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
//!
//! # async fn hello(_: Request<Incoming>) -> Result<Response<String>, Infallible> {
//! #     Ok(Response::new("Hello, World!".to_string()))
//! # }
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     corio::create_task(async move {
//!         loop {
//!             let (stream, _) = listener.accept().await.unwrap();
//!             corio::create_task(async move {
//!                 let conn = http1::Builder::new().timer(Timer::new()).serve_connection(Io::new(stream), service_fn(hello));
//!                 let _ = conn.await;
//!             })
//!             .detach();
//!         }
//!     })
//!     .detach();
//!
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream)).await.unwrap();
//!     Executor::new().execute_detached(conn);
//!     let req = Request::get("/").body(String::new()).unwrap();
//!     let res = sender.send_request(req).await.unwrap();
//!     assert_eq!(res.status(), 200);
//! });
//! ```
//!
//! A body that arrives too slowly is the handler's business: wrap the
//! body's collection in [`corio::timeout`](crate::timeout). HTTP/1's
//! `header_read_timeout` and HTTP/2's keep-alive run on [`Timer`].

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use corio_io::IoHandle;
use corio_io::time::Sleep as CorioSleep;
use futures_io::{AsyncRead, AsyncWrite};

use crate::Handle;

/// hyper's executor on corio: each future hyper hands over (an HTTP/2
/// stream, a connection's background work) runs as a detached corio task.
/// `Clone`, as hyper's HTTP/2 builders need.
#[derive(Clone)]
pub struct Executor {
    handle: Handle,
}

impl Executor {
    /// An executor for the runtime this thread runs in; it spawns on that
    /// runtime from any thread afterwards.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with "no running corio runtime".
    #[track_caller]
    pub fn new() -> Executor {
        Executor { handle: Handle::current() }
    }

    /// An executor spawning on the runtime of `handle`.
    pub fn with_handle(handle: Handle) -> Executor {
        Executor { handle }
    }

    /// Spawns `fut` as a detached task, dropping its output. What
    /// [`hyper::rt::Executor::execute`] does, callable without the trait
    /// in scope.
    pub fn execute_detached<F>(&self, fut: F)
    where
        F: Future + Send + 'static,
    {
        // The output is dropped inside the task, so it need not be `Send`.
        self.handle
            .spawn(async move {
                let _ = fut.await;
            })
            .detach();
    }
}

impl Default for Executor {
    /// [`Executor::new`].
    #[track_caller]
    fn default() -> Executor {
        Executor::new()
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor").finish_non_exhaustive()
    }
}

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
{
    fn execute(&self, fut: F) {
        self.execute_detached(fut);
    }
}

/// hyper's timer on corio's timer wheel: `sleep`, `sleep_until`, `reset`
/// (moves the pending timer in place) and `now` (the runtime's clock, so
/// virtual time of `Builder::start_paused` applies to hyper too).
#[derive(Clone)]
pub struct Timer {
    io: IoHandle,
}

impl Timer {
    /// A timer on the runtime this thread runs in; its sleeps may be made
    /// from any thread afterwards.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with "no running corio runtime".
    #[track_caller]
    pub fn new() -> Timer {
        Timer { io: IoHandle::current() }
    }
}

impl Default for Timer {
    /// [`Timer::new`].
    #[track_caller]
    fn default() -> Timer {
        Timer::new()
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").finish_non_exhaustive()
    }
}

/// The sleep [`Timer`] hands to hyper.
struct HyperSleep(CorioSleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl ::hyper::rt::Sleep for HyperSleep {}

impl ::hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        let deadline = self.io.now().checked_add(duration).unwrap_or_else(far_future);
        self.sleep_until(deadline)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(self.io.sleep_until(deadline)))
    }

    fn now(&self) -> Instant {
        self.io.now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            // A pending sleep moves its timer in place; an elapsed one is
            // replaced from this timer's handle (no runtime needed here).
            Some(mut ours) if !ours.0.is_elapsed() => ours.0.reset(new_deadline),
            Some(mut ours) => ours.0 = self.io.sleep_until(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// About 30 years ahead: what a sleep whose deadline overflows waits for.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// hyper's `Read` and `Write` over a `futures_io` stream: wrap a
/// `TcpStream`, `UnixStream` or TLS stream and hand it to hyper's
/// `serve_connection` or `handshake`.
#[derive(Debug)]
pub struct Io<T> {
    inner: T,
}

impl<T> Io<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Io<T> {
        Io { inner }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// A reference to the wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// A mutable reference to the wrapped stream.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: AsyncRead + Unpin> ::hyper::rt::Read for Io<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ::hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // `initialize_unfilled` zeroes only bytes never initialized before,
        // so hyper's reused buffers cost nothing here after the first read.
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, buf.initialize_unfilled()))?;
        assert!(n <= buf.remaining(), "AsyncRead::poll_read returned more bytes than the buffer holds");
        // SAFETY: `initialize_unfilled` initialized the whole unfilled part
        // and the reader wrote `n` bytes at its start; `n` fits (checked
        // above, a lying reader panics instead of exposing memory).
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> ::hyper::rt::Write for Io<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
