//! `start_server` and `Server`.
//!
//! # Rules
//!
//! 1. One accept task per listening socket; each accepted connection runs
//!    the handler in a task of its own, detached. A handler that panics is
//!    caught, logged on stderr, and the server keeps serving.
//! 2. `close` stops accepting at once (the accept tasks are cancelled and
//!    the listening sockets closed); handlers already running go on.
//!    `wait_closed` waits until the server is closed and every handler has
//!    finished (asyncio 3.12). Dropping the `Server` closes it.
//! 3. `serve_forever` returns when the server is closed; if its future is
//!    dropped first (the caller was cancelled) it closes the server, as
//!    asyncio's does. Only one `serve_forever` may run at a time.
//! 4. A connection is set up in its own task before the handler runs:
//!    over TLS the handshake comes first, bounded by the handshake timeout
//!    (asyncio's `ssl_handshake_timeout`). A connection whose set-up fails
//!    or times out is logged and dropped; the handler never sees it and
//!    the server keeps accepting meanwhile.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Weak;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::open::{from_tcp_stream, from_unix_stream};
use super::{ServerOptions, StreamReader, StreamWriter};
use crate::catch::panic_message;
use crate::loom::Mutex;
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream};

struct State {
    closed: bool,
    active: usize,
    serving_forever: bool,
    accept_tasks: Vec<corio_sched::Task<()>>,
    waiters: Vec<Waker>,
}

struct ServerShared {
    addrs: Vec<SocketAddr>,
    /// A Unix server's socket file and its (device, inode), removed when
    /// the server closes if it is still the same file.
    unix_path: Option<(PathBuf, (u64, u64))>,
    state: Mutex<State>,
}

impl ServerShared {
    fn update(&self, f: impl FnOnce(&mut State)) {
        let (wakers, tasks) = {
            let mut st = self.state.lock();
            f(&mut st);
            let tasks = if st.closed { std::mem::take(&mut st.accept_tasks) } else { Vec::new() };
            (std::mem::take(&mut st.waiters), tasks)
        };
        // Dropping the accept tasks cancels them (rule 2).
        let first_close = !tasks.is_empty();
        drop(tasks);
        if first_close && let Some((path, id)) = &self.unix_path {
            // Not a file someone else bound at the same path since.
            if std::fs::symlink_metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == *id) {
                let _ = std::fs::remove_file(path);
            }
        }
        wakers.into_iter().for_each(crate::catch::wake_caught);
    }

    fn wait(&self, cx: &mut Context<'_>, done: impl Fn(&State) -> bool) -> Poll<()> {
        let mut st = self.state.lock();
        if done(&st) {
            return Poll::Ready(());
        }
        if !st.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            st.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A running server (asyncio's `Server`), made by [`start_server`],
/// [`start_server_with`] or [`start_unix_server`].
pub struct Server {
    shared: Arc<ServerShared>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addrs", &self.shared.addrs).field("serving", &self.is_serving()).finish()
    }
}

/// Starts serving on `host:port` (every address the host resolves to; port
/// 0 picks a free port): each connection's streams are handed to
/// `handler`, which runs in its own task. asyncio's `start_server`.
pub async fn start_server<H, Fut>(handler: H, host: &str, port: u16) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    start_server_with(handler, host, port, ServerOptions::new()).await
}

/// [`start_server`] with asyncio's keyword arguments: `ssl=`
/// (`ServerOptions::tls`, feature `tls`), `reuse_port`, `backlog`,
/// `limit`, `ssl_handshake_timeout` (rule 4).
pub async fn start_server_with<H, Fut>(handler: H, host: &str, port: u16, opts: ServerOptions) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addrs = crate::net::resolve((host.to_string(), port)).await?;
    let mut listeners = Vec::new();
    let mut last_err = None;
    for addr in addrs {
        match TcpListener::bind_with(addr, &opts).await {
            Ok(l) => listeners.push(l),
            // A host name may name an IPv6 address this machine lacks.
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    if listeners.is_empty() {
        return Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")));
    }
    let addrs = listeners.iter().map(TcpListener::local_addr).collect::<io::Result<Vec<_>>>()?;
    Ok(serve(handler, listeners.into_iter().map(Listener::Tcp).collect(), addrs, None, opts))
}

/// Serves on the Unix-domain socket at `path` (asyncio's
/// `start_unix_server`). A stale socket file left at `path` is removed
/// first, and the file is removed again when the server closes, as
/// asyncio does; any other file there is an `AddrInUse` error.
/// [`Server::local_addrs`] is empty for a Unix server.
pub async fn start_unix_server<H, Fut>(handler: H, path: impl AsRef<Path>) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path = path.as_ref().to_path_buf();
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    let meta = std::fs::symlink_metadata(&path)?;
    let unix_path = Some((path, (meta.dev(), meta.ino())));
    Ok(serve(handler, vec![Listener::Unix(listener)], Vec::new(), unix_path, ServerOptions::new()))
}

/// A listening socket of a server.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    async fn accept(&self) -> io::Result<Accepted> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Accepted::Tcp(s)),
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => format!("{:?}", l.local_addr()),
            Listener::Unix(l) => format!("{:?}", l.local_addr()),
        }
    }
}

/// An accepted connection, before its streams are set up.
enum Accepted {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Accepted {
    /// Who connected, for the log.
    fn peer(&self) -> String {
        match self {
            Accepted::Tcp(s) => s.peer_addr().map_or_else(|e| format!("<{e}>"), |a| a.to_string()),
            Accepted::Unix(_) => "a Unix-domain peer".to_string(),
        }
    }
}

/// What each connection's task needs besides the handler (rule 4).
struct ConnSetup {
    opts: ServerOptions,
}

impl ConnSetup {
    /// The connection's streams; over TLS after a handshake bounded by the
    /// handshake timeout.
    async fn streams(&self, conn: Accepted) -> io::Result<(StreamReader, StreamWriter)> {
        let (reader, writer) = match conn {
            Accepted::Unix(s) => from_unix_stream(s),
            Accepted::Tcp(s) => self.tcp_streams(s).await?,
        };
        Ok((reader.with_limit(self.opts.limit), writer))
    }

    #[cfg(feature = "tls")]
    async fn tcp_streams(&self, s: TcpStream) -> io::Result<(StreamReader, StreamWriter)> {
        let Some(config) = self.opts.tls.clone() else { return from_tcp_stream(s) };
        let timeout = self.opts.tls_handshake_timeout;
        let tls = crate::time::timeout(timeout, crate::tls::accept(config, s))
            .await
            .map_err(|_| super::open::handshake_timed_out(timeout))??;
        Ok(super::open::split(Arc::new(super::transport::TlsTransport::new(tls))))
    }

    #[cfg(not(feature = "tls"))]
    async fn tcp_streams(&self, s: TcpStream) -> io::Result<(StreamReader, StreamWriter)> {
        from_tcp_stream(s)
    }
}

fn serve<H, Fut>(
    handler: H,
    listeners: Vec<Listener>,
    addrs: Vec<SocketAddr>,
    unix_path: Option<(PathBuf, (u64, u64))>,
    opts: ServerOptions,
) -> Server
where
    H: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let state =
        State { closed: false, active: 0, serving_forever: false, accept_tasks: Vec::new(), waiters: Vec::new() };
    let shared = Arc::new(ServerShared { addrs, unix_path, state: Mutex::new(state) });
    let handler = Arc::new(handler);
    let setup = Arc::new(ConnSetup { opts });
    let tasks: Vec<_> = listeners
        .into_iter()
        .map(|l| corio_sched::spawn(accept_loop(l, handler.clone(), setup.clone(), Arc::downgrade(&shared))))
        .collect();
    shared.state.lock().accept_tasks = tasks;
    Server { shared }
}

async fn accept_loop<H, Fut>(listener: Listener, handler: Arc<H>, setup: Arc<ConnSetup>, server: Weak<ServerShared>)
where
    H: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let conn = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("corio: accept failed on {}: {e}", listener.describe());
                crate::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(shared) = server.upgrade() else { return };
        shared.update(|st| st.active += 1);
        let guard = ActiveGuard(shared);
        let handler = handler.clone();
        let setup = setup.clone();
        corio_sched::spawn(async move {
            let _guard = guard;
            // Rule 4: the handler sees only connections whose set-up (the
            // TLS handshake) succeeded.
            let peer = conn.peer();
            let (reader, writer) = match setup.streams(conn).await {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("corio: dropping the connection from {peer}: its set-up failed: {e}");
                    return;
                }
            };
            // The handler is called here, in the connection's own task and
            // under `catch_unwind`: a handler that panics before it even
            // returns its future must not take the accept loop down.
            let conn = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(reader, writer))) {
                Ok(conn) => conn,
                Err(payload) => {
                    eprintln!("corio: exception in a start_server handler: {}", panic_message(&*payload));
                    return;
                }
            };
            if let Err(payload) = (CatchUnwind(Box::pin(conn))).await {
                eprintln!("corio: exception in a start_server handler: {}", panic_message(&*payload));
            }
        })
        .detach();
    }
}

/// Counts a running handler (rule 2).
struct ActiveGuard(Arc<ServerShared>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.update(|st| st.active -= 1);
    }
}

/// Catches a panic of the inner future's poll (rule 1).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

impl Server {
    /// The addresses it listens on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.shared.addrs.clone()
    }

    /// `true` until [`close`](Server::close).
    pub fn is_serving(&self) -> bool {
        !self.shared.state.lock().closed
    }

    /// Rule 2: stops accepting connections.
    pub fn close(&self) {
        self.shared.update(|st| st.closed = true);
    }

    /// Rule 2: waits until closed and every handler has finished.
    pub async fn wait_closed(&self) {
        poll_fn(|cx| self.shared.wait(cx, |st| st.closed && st.active == 0)).await
    }

    /// Rule 3: serves until the server is closed.
    pub async fn serve_forever(&self) -> io::Result<()> {
        {
            let mut st = self.shared.state.lock();
            if st.serving_forever {
                return Err(io::Error::other("the server is already being awaited on serve_forever()"));
            }
            if st.closed {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "the server is closed"));
            }
            st.serving_forever = true;
        }
        let guard = ServeForeverGuard(self, true);
        poll_fn(|cx| self.shared.wait(cx, |st| st.closed)).await;
        let mut guard = guard;
        guard.1 = false;
        Ok(())
    }
}

struct ServeForeverGuard<'a>(&'a Server, bool);

impl Drop for ServeForeverGuard<'_> {
    fn drop(&mut self) {
        let close_it = self.1;
        self.0.shared.update(|st| {
            st.serving_forever = false;
            if close_it {
                st.closed = true;
            }
        });
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}
