//! TLS on rustls with the ring provider (cargo feature `tls`; aws-lc-rs is
//! never pulled in): [`connect`], [`accept`], [`TlsStream`], and the
//! config helpers [`client_config`] / [`server_config`]. asyncio's `ssl=`
//! is [`ConnectOptions::tls`](crate::streams::ConnectOptions::tls) and
//! [`ServerOptions::tls`](crate::streams::ServerOptions::tls).
//!
//! ```no_run
//! # fn demo(ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<()> {
//! use corio::streams::{ConnectOptions, ServerOptions};
//! corio::run(async {
//!     let server_tls = corio::tls::server_config(cert_pem, key_pem)?;
//!     let server = corio::streams::start_server_with(
//!         |mut r, w| async move {
//!             if let Ok(line) = r.readline().await {
//!                 w.write(&line);
//!                 let _ = w.drain().await;
//!             }
//!             w.close();
//!         },
//!         "127.0.0.1",
//!         0,
//!         ServerOptions::new().tls(server_tls),
//!     )
//!     .await?;
//!     let port = server.local_addrs()[0].port();
//!     let opts = ConnectOptions::new().tls(corio::tls::client_config(ca_pem)?).server_hostname("localhost");
//!     let (mut r, w) = corio::streams::open_connection_with("127.0.0.1", port, opts).await?;
//!     w.write(b"hello\n");
//!     assert_eq!(r.readline().await?, b"hello\n");
//!     Ok(())
//! })
//! # }
//! ```
//!
//! The rules (API.md §10): a server calls its handler only after the
//! handshake succeeded (a failed one is logged and dropped, the server
//! keeps serving); a stalled handshake is bounded by
//! `tls_handshake_timeout` (60 s by default, as asyncio's
//! `ssl_handshake_timeout`); a client that does not trust the server gets
//! an `io::Error` whose text is rustls' reason ("invalid peer certificate:
//! …"); `StreamWriter::close` and `TlsStream`'s `poll_close` send
//! `close_notify`, so the peer reads a clean EOF.

pub use corio_io::tls::{TlsStream, accept, client_config, connect, rustls, server_config};
