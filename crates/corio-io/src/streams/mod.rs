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
mod open;
mod options;
mod reader;
mod server;
pub(crate) mod transport;
mod writer;

pub use error::{IncompleteReadError, LimitOverrunError};
pub use open::{from_tcp_stream, from_unix_stream, open_connection, open_connection_with, open_unix_connection};
pub use options::{ConnectOptions, DEFAULT_BACKLOG, DEFAULT_TLS_HANDSHAKE_TIMEOUT, ExtraInfo, ServerOptions};
pub use reader::{DEFAULT_LIMIT, Lines, StreamReader};
pub use server::{Server, start_server, start_server_with, start_unix_server};
pub use writer::{DEFAULT_HIGH_WATER, StreamWriter};
