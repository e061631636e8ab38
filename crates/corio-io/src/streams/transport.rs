//! What a stream pair is built on: a connected socket (or a TLS session
//! over one) shared by the reader and the writer's flusher task.
//!
//! The reader only ever reads and the flusher only ever writes, flushes
//! and shuts down, so each registers its waker in its own direction of
//! the socket; a TLS session sits behind a mutex that is held for one
//! non-blocking poll at a time and never across an await.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::ExtraInfo;
use crate::net::{TcpStream, UnixStream};

/// A connected socket the streams can read, write and shut down.
pub(crate) trait Transport: Send + Sync + 'static {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// Sends what the transport buffers itself (TLS records).
    fn poll_flush(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    /// Shuts down `how`; TLS sends `close_notify` first when the write
    /// half closes.
    fn poll_shutdown(&self, cx: &mut Context<'_>, how: Shutdown) -> Poll<io::Result<()>>;
    fn peer_addr(&self) -> io::Result<SocketAddr>;
    fn extra_info(&self) -> ExtraInfo;
}

impl Transport for TcpStream {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(&mut &*self), cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(Pin::new(&mut &*self), cx, buf)
    }

    fn poll_shutdown(&self, _cx: &mut Context<'_>, how: Shutdown) -> Poll<io::Result<()>> {
        Poll::Ready(TcpStream::shutdown(self, how))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::of_addrs(self.peer_addr().ok(), self.local_addr().ok())
    }
}

impl Transport for UnixStream {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(&mut &*self), cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(Pin::new(&mut &*self), cx, buf)
    }

    fn poll_shutdown(&self, _cx: &mut Context<'_>, how: Shutdown) -> Poll<io::Result<()>> {
        Poll::Ready(UnixStream::shutdown(self, how))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "a Unix-domain stream has no IP peer address"))
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

/// A TLS session over a TCP connection, as the streams share it.
#[cfg(feature = "tls")]
pub(crate) struct TlsTransport {
    stream: crate::loom::Mutex<crate::tls::TlsStream<TcpStream>>,
    info: ExtraInfo,
}

#[cfg(feature = "tls")]
impl TlsTransport {
    pub(crate) fn new(stream: crate::tls::TlsStream<TcpStream>) -> TlsTransport {
        let mut info = Transport::extra_info(stream.get_ref());
        info.alpn = stream.alpn_protocol().map(<[u8]>::to_vec);
        info.peer_certificates = stream.peer_certificates().map(<[_]>::to_vec);
        TlsTransport { stream: crate::loom::Mutex::new(stream), info }
    }
}

#[cfg(feature = "tls")]
impl Transport for TlsTransport {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(&mut *self.stream.lock()), cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(Pin::new(&mut *self.stream.lock()), cx, buf)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(Pin::new(&mut *self.stream.lock()), cx)
    }

    fn poll_shutdown(&self, cx: &mut Context<'_>, how: Shutdown) -> Poll<io::Result<()>> {
        let mut stream = self.stream.lock();
        if how == Shutdown::Read {
            return Poll::Ready(stream.get_ref().shutdown(how));
        }
        // close_notify, flushed, then the socket's write half.
        std::task::ready!(AsyncWrite::poll_close(Pin::new(&mut *stream), cx))?;
        if how == Shutdown::Both {
            stream.get_ref().shutdown(Shutdown::Both).or_else(crate::net::ignore_not_connected)?;
        }
        Poll::Ready(Ok(()))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.info.peername.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no peer address"))
    }

    fn extra_info(&self) -> ExtraInfo {
        self.info.clone()
    }
}

/// The reader's view of a shared transport.
pub(crate) struct TransportReader(pub(crate) Arc<dyn Transport>);

impl AsyncRead for TransportReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_read(cx, buf)
    }
}
