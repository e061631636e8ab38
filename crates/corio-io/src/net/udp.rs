//! `UdpSocket`.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::addr::{each_addr, resolve};
use crate::reactor::registration::PollEvented;
use crate::reactor::scheduled_io::Direction;

/// A UDP socket (asyncio's datagram endpoint).
pub struct UdpSocket {
    io: PollEvented<std::net::UdpSocket>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("local_addr", &self.local_addr().ok()).finish()
    }
}

impl UdpSocket {
    /// Binds to `addr` (host names resolved on the blocking pool).
    pub async fn bind<A: ToSocketAddrs + Send + 'static>(addr: A) -> io::Result<UdpSocket> {
        let addrs = resolve(addr).await?;
        UdpSocket::from_std(each_addr(&addrs, std::net::UdpSocket::bind)?)
    }

    /// Registers a std socket with the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket { io: PollEvented::new_current(socket)? })
    }

    /// Sets the default peer for `send`/`recv` and filters what `recv` gets.
    pub async fn connect<A: ToSocketAddrs + Send + 'static>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(addr).await?;
        each_addr(&addrs, |a| self.io.get_ref().connect(a))
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.async_io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Sends to `target` (host names resolved on the blocking pool).
    pub async fn send_to<A: ToSocketAddrs + Send + 'static>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let addrs = resolve(target).await?;
        let target = *addrs
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address"))?;
        self.io.async_io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram and who sent it.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.async_io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}
