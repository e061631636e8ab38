//! Opening a connection, or wrapping a connected socket, as a
//! [`StreamReader`] and [`StreamWriter`] pair (asyncio's `open_connection`
//! and friends).

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::transport::{Transport, TransportReader};
use super::{ConnectOptions, StreamReader, StreamWriter};
use crate::net::{TcpStream, UnixStream};

/// Connects to `host:port` and returns the connection's reader and writer
/// (asyncio's `open_connection`). The host name is resolved on the blocking
/// pool.
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    open_connection_with(host, port, ConnectOptions::new()).await
}

/// [`open_connection`] with asyncio's keyword arguments: `ssl=`
/// (`ConnectOptions::tls`, feature `tls`), `server_hostname`, `limit`,
/// `ssl_handshake_timeout`. Over TLS the handshake is finished before this
/// returns; a server the config does not trust is an `io::Error` naming
/// why, a handshake past the timeout one of kind `TimedOut`.
pub async fn open_connection_with(
    host: &str,
    port: u16,
    opts: ConnectOptions,
) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect((host.to_string(), port)).await?;
    #[cfg(feature = "tls")]
    if let Some(config) = opts.tls.clone() {
        let name = opts.server_hostname.clone().unwrap_or_else(|| host.to_string());
        let tls = crate::time::timeout(opts.tls_handshake_timeout, crate::tls::connect(config, &name, stream))
            .await
            .map_err(|_| handshake_timed_out(opts.tls_handshake_timeout))??;
        let (reader, writer) = split(Arc::new(super::transport::TlsTransport::new(tls)));
        return Ok((reader.with_limit(opts.limit), writer));
    }
    let (reader, writer) = split(Arc::new(stream));
    Ok((reader.with_limit(opts.limit), writer))
}

/// The error of a TLS handshake that took too long.
#[cfg(feature = "tls")]
pub(crate) fn handshake_timed_out(after: std::time::Duration) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("the TLS handshake timed out after {after:?}"))
}

/// Connects to the Unix-domain socket at `path` (asyncio's
/// `open_unix_connection`).
pub async fn open_unix_connection(path: impl AsRef<Path>) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(from_unix_stream(stream))
}

/// The reader and writer of a connected TCP stream.
///
/// # Panics
///
/// Outside a runtime (the writer's flusher task is spawned on it).
pub fn from_tcp_stream(stream: TcpStream) -> io::Result<(StreamReader, StreamWriter)> {
    Ok(split(Arc::new(stream)))
}

/// The reader and writer of a connected Unix-domain stream.
///
/// # Panics
///
/// Outside a runtime.
pub fn from_unix_stream(stream: UnixStream) -> (StreamReader, StreamWriter) {
    split(Arc::new(stream))
}

pub(super) fn split(transport: Arc<dyn Transport>) -> (StreamReader, StreamWriter) {
    let reader = StreamReader::new(TransportReader(transport.clone()));
    (reader, StreamWriter::new(transport))
}
