//! asyncio's streams: [`open_connection`], [`start_server`],
//! [`StreamReader`], [`StreamWriter`], [`Server`].
//!
//! ```
//! corio::run(async {
//!     let server = corio::start_server(
//!         |mut reader, writer| async move {
//!             while let Ok(line) = reader.readline().await {
//!                 if line.is_empty() {
//!                     break;
//!                 }
//!                 writer.write(&line);
//!                 if writer.drain().await.is_err() {
//!                     break;
//!                 }
//!             }
//!         },
//!         "127.0.0.1",
//!         0,
//!     )
//!     .await
//!     .unwrap();
//!     let port = server.local_addrs()[0].port();
//!     let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
//!     writer.write(b"hello\n");
//!     writer.drain().await.unwrap();
//!     assert_eq!(reader.readline().await.unwrap(), b"hello\n");
//!     writer.close();
//!     writer.wait_closed().await;
//!     server.close();
//!     server.wait_closed().await;
//! });
//! ```
//!
//! The rules (API.md §7): `readline` returns the line with its `\n`, at EOF
//! the partial line, then empty; lines longer than the limit (64 KiB by
//! default, [`StreamReader::with_limit`]) fail with [`LimitOverrunError`]
//! inside the `io::Error` and the buffer stays bounded whatever the peer
//! sends; `readexactly`/`readuntil` fail with [`IncompleteReadError`] at EOF;
//! `write` buffers and `drain` waits while the buffer is above the
//! high-water mark (64 KiB, low = high/4), and returns the error once the
//! connection broke; a handler that panics is logged and the server keeps
//! serving.
//!
//! asyncio's keyword arguments are the by-value builders [`ConnectOptions`]
//! ([`open_connection_with`]) and [`ServerOptions`] ([`start_server_with`]):
//! `ssl=` (`tls(..)`, feature `tls`; see `corio::tls`),
//! `server_hostname`, `limit`, `ssl_handshake_timeout` (default 60 s),
//! `reuse_port`, `backlog`. Over TLS a server calls the handler only after a
//! successful handshake; a failed or stalled one is logged and dropped.

pub use corio_io::streams::Lines;
pub use corio_io::streams::{
    ConnectOptions, DEFAULT_BACKLOG, DEFAULT_HIGH_WATER, DEFAULT_LIMIT, DEFAULT_TLS_HANDSHAKE_TIMEOUT, ExtraInfo,
    IncompleteReadError, LimitOverrunError, Server, ServerOptions, StreamReader, StreamWriter, from_tcp_stream,
    from_unix_stream, open_connection, open_connection_with, open_unix_connection, start_server, start_server_with,
    start_unix_server,
};
