//! Sockets: TCP, UDP and Unix-domain, registered with the runtime's
//! reactor. Every socket type is `Send + Sync + Unpin`; the stream types
//! implement `futures_io::AsyncRead + AsyncWrite`, also through a shared
//! reference, so one task may read while another writes.
//!
//! ```
//! use corio::net::{TcpListener, TcpStream};
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let client = corio::create_task(async move {
//!         let s = TcpStream::connect(addr).await.unwrap();
//!         s.write_all(b"ping").await.unwrap();
//!     });
//!     let (server_side, _) = listener.accept().await.unwrap();
//!     let mut buf = [0u8; 4];
//!     server_side.read_exact(&mut buf).await.unwrap();
//!     assert_eq!(&buf, b"ping");
//!     client.await.unwrap();
//! });
//! ```
//!
//! Host names are resolved on the blocking pool; the TCP and Unix connects
//! are non-blocking `connect(2)` calls finished on the reactor (no thread
//! per connect; dropping the future aborts the attempt). Listener socket
//! options (`SO_REUSEPORT`, backlog) go through
//! [`TcpListener::bind_with`] and [`ServerOptions`](crate::streams::ServerOptions)
//! (see `docs/io.md`).

pub use corio_io::net::{TcpIncoming, UnixIncoming};
pub use corio_io::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
pub use std::os::unix::net::SocketAddr as UnixSocketAddr;
