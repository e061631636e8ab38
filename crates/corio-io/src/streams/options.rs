//! `ConnectOptions`, `ServerOptions` and `ExtraInfo`: what asyncio passes
//! as keyword arguments (`ssl=`, `server_hostname=`, `limit=`,
//! `ssl_handshake_timeout=`, `reuse_port=`, `backlog=`) and what
//! `get_extra_info` returns.

use std::fmt;
use std::net::SocketAddr;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use super::DEFAULT_LIMIT;

/// asyncio's default `ssl_handshake_timeout`: 60 s.
pub const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The listen backlog [`ServerOptions`] uses unless told otherwise.
pub const DEFAULT_BACKLOG: u32 = 1024;

/// Options for [`open_connection_with`](super::open_connection_with)
/// (asyncio's keyword arguments of `open_connection`). A by-value builder.
#[derive(Clone)]
pub struct ConnectOptions {
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) server_hostname: Option<String>,
    pub(crate) limit: usize,
    pub(crate) tls_handshake_timeout: Duration,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ConnectOptions");
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        d.field("server_hostname", &self.server_hostname)
            .field("limit", &self.limit)
            .field("tls_handshake_timeout", &self.tls_handshake_timeout)
            .finish()
    }
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

impl ConnectOptions {
    /// Plain TCP, the reader's limit 64 KiB, a 60 s TLS handshake timeout.
    pub fn new() -> ConnectOptions {
        ConnectOptions {
            #[cfg(feature = "tls")]
            tls: None,
            server_hostname: None,
            limit: DEFAULT_LIMIT,
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
        }
    }

    /// Speaks TLS with `config` (asyncio's `ssl=`), e.g. from
    /// [`tls::client_config`](crate::tls::client_config).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<rustls::ClientConfig>) -> ConnectOptions {
        self.tls = Some(config);
        self
    }

    /// The name the server's certificate must match (asyncio's
    /// `server_hostname`); the host passed to `open_connection_with` by
    /// default.
    pub fn server_hostname(mut self, name: &str) -> ConnectOptions {
        self.server_hostname = Some(name.to_string());
        self
    }

    /// The reader's line limit (asyncio's `limit`, default 64 KiB).
    ///
    /// # Panics
    ///
    /// If `limit` is 0.
    #[track_caller]
    pub fn limit(mut self, limit: usize) -> ConnectOptions {
        assert!(limit > 0, "ConnectOptions::limit must be at least 1 byte, got 0");
        self.limit = limit;
        self
    }

    /// How long the TLS handshake may take (asyncio's
    /// `ssl_handshake_timeout`, default 60 s); past it the connection is
    /// closed and the open fails with `TimedOut`.
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> ConnectOptions {
        self.tls_handshake_timeout = timeout;
        self
    }
}

/// Options for [`start_server_with`](super::start_server_with) and
/// [`TcpListener::bind_with`](crate::net::TcpListener::bind_with)
/// (asyncio's keyword arguments of `start_server`). A by-value builder.
#[derive(Clone)]
pub struct ServerOptions {
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    pub(crate) reuse_port: bool,
    pub(crate) backlog: u32,
    pub(crate) limit: usize,
    pub(crate) tls_handshake_timeout: Duration,
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ServerOptions");
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls.is_some());
        d.field("reuse_port", &self.reuse_port)
            .field("backlog", &self.backlog)
            .field("limit", &self.limit)
            .field("tls_handshake_timeout", &self.tls_handshake_timeout)
            .finish()
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions::new()
    }
}

impl ServerOptions {
    /// Plain TCP, no `SO_REUSEPORT`, backlog 1024, the reader's limit
    /// 64 KiB, a 60 s TLS handshake timeout.
    pub fn new() -> ServerOptions {
        ServerOptions {
            #[cfg(feature = "tls")]
            tls: None,
            reuse_port: false,
            backlog: DEFAULT_BACKLOG,
            limit: DEFAULT_LIMIT,
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
        }
    }

    /// Serves TLS with `config` (asyncio's `ssl=`), e.g. from
    /// [`tls::server_config`](crate::tls::server_config). The handler is
    /// called after the handshake; a failed handshake is logged and the
    /// connection dropped.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> ServerOptions {
        self.tls = Some(config);
        self
    }

    /// Sets `SO_REUSEPORT` (asyncio's `reuse_port`): several processes or
    /// runtimes may bind the same port and the kernel spreads connections
    /// across them.
    pub fn reuse_port(mut self, on: bool) -> ServerOptions {
        self.reuse_port = on;
        self
    }

    /// The listen backlog (asyncio's `backlog`; default 1024, capped by
    /// the kernel's `somaxconn`).
    pub fn backlog(mut self, backlog: u32) -> ServerOptions {
        self.backlog = backlog;
        self
    }

    /// The line limit of each connection's reader (asyncio's `limit`).
    ///
    /// # Panics
    ///
    /// If `limit` is 0 (every connection's reader would refuse it later,
    /// inside the server).
    #[track_caller]
    pub fn limit(mut self, limit: usize) -> ServerOptions {
        assert!(limit > 0, "ServerOptions::limit must be at least 1 byte, got 0");
        self.limit = limit;
        self
    }

    /// How long a client's TLS handshake may take (asyncio's
    /// `ssl_handshake_timeout`, default 60 s): a peer that connects and
    /// sends nothing is dropped after it.
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> ServerOptions {
        self.tls_handshake_timeout = timeout;
        self
    }
}

/// What [`StreamWriter::get_extra_info`](super::StreamWriter::get_extra_info)
/// returns: asyncio's `peername`, `sockname`, and for TLS the negotiated
/// ALPN protocol and the peer's certificates.
#[derive(Clone, Debug, Default)]
pub struct ExtraInfo {
    pub(crate) peername: Option<SocketAddr>,
    pub(crate) sockname: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    pub(crate) alpn: Option<Vec<u8>>,
    #[cfg(feature = "tls")]
    pub(crate) peer_certificates: Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
}

impl ExtraInfo {
    /// A socket's addresses, nothing about TLS (yet).
    pub(crate) fn of_addrs(peername: Option<SocketAddr>, sockname: Option<SocketAddr>) -> ExtraInfo {
        ExtraInfo {
            peername,
            sockname,
            #[cfg(feature = "tls")]
            alpn: None,
            #[cfg(feature = "tls")]
            peer_certificates: None,
        }
    }

    /// The peer's address (`None` on a Unix-domain socket).
    pub fn peername(&self) -> Option<SocketAddr> {
        self.peername
    }

    /// The local address (`None` on a Unix-domain socket).
    pub fn sockname(&self) -> Option<SocketAddr> {
        self.sockname
    }

    /// The protocol ALPN settled on, if any (TLS only).
    #[cfg(feature = "tls")]
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }

    /// The certificates the peer presented, leaf first (TLS only).
    #[cfg(feature = "tls")]
    pub fn peer_certificates(&self) -> Option<&[rustls::pki_types::CertificateDer<'static>]> {
        self.peer_certificates.as_deref()
    }
}
