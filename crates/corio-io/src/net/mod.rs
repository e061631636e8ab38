//! Sockets — TCP, UDP and Unix-domain — registered with the runtime's
//! reactor. Every operation spends the task's cooperative budget, so a loop
//! over an always-ready socket still yields to other tasks.
//!
//! Addresses are anything `std::net::ToSocketAddrs + Send + 'static`; host
//! names are resolved on the blocking pool (a literal `SocketAddr`, or a
//! string that parses as one, skips the trip).

mod addr;
mod tcp;
mod udp;
mod unix;

pub use tcp::TcpIncoming;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::UnixIncoming;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

pub(crate) use addr::resolve;
pub(crate) use tcp::ignore_not_connected;
