//! asyncio's streams: [`open_connection`], [`start_server`],
//! [`StreamReader`], [`StreamWriter`], [`Server`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let (mut reader, writer) = corio_io::streams::open_connection("127.0.0.1", 8888).await?;
//! writer.write(b"hello\n");
//! writer.drain().await?;
//! let line = reader.readline().await?;
//! writer.close();
//! writer.wait_closed().await;
//! # Ok(()) }
//! ```

mod error;
#[doc(hidden)]
pub mod model;
mod reader;
mod server;
pub(crate) mod transport;
mod writer;

use std::io;
use std::sync::Arc;

pub use error::{IncompleteReadError, LimitOverrunError};
pub use reader::{DEFAULT_LIMIT, Lines, StreamReader};
pub use server::{Server, start_server};
pub use writer::{DEFAULT_HIGH_WATER, StreamWriter};

use crate::net::{TcpStream, UnixStream};
use transport::{Transport, TransportReader};

/// Connects to `host:port` and returns the connection's reader and writer
/// (asyncio's `open_connection`). The host name is resolved on the blocking
/// pool.
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect((host.to_string(), port)).await?;
    from_tcp_stream(stream)
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

fn split(transport: Arc<dyn Transport>) -> (StreamReader, StreamWriter) {
    let reader = StreamReader::new(TransportReader(transport.clone()));
    (reader, StreamWriter::new(transport))
}
