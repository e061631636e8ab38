//! Non-blocking connects (API.md §10): `TcpStream::connect` and
//! `UnixStream::connect` finish on the reactor, with no blocking-pool
//! thread per connect; errors come back as they are; dropping the future
//! aborts the connect and closes its socket. Loopback only.
#![cfg(not(corio_loom))]

mod common;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::{LIMIT, runtime, with_timeout};
use corio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use corio::streams::ServerOptions;

/// A unique socket path, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        TempPath(std::env::temp_dir().join(format!("corio-conn-{tag}-{}-{n}.sock", std::process::id())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn tcp_connect_refused_is_connection_refused() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let port = closed_port();
            let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
            let err = corio::open_connection("127.0.0.1", port).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        })
    });
}

#[test]
fn tcp_connect_tries_each_address_and_reports_the_last_error() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let good = listener.local_addr().unwrap();
            let bad: std::net::SocketAddr = format!("127.0.0.1:{}", closed_port()).parse().unwrap();
            let addrs: &'static [std::net::SocketAddr] = Box::leak(vec![bad, good].into_boxed_slice());
            // The first address refuses; the second answers.
            let s = TcpStream::connect(addrs).await.unwrap();
            assert_eq!(s.peer_addr().unwrap(), good);
            let (_conn, _) = listener.accept().await.unwrap();
        })
    });
}

#[test]
fn tcp_connects_need_no_blocking_thread() {
    with_timeout(LIMIT, || {
        let rt = corio::Runtime::builder().worker_threads(2).max_blocking_threads(1).build().unwrap();
        rt.block_on(async {
            // Occupy the only blocking-pool thread for the whole test.
            let (release, wait) = mpsc::channel::<()>();
            let blocker = corio::to_thread(move || {
                let _ = wait.recv_timeout(LIMIT);
            });
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let clients: Vec<_> =
                (0..32).map(|_| corio::create_task(async move { TcpStream::connect(addr).await })).collect();
            let mut accepted = Vec::new();
            for _ in 0..32 {
                accepted.push(listener.accept().await.unwrap());
            }
            for c in clients {
                let s = c.await.unwrap().unwrap();
                assert_eq!(s.peer_addr().unwrap(), addr);
            }
            release.send(()).unwrap();
            blocker.await.unwrap();
        })
    });
}

/// `(state, remote port)` of each IPv4 TCP socket in this network
/// namespace, from `/proc/net/tcp`.
fn tcp_sockets_to(port: u16) -> Vec<u8> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let remote_port = u16::from_str_radix(cols.get(2)?.split(':').nth(1)?, 16).ok()?;
            let state = u8::from_str_radix(cols.get(3)?, 16).ok()?;
            (remote_port == port).then_some(state)
        })
        .collect()
}

const SYN_SENT: u8 = 2;

#[test]
fn dropping_a_tcp_connect_aborts_it() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            // A listener that never accepts, with the smallest backlog: once
            // its queue is full the kernel drops further SYNs, so a connect
            // stays in progress.
            let listener = TcpListener::bind_with("127.0.0.1:0", &ServerOptions::new().backlog(0)).await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut fillers = Vec::new();
            let mut pending = None;
            for _ in 0..64 {
                let task = corio::create_task(async move { TcpStream::connect(addr).await });
                corio::sleep(Duration::from_millis(100)).await;
                if task.done() {
                    fillers.push(task.await.unwrap().unwrap());
                } else {
                    pending = Some(task);
                    break;
                }
            }
            let Some(pending) = pending else {
                eprintln!("this kernel completes every connect to a full listener; nothing to abort");
                return;
            };
            assert!(
                tcp_sockets_to(addr.port()).contains(&SYN_SENT),
                "the pending connect should be in SYN_SENT: {:?}",
                tcp_sockets_to(addr.port())
            );
            // Dropping the task drops the connect future: its socket closes.
            drop(pending);
            while tcp_sockets_to(addr.port()).contains(&SYN_SENT) {
                corio::sleep(Duration::from_millis(10)).await;
            }
            drop(fillers);
        })
    });
}

#[test]
fn unix_connect_refused_when_nobody_listens() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("refused");
            // A socket file whose listener is gone.
            drop(std::os::unix::net::UnixListener::bind(&path.0).unwrap());
            let err = UnixStream::connect(&path.0).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
            let missing = TempPath::new("missing");
            let err = UnixStream::connect(&missing.0).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        })
    });
}

#[test]
fn unix_connect_waits_for_a_full_backlog_and_drop_aborts_it() {
    with_timeout(LIMIT, || {
        runtime(2).block_on(async {
            let path = TempPath::new("backlog");
            // The smallest backlog, so that it fills at once.
            let socket = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
            socket.bind(&socket2::SockAddr::unix(&path.0).unwrap()).unwrap();
            socket.listen(0).unwrap();
            let listener = UnixListener::from_std(socket.into()).unwrap();
            // Fill the backlog until a connect has to wait.
            let mut connected = Vec::new();
            let mut pending = None;
            for _ in 0..16 {
                let p = path.0.clone();
                let task = corio::create_task(async move { UnixStream::connect(p).await });
                corio::sleep(Duration::from_millis(200)).await;
                if task.done() {
                    connected.push(task.await.unwrap().unwrap());
                } else {
                    pending = Some(task);
                    break;
                }
            }
            let pending = pending.expect("a Unix listener's backlog is bounded");
            // A second waiting connect, dropped: it must not connect later.
            let p = path.0.clone();
            let dropped = corio::create_task(async move { UnixStream::connect(p).await });
            corio::sleep(Duration::from_millis(100)).await;
            assert!(!dropped.done(), "the backlog is still full");
            drop(dropped);
            // Accept one: the waiting connect goes through.
            let _first = listener.accept().await.unwrap();
            let s = pending.await.unwrap().unwrap();
            drop(s);
            // Everything queued is accepted; nothing beyond the backlog and
            // the one retried connect shows up.
            let mut accepted = 1;
            while corio::timeout(Duration::from_millis(200), listener.accept()).await.is_ok() {
                accepted += 1;
            }
            assert_eq!(accepted, connected.len() + 1);
        })
    });
}
