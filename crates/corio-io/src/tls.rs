//! TLS on rustls (ring provider only), over any `futures_io` byte stream.
//!
//! The record layer is futures-rustls' (`TlsStream` wraps its stream);
//! corio adds the config helpers and asyncio's rules in the streams layer
//! (`ssl=` on the stream options, the handshake timeout, a failed
//! handshake never reaching the handler).
//!
//! ```no_run
//! # async fn demo(ca_pem: &[u8]) -> std::io::Result<()> {
//! use corio_io::tls;
//! let config = tls::client_config(ca_pem)?;
//! let tcp = corio_io::net::TcpStream::connect("127.0.0.1:8443").await?;
//! let stream = tls::connect(config, "localhost", tcp).await?;
//! # drop(stream); Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
pub use rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A TLS connection over `S`, client or server side. `AsyncRead +
/// AsyncWrite`; `close` sends TLS `close_notify` before shutting down the
/// write half of `S`.
pub struct TlsStream<S> {
    inner: futures_rustls::TlsStream<S>,
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (io, state) = self.inner.get_ref();
        f.debug_struct("TlsStream")
            .field("io", io)
            .field("server", &matches!(self.inner, futures_rustls::TlsStream::Server(_)))
            .field("protocol_version", &state.protocol_version())
            .field("alpn_protocol", &state.alpn_protocol().map(String::from_utf8_lossy))
            .finish()
    }
}

impl<S> TlsStream<S> {
    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref().0
    }

    /// The stream underneath (writing to it directly corrupts the TLS
    /// session).
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut().0
    }

    /// The protocol ALPN settled on, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.inner.get_ref().1.alpn_protocol()
    }

    /// The certificates the peer presented, leaf first (`None` for a
    /// client that sent none).
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.inner.get_ref().1.peer_certificates()
    }

    /// rustls' connection state (protocol version, cipher suite, …).
    pub fn connection(&self) -> &rustls::CommonState {
        self.inner.get_ref().1
    }

    /// Unwraps the stream underneath, dropping the TLS session.
    pub fn into_inner(self) -> S {
        match self.inner {
            futures_rustls::TlsStream::Client(s) => s.into_inner().0,
            futures_rustls::TlsStream::Server(s) => s.into_inner().0,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// The client side of a handshake over `stream`, checking that the
/// server's certificate is valid for `server_name` (a DNS name or an IP
/// address). A server the config does not trust fails with an
/// `io::Error` of kind `InvalidData` whose text is rustls' reason
/// ("invalid peer certificate: …").
pub async fn connect<S>(config: Arc<rustls::ClientConfig>, server_name: &str, stream: S) -> io::Result<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let name = ServerName::try_from(server_name.to_string()).map_err(|e| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("invalid TLS server name {server_name:?}: {e}"))
    })?;
    let s = futures_rustls::TlsConnector::from(config).connect(name, stream).await?;
    Ok(TlsStream { inner: s.into() })
}

/// The server side of a handshake over `stream`.
pub async fn accept<S>(config: Arc<rustls::ServerConfig>, stream: S) -> io::Result<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let s = futures_rustls::TlsAcceptor::from(config).accept(stream).await?;
    Ok(TlsStream { inner: s.into() })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(what: &str, e: impl fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
}

fn certs(pem: &[u8], what: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(|e| invalid(what, e))?;
    if certs.is_empty() {
        return Err(invalid(what, "no CERTIFICATE block in the PEM"));
    }
    Ok(certs)
}

/// A client config (ring provider, TLS 1.2 and 1.3, no client
/// certificate) that trusts the certificates in `ca_pem` — and only those.
pub fn client_config(ca_pem: &[u8]) -> io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs(ca_pem, "bad CA PEM")? {
        roots.add(cert).map_err(|e| invalid("bad CA certificate", e))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS client config", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server config (ring provider, TLS 1.2 and 1.3, no client
/// authentication) presenting `cert_chain_pem` (leaf first) with the
/// private key in `key_pem` (PKCS#8, PKCS#1 or SEC1). To offer ALPN
/// protocols, set `alpn_protocols` on a clone:
/// `let mut c = (*server_config(..)?).clone(); c.alpn_protocols = vec![b"h2".to_vec()];`.
pub fn server_config(cert_chain_pem: &[u8], key_pem: &[u8]) -> io::Result<Arc<rustls::ServerConfig>> {
    let chain = certs(cert_chain_pem, "bad certificate chain PEM")?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid("bad private key PEM", e))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS server config", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid("certificate and key do not make a server config", e))?;
    Ok(Arc::new(config))
}
