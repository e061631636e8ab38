//! Server and connection options (API.md §10): `TcpListener::bind_with`
//! (`reuse_port`, `backlog`), `start_server_with`, `open_connection_with`,
//! Unix servers, `StreamWriter::get_extra_info`. Loopback only.
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{LIMIT, runtime, with_timeout};
use corio::net::TcpListener;
use corio::streams::{
    ConnectOptions, LimitOverrunError, ServerOptions, StreamReader, StreamWriter, open_connection_with,
    open_unix_connection, start_server_with, start_unix_server,
};

/// A unique socket path, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        TempPath(std::env::temp_dir().join(format!("corio-opts-{tag}-{}-{n}.sock", std::process::id())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn echo(mut r: StreamReader, w: StreamWriter) {
    while let Ok(line) = r.readline().await {
        if line.is_empty() {
            break;
        }
        w.write(&line);
        if w.drain().await.is_err() {
            break;
        }
    }
    w.close();
}

#[test]
fn reuse_port_lets_two_listeners_share_a_port() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let opts = ServerOptions::new().reuse_port(true);
            let a = TcpListener::bind_with("127.0.0.1:0", &opts).await.unwrap();
            let addr = a.local_addr().unwrap();
            let b = TcpListener::bind_with(addr, &opts).await.unwrap();
            assert_eq!(b.local_addr().unwrap(), addr);
            // Without it the port is taken.
            let err = TcpListener::bind_with(addr, &ServerOptions::new()).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
            let err = TcpListener::bind(addr).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        })
    });
}

#[test]
fn two_servers_with_reuse_port_both_serve() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let opts = ServerOptions::new().reuse_port(true).backlog(64);
            let s1 = start_server_with(echo, "127.0.0.1", 0, opts.clone()).await.unwrap();
            let port = s1.local_addrs()[0].port();
            let s2 = start_server_with(echo, "127.0.0.1", port, opts).await.unwrap();
            assert_eq!(s2.local_addrs()[0].port(), port);
            for i in 0..20 {
                let (mut r, w) = open_connection_with("127.0.0.1", port, ConnectOptions::new()).await.unwrap();
                let msg = format!("hello {i}\n");
                w.write(msg.as_bytes());
                assert_eq!(r.readline().await.unwrap(), msg.as_bytes());
            }
            s1.close();
            s2.close();
            s1.wait_closed().await;
            s2.wait_closed().await;
        })
    });
}

#[test]
fn limit_option_bounds_lines_on_both_sides() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let server = start_server_with(
                |mut r: StreamReader, w: StreamWriter| async move {
                    assert_eq!(r.limit(), 16);
                    let err = r.readline().await.unwrap_err();
                    assert!(err.get_ref().and_then(|e| e.downcast_ref::<LimitOverrunError>()).is_some(), "{err}");
                    w.write(b"a line longer than sixteen bytes\n");
                    w.close();
                },
                "127.0.0.1",
                0,
                ServerOptions::new().limit(16),
            )
            .await
            .unwrap();
            let port = server.local_addrs()[0].port();
            let (mut r, w) = open_connection_with("127.0.0.1", port, ConnectOptions::new().limit(8)).await.unwrap();
            assert_eq!(r.limit(), 8);
            w.write(b"this line is far too long for the server\n");
            let err = r.readline().await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn extra_info_names_both_ends() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let (tx, rx) = std::sync::mpsc::channel();
            let tx = std::sync::Mutex::new(tx);
            let server = start_server_with(
                move |_r, w: StreamWriter| {
                    let info = w.get_extra_info();
                    tx.lock().unwrap().send((info.peername(), info.sockname())).unwrap();
                    async move { w.close() }
                },
                "127.0.0.1",
                0,
                ServerOptions::new(),
            )
            .await
            .unwrap();
            let addr = server.local_addrs()[0];
            let (mut r, w) = open_connection_with("127.0.0.1", addr.port(), ConnectOptions::new()).await.unwrap();
            let info = w.get_extra_info();
            assert_eq!(info.peername(), Some(addr));
            assert_eq!(info.peername(), Some(w.peer_addr().unwrap()));
            let local = info.sockname().unwrap();
            assert_eq!(r.read_to_eof().await.unwrap(), b"");
            let (server_peer, server_local) = rx.recv().unwrap();
            assert_eq!(server_peer, Some(local));
            assert_eq!(server_local, Some(addr));
            server.close();
            server.wait_closed().await;
        })
    });
}

#[test]
fn unix_server_and_connection_echo() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("echo");
            let server = start_unix_server(echo, &path.0).await.unwrap();
            assert!(server.local_addrs().is_empty());
            assert!(server.is_serving());
            let (mut r, w) = open_unix_connection(&path.0).await.unwrap();
            let info = w.get_extra_info();
            assert_eq!((info.peername(), info.sockname()), (None, None));
            w.write(b"over unix\n");
            assert_eq!(r.readline().await.unwrap(), b"over unix\n");
            w.close();
            w.wait_closed().await;
            server.close();
            server.wait_closed().await;
            // asyncio removes the socket file when the server closes.
            assert!(!path.0.exists());
        })
    });
}

#[test]
fn unix_server_replaces_a_stale_socket_but_not_a_file() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("stale");
            drop(std::os::unix::net::UnixListener::bind(&path.0).unwrap());
            assert!(path.0.exists());
            let server = start_unix_server(echo, &path.0).await.unwrap();
            let (mut r, w) = open_unix_connection(&path.0).await.unwrap();
            w.write(b"x\n");
            assert_eq!(r.readline().await.unwrap(), b"x\n");
            drop(server);

            let file = TempPath::new("file");
            std::fs::write(&file.0, b"not a socket").unwrap();
            let err = start_unix_server(echo, &file.0).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
            assert_eq!(std::fs::read(&file.0).unwrap(), b"not a socket");
        })
    });
}

#[test]
fn options_are_by_value_builders_with_asyncio_defaults() {
    let c = ConnectOptions::new().server_hostname("example.com").limit(10);
    let text = format!("{c:?}");
    assert!(text.contains("example.com") && text.contains("60s"), "{text}");
    let s = ServerOptions::new().reuse_port(true).backlog(7).tls_handshake_timeout(std::time::Duration::from_secs(5));
    let text = format!("{s:?}");
    assert!(text.contains("reuse_port: true") && text.contains("backlog: 7") && text.contains("5s"), "{text}");
    assert_eq!(corio::streams::DEFAULT_TLS_HANDSHAKE_TIMEOUT, std::time::Duration::from_secs(60));
}

#[test]
fn the_new_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    runtime(1).block_on(async {
        send(&corio::net::TcpStream::connect("127.0.0.1:1"));
        send(&corio::net::UnixStream::connect("/nonexistent"));
        send(&TcpListener::bind_with("127.0.0.1:0", &ServerOptions::new()));
        send(&open_connection_with("127.0.0.1", 1, ConnectOptions::new()));
        send(&open_unix_connection("/nonexistent"));
        send(&start_server_with(echo, "127.0.0.1", 0, ServerOptions::new()));
        send(&start_unix_server(echo, "/nonexistent/x"));
    });
}

#[test]
#[should_panic(expected = "ServerOptions::limit must be at least 1 byte, got 0")]
fn server_limit_zero_is_refused_at_once() {
    let _ = corio::streams::ServerOptions::new().limit(0);
}

#[test]
#[should_panic(expected = "ConnectOptions::limit must be at least 1 byte, got 0")]
fn connect_limit_zero_is_refused_at_once() {
    let _ = corio::streams::ConnectOptions::new().limit(0);
}
