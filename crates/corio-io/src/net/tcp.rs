//! `TcpListener` and `TcpStream`.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use socket2::{Domain, Protocol, Socket, Type};

use super::addr::{each_addr, resolve};
use crate::reactor::registration::PollEvented;
use crate::reactor::scheduled_io::Direction;

/// A TCP socket listening for connections (asyncio's server socket).
pub struct TcpListener {
    io: PollEvented<std::net::TcpListener>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("local_addr", &self.local_addr().ok()).finish()
    }
}

impl TcpListener {
    /// Binds to `addr` (host names resolved on the blocking pool); the
    /// first address that binds wins.
    pub async fn bind<A: ToSocketAddrs + Send + 'static>(addr: A) -> io::Result<TcpListener> {
        let addrs = resolve(addr).await?;
        let std = each_addr(&addrs, std::net::TcpListener::bind)?;
        TcpListener::from_std(std)
    }

    /// Binds to `addr` with `opts`' socket options: `SO_REUSEADDR` (as
    /// `bind`), `SO_REUSEPORT` if [`reuse_port`](crate::streams::ServerOptions::reuse_port),
    /// and the listen [`backlog`](crate::streams::ServerOptions::backlog).
    /// Host names are resolved on the blocking pool; the first address that
    /// binds wins.
    pub async fn bind_with<A: ToSocketAddrs + Send + 'static>(
        addr: A,
        opts: &crate::streams::ServerOptions,
    ) -> io::Result<TcpListener> {
        let addrs = resolve(addr).await?;
        let backlog = i32::try_from(opts.backlog).unwrap_or(i32::MAX);
        let std = each_addr(&addrs, |a| {
            let socket = Socket::new(Domain::for_address(a), Type::STREAM, Some(Protocol::TCP))?;
            socket.set_reuse_address(true)?;
            if opts.reuse_port {
                socket.set_reuse_port(true)?;
            }
            socket.bind(&a.into())?;
            socket.listen(backlog)?;
            Ok(std::net::TcpListener::from(socket))
        })?;
        TcpListener::from_std(std)
    }

    /// Registers a std listener with the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener { io: PollEvented::new_current(listener)? })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.io.async_io(Direction::Read, |l| l.accept()).await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }

    /// `accept` as a poll function.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |l| l.accept()) {
            Poll::Ready(Ok((s, a))) => Poll::Ready(TcpStream::from_std(s).map(|s| (s, a))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// A TCP connection. Implements `futures_io::AsyncRead`/`AsyncWrite`, also
/// through `&TcpStream`, so one task may read while another writes.
pub struct TcpStream {
    io: PollEvented<std::net::TcpStream>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn (the last
    /// error if none answers). Only name resolution uses the blocking pool:
    /// the connect itself is a non-blocking `connect(2)` finished on the
    /// reactor (`EINPROGRESS`, wait until writable, read `SO_ERROR`).
    /// Dropping the future aborts the attempt and closes its socket.
    pub async fn connect<A: ToSocketAddrs + Send + 'static>(addr: A) -> io::Result<TcpStream> {
        let addrs = resolve(addr).await?;
        let mut last = None;
        for a in &addrs {
            match TcpStream::connect_addr(*a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
    }

    /// One non-blocking connect to `addr` on the reactor.
    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            // EAGAIN here is not "in progress" but "no free local port":
            // no connect is under way, so waiting would hang. It is an error.
            Err(e) => return Err(e),
        }
        // Registered while connecting: dropping `stream` (this future)
        // deregisters and closes the socket, which aborts the connect.
        let stream = TcpStream { io: PollEvented::new_current(std::net::TcpStream::from(socket))? };
        stream.io.async_io(Direction::Write, connect_finished).await?;
        Ok(stream)
    }
    /// Registers a connected std stream with the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream { io: PollEvented::new_current(stream)? })
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

/// Whether a non-blocking connect has finished: its error (`SO_ERROR`) if
/// it failed, `WouldBlock` while it is still in progress (a spurious
/// wake-up), `Ok` once connected. Shared by TCP and Unix streams.
pub(crate) fn connect_finished<S: AsFd>(s: &S) -> io::Result<()> {
    let sock = socket2::SockRef::from(s);
    if let Some(e) = sock.take_error()? {
        return Err(e);
    }
    match sock.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e),
    }
}

/// The byte-stream surface every stream socket shares (TCP, Unix): the
/// inherent `read`/`write`/`write_all`/`read_exact`, and the futures-io
/// traits for the socket and for a shared reference to it.
macro_rules! impl_async_rw {
    ($ty:ty) => {
        impl $ty {
            /// Reads into `buf`; `Ok(0)` at end of stream.
            pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.io.read(buf).await
            }

            /// Writes some of `buf`, returning how much.
            pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
                self.io.write(buf).await
            }

            /// Writes all of `buf`.
            pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
                self.io.write_all(buf).await
            }

            /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the
            /// stream ends first).
            pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
                self.io.read_exact(buf).await
            }

            /// How many wakers wait for (readability, writability): a test
            /// hook for the bound on waiters of the poll functions
            /// (`docs/io.md`, reactor rule 5). Not part of the API.
            #[doc(hidden)]
            pub fn waiter_counts(&self) -> (usize, usize) {
                self.io.waiter_counts()
            }

            fn poll_read_io(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }

            fn poll_write_io(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }
        }

        impl AsyncRead for $ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.poll_read_io(cx, buf)
            }
        }

        impl AsyncRead for &$ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.poll_read_io(cx, buf)
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.poll_write_io(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown(Shutdown::Write).or_else(crate::net::ignore_not_connected))
            }
        }

        impl AsyncWrite for &$ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.poll_write_io(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown(Shutdown::Write).or_else(crate::net::ignore_not_connected))
            }
        }
    };
}

pub(crate) use impl_async_rw;

impl_async_rw!(TcpStream);

/// The accepted connections of a [`TcpListener`] as a
/// `futures_core::Stream` (asyncio's `async for` over a server socket);
/// see [`TcpListener::incoming`].
#[must_use = "streams do nothing unless polled"]
pub struct TcpIncoming<'a> {
    listener: &'a TcpListener,
}

impl TcpListener {
    /// The accepted connections as a stream of `io::Result<TcpStream>`; it
    /// never ends on its own. Cancel-safe: a connection is taken from the
    /// kernel's queue only in the poll that yields it, so dropping the
    /// stream (or a `next()` on it) loses none — the next `accept` gets it.
    pub fn incoming(&self) -> TcpIncoming<'_> {
        TcpIncoming { listener: self }
    }
}

impl futures_core::Stream for TcpIncoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener.poll_accept(cx).map(|res| Some(res.map(|(s, _)| s)))
    }
}

impl fmt::Debug for TcpIncoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpIncoming").field("listener", self.listener).finish()
    }
}

/// `NotConnected` from a shutdown means the peer is gone already: fine.
pub(crate) fn ignore_not_connected(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotConnected { Ok(()) } else { Err(e) }
}
